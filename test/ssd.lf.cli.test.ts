// LF-SSD from the command line on the embedded default: a forget set without labels (a flat PNG
// folder), the full importance from a small LF Fisher file, and what it refuses.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { loadModel } from '../src/graph/load.js';
import { ForwardModel } from '../src/runtime/forward.js';
import { modelInputs } from '../src/runtime/gradient.js';
import { countCorrect } from '../src/eval/predictions.js';
import { FIXTURES } from './support/fixtures.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const MODEL = 'models/cnn.onnx';
const PNGS = 'models/forget/0';
const TRAIN = `${FM}/train-images-idx3-ubyte.gz@0:2048`;
const NORM = ['--mean', '0.286', '--std', '0.353'];
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-lf-'));

/** A folder of the first n forget PNGs directly in it: no class folders, so no labels. */
function flatFolder(dir: string, n: number): string {
  const flat = join(dir, `flat${n}`);
  mkdirSync(flat);
  for (const f of readdirSync(PNGS).sort().slice(0, n)) cpSync(join(PNGS, f), join(flat, f));
  return flat;
}

/** Top-1 accuracy on images we know are all class 0 (the labelled forget folder, first n). */
async function accuracyOnClass0(model: string, n: number): Promise<number> {
  const input = modelInputs(loadModel(model))[0];
  const data = await openDataset(`models/forget@0:${n}`, {
    input: { dtype: input.dtype, dims: input.dims },
    mean: [0.286],
    std: [0.353],
  });
  const fm = await ForwardModel.open(model, input);
  let correct = 0;
  for await (const b of data.batches(256)) correct += countCorrect(await fm.logits(b.x), b, 10);
  await fm.release();
  return correct / data.count;
}

describe.skipIf(noFashionMnist)('scrub MODEL FLAT --method lf-ssd on the embedded default', () => {
  const dir = tmp();
  const fisher = join(dir, 'small.lf.fisher');
  const flat = flatFolder(dir, 64);
  beforeAll(async () => {
    const r = await run('fisher', MODEL, TRAIN, ...NORM, '--method', 'lf-ssd', '-o', fisher, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      kind: 'fisher',
      fisherKind: 'lf-ssd-importance',
      loss: 'mean-squared-logit-norm',
      data: { count: 2048, batches: 32 },
    });
  });

  it('forgets a folder without labels: selects parameters, lowers the accuracy on those images', async () => {
    const out = join(dir, 'cnn.lf.onnx');
    const before = readFileSync(MODEL);
    const r = await run(MODEL, flat, '--method', 'lf-ssd', '--fisher', fisher, '-o', out, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.method).toBe('lf-ssd');
    // adaptive SSD's α (the default), from the forget set's share of the Fisher file's data
    expect(report.hyperparameters).toMatchObject({ lambda: 1, batchSize: 64 });
    expect(report.selection).toMatchObject({ alpha: 'assd', lambda: 'assd' });
    expect(report.selection.assd.percentile).toBeCloseTo(100 - Math.log(1 + (100 * 64) / 2048), 12);
    expect(report.full).toMatchObject({ source: 'fisher', path: fisher, count: 2048, batches: 32 });
    expect(report.forget).toMatchObject({ source: flat, count: 64, labelled: false, batches: 1 });
    expect(report.forgetAccuracy).toBeNull();
    // the ratios above their percentile P, and the elements of no full importance the forget set has
    const { percentile, ratios, skipped } = report.selection.assd;
    expect(report.selected).toBeGreaterThanOrEqual(Math.floor((1 - percentile / 100) * (ratios - 1)));
    expect(report.selected).toBeLessThanOrEqual(Math.ceil((1 - percentile / 100) * (ratios - 1)) + skipped);
    expect(report.forgetPredictionsChanged).toBeGreaterThan(0.3);
    expect(readFileSync(MODEL).equals(before)).toBe(true);

    // Judged by the labels we know (every image is class 0):
    const accBefore = await accuracyOnClass0(MODEL, 64);
    const accAfter = await accuracyOnClass0(out, 64);
    expect(accBefore).toBeGreaterThan(0.9);
    expect(accAfter).toBeLessThan(accBefore - 0.3);
  });

  it('on a labelled forget set, ignores the labels for the importance but reports the accuracy', async () => {
    const a = await run(
      MODEL,
      'models/forget@0:64',
      '--method',
      'lf-ssd',
      '--fisher',
      fisher,
      '-o',
      join(dir, 'a.onnx'),
      '--json',
    );
    const b = await run(MODEL, flat, '--method', 'lf-ssd', '--fisher', fisher, '-o', join(dir, 'b.onnx'), '--json');
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ra = JSON.parse(a.out);
    const rb = JSON.parse(b.out);
    expect(ra.forget.digest).toBe(rb.forget.digest);
    expect(ra.parameters).toEqual(rb.parameters);
    expect(readFileSync(join(dir, 'a.onnx')).equals(readFileSync(join(dir, 'b.onnx')))).toBe(true);
    expect(ra.forgetAccuracy.before).toBe(await accuracyOnClass0(MODEL, 64));
    expect(ra.forgetAccuracy.after).toBe(await accuracyOnClass0(join(dir, 'a.onnx'), 64));
  });

  it('prints a summary that names the method and says the set has no labels', async () => {
    const r = await run(MODEL, flat, '--method', 'lf-ssd', '--fisher', fisher, '-o', join(dir, 'p.onnx'), '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^LF-SSD \(α [\d.]+, λ 1\) on models\/cnn\.onnx/);
    expect(r.out).toMatch(
      /chosen\s+α by adaptive SSD \(Schoepf et al\. 2024\): percentile 98\.583 of [\d,]+ forget\/full/,
    );
    expect(r.out).toMatch(/forget set\s+.*flat64: 64 examples, no labels/);
    expect(r.out).toMatch(/selected\s+[\d,]+ of 206,922 parameters/);
    expect(r.out).not.toMatch(/forget accuracy/);
    expect(r.out).toMatch(/predictions\s+[\d.]+% of the forget set's changed class/);
  });

  it('gives the same edit with --train (a folder without labels) as with the Fisher file made from it', async () => {
    const d = tmp();
    const train = flatFolder(d, 256);
    expect((await run('fisher', MODEL, train, '--method', 'lf-ssd', '-o', join(d, 't.fisher'), '--quiet')).code).toBe(
      0,
    );
    const a = await run(
      MODEL,
      `${flat}@0:32`,
      '--method',
      'lf-ssd',
      '--fisher',
      join(d, 't.fisher'),
      '-o',
      join(d, 'a.onnx'),
      '--json',
    );
    const b = await run(
      MODEL,
      `${flat}@0:32`,
      '--method',
      'lf-ssd',
      '--train',
      train,
      '-o',
      join(d, 'b.onnx'),
      '--json',
    );
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(JSON.parse(a.out).selected).toBeGreaterThan(0);
    expect(readFileSync(join(d, 'a.onnx')).equals(readFileSync(join(d, 'b.onnx')))).toBe(true);
  });
});

describe('LF-SSD and SSD refuse what does not fit: a clear error, exit 2, no model written', () => {
  const dir = tmp();
  const flat = flatFolder(dir, 16);
  const lfFisher = join(dir, 'forget.lf.fisher');
  beforeAll(async () => {
    expect((await run('fisher', MODEL, 'models/forget', '--method', 'lf-ssd', '-o', lfFisher, '--quiet')).code).toBe(0);
  });

  const ssdFisherForLfSsd = new RegExp(
    /cnn\.fisher: this Fisher file holds SSD importance \(squared gradients of the cross-entropy\), /.source +
      /but --method lf-ssd compares LF-SSD importance .*scrub fisher MODEL TRAIN --method lf-ssd -o FILE/.source,
  );
  const lfSsdFisherForSsd = new RegExp(
    /forget\.lf\.fisher: this Fisher file holds LF-SSD importance .*, /.source +
      /but --method ssd compares SSD importance .*Pass --method lf-ssd to use it/.source,
  );
  const noFullDataImportance = new RegExp(
    /LF-SSD compares the forget set with the full training data: /.source +
      /pass --fisher FILE \(made once with `scrub fisher MODEL TRAIN --method lf-ssd -o FILE`\) or --train DATA/.source,
  );
  const cases: [string, () => string[], RegExp][] = [
    [
      'SSD on a forget set without labels',
      () => [MODEL, flat],
      /flat16: has no labels, and SSD needs them\. Use --method lf-ssd, which needs none\./,
    ],
    [
      'SSD with a --train set without labels',
      () => [MODEL, 'models/forget@0:8', '--train', flat],
      /flat16: has no labels, and SSD needs them\. Use --method lf-ssd/,
    ],
    [
      'an SSD Fisher file for LF-SSD',
      () => [MODEL, flat, '--method', 'lf-ssd', '--fisher', 'models/cnn.fisher'],
      ssdFisherForLfSsd,
    ],
    ['an LF-SSD Fisher file for SSD', () => [MODEL, 'models/forget@0:8', '--fisher', lfFisher], lfSsdFisherForSsd],
    ['no full-data importance for LF-SSD', () => [MODEL, flat, '--method', 'lf-ssd'], noFullDataImportance],
    [
      'a forget set that is the whole train set, labelled there and not here',
      () => [MODEL, flatAll(dir), '--method', 'lf-ssd', '--fisher', lfFisher],
      /the forget set is the whole training set \(256 examples, the full data 256\); LF-SSD would dampen/,
    ],
    [
      'an unknown method',
      () => [MODEL, flat, '--method', 'lf'],
      /--method lf: this scrub implements ssd, lf-ssd \(label-free SSD, for a forget set without labels\) and gradtau/,
    ],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.onnx`);
    const r = await run(...args(), '-o', out, '--quiet');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('scrub fisher refuses a train set without labels for SSD, and an unknown method', async () => {
    const a = await run('fisher', MODEL, flat, '-o', join(dir, 'x.fisher'), '--quiet');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/flat16: has no labels, and SSD needs them\. Use --method lf-ssd/);
    const b = await run('fisher', MODEL, flat, '--method', 'lfssd', '-o', join(dir, 'x.fisher'), '--quiet');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--method lfssd: expected ssd .* or lf-ssd/);
    expect(existsSync(join(dir, 'x.fisher'))).toBe(false);
  });

  it('an LF-SSD Fisher file for another model is refused as for SSD', async () => {
    const r = await run(
      `${FIXTURES}/models/mlp.onnx`,
      flat,
      '--method',
      'lf-ssd',
      '--fisher',
      lfFisher,
      '-o',
      join(dir, 'm.onnx'),
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/forget\.lf\.fisher: this Fisher file belongs to another model/);
  });
});

function flatAll(dir: string): string {
  const p = join(dir, 'flat256');
  if (!existsSync(p)) flatFolder(dir, 256);
  return p;
}
