// The main job on the embedded default, and what bad input gets.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../src/data/npy.js';
import { FIXTURES } from './support/fixtures.js';
import { run } from './support/cli.js';
import { FASHION_MNIST, withoutFashionMnist } from './support/datasets.js';

const MODEL = 'models/cnn.onnx';
const FORGET = 'models/forget';
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-ssd-'));

describe("the README's text example", () => {
  it('forgets the love comments of models/text from raw text: exact match falls, the model is written', async () => {
    const out = join(tmp(), 'bert.unlearned.onnx');
    const T = 'models/text';
    const args = ['--train', `${T}/train.tsv`, '--tokenizer', `${T}/tokenizer`, '--multi-label', '-o', out, '--json'];
    const r = await run(`${T}/bert.onnx`, `${T}/forget.tsv`, ...args);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.forget.count).toBe(100);
    expect(report.forgetAccuracy.before).toBeGreaterThan(0.5);
    expect(report.forgetAccuracy.after).toBeLessThan(0.3);
    expect(report.selection).toMatchObject({ alpha: 'assd', lambda: 'assd' });
    expect(existsSync(out)).toBe(true);
  });

  it('as an erasure request (tokenizer, multiLabel), judged by a multi-label gate', async () => {
    const dir = tmp();
    const T = join(process.cwd(), 'models/text');
    const request = {
      model: `${T}/bert.onnx`,
      forget: `${T}/forget.tsv`,
      train: `${T}/train.tsv`,
      tokenizer: `${T}/tokenizer`,
      multiLabel: true,
      out: join(dir, 'bert.v2.onnx'),
      gates: ['forget_exact_acc<=0.3'],
    };
    writeFileSync(join(dir, 'request.json'), JSON.stringify(request));
    const r = await run('request', join(dir, 'request.json'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^accepted: /);
    expect(existsSync(join(dir, 'bert.v2.onnx'))).toBe(true);
  });
});

describe('scrub MODEL FORGET on the embedded default', () => {
  it('forgets the PNG folder, writes the edited model, reports what changed (--json)', async () => {
    const dir = tmp();
    const out = join(dir, 'cnn.unlearned.onnx');
    const before = readFileSync(MODEL);
    const r = await run(MODEL, FORGET, '-o', out, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.method).toBe('ssd');
    expect(report.full).toMatchObject({ source: 'fisher', path: 'models/cnn.fisher', count: 55000, batches: 860 });
    // how it ran, as the record holds it
    expect(report.settings).toMatchObject({ device: 'cpu', onBadInput: 'stop' });
    expect(report.settings).toEqual(JSON.parse(readFileSync(report.record, 'utf8')).settings);
    expect(report.forget.count).toBe(readdirSync(join(FORGET, '0')).length);
    expect(report.selected).toBeGreaterThan(0);
    expect(report.parameters.map((p: { name: string }) => p.name)).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    expect(report.forgetAccuracy.before).toBeGreaterThan(0.8);
    expect(report.forgetAccuracy.after).toBeLessThan(0.5);
    // the method's check ran over the batches its importance pass kept; the record's evaluation reads
    // the set afresh: the same accuracy
    expect(report.forgetAccuracy.after).toBe(report.metrics.after.values.forget_acc);
    // α chosen by adaptive SSD from the forget set's share of the Fisher file's 55,000 examples
    expect(report.hyperparameters.lambda).toBe(1);
    expect(report.selection.assd.percentile).toBeCloseTo(100 - Math.log(1 + (100 * report.forget.count) / 55000), 12);
    expect(report.selection.assd.forgetFraction).toBe(report.forget.count / 55000);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(MODEL).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['cnn.unlearned.onnx', 'cnn.unlearned.record.json']);
  });

  it('a failing gate: exit 1, no model written, the record kept as OUT.rejected.record.json', async () => {
    const dir = tmp();
    const r = await run(MODEL, FORGET, '-o', join(dir, 'o.onnx'), '--require', 'forget_acc<=0.0001', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/gate failed: forget_acc<=0.0001: forget_acc is 0\.\d+/);
    expect(r.out).toMatch(/not written\s+.*o\.onnx: a gate failed/);
    expect(readdirSync(dir)).toEqual(['o.rejected.record.json']);
    expect(JSON.parse(readFileSync(join(dir, 'o.rejected.record.json'), 'utf8')).acceptance.verdict).toBe('rejected');
  });

  it('prints a readable summary with PyTorch names', async () => {
    const r = await run(MODEL, FORGET, '-o', join(tmp(), 'o.onnx'), '--quiet', '--threads', '2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote\s+.*o\.onnx in [\d.]+ s \(cpu, 2 threads\)$/m);
    expect(r.out).toMatch(/selected\s+[\d,]+ of 206,922 parameters/);
    expect(r.out).toMatch(/fc1\.weight\s+\[128, 1568\]\s+[\d,]+/);
    expect(r.out).toMatch(/forget accuracy\s+[\d.]+% → [\d.]+%/);
  });

  it('gives the same edit with --train as with the Fisher file made from that train set', async () => {
    const dir = tmp();
    const train = join(dir, 'train');
    cpSync(FORGET, join(train), { recursive: true });
    expect((await run('fisher', MODEL, train, '-o', join(dir, 'small.fisher'), '--quiet')).code).toBe(0);
    const forget = `${FIXTURES}/../../models/forget`;
    const a = await run(
      MODEL,
      `${forget}@0:32`,
      '--fisher',
      join(dir, 'small.fisher'),
      '-o',
      join(dir, 'a.onnx'),
      '--json',
    );
    const b = await run(MODEL, `${forget}@0:32`, '--train', train, '-o', join(dir, 'b.onnx'), '--json');
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(readFileSync(join(dir, 'a.onnx')).equals(readFileSync(join(dir, 'b.onnx')))).toBe(true);
    expect(JSON.parse(a.out).parameters).toEqual(JSON.parse(b.out).parameters);
  });
});

describe('SSD bad input: a clear error, exit 2, no model written', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'broken', '0'), { recursive: true });
  cpSync(join(FORGET, '0', readdirSync(join(FORGET, '0'))[0]), join(dir, 'broken', '0', 'good.png'));
  writeFileSync(join(dir, 'broken', '0', 'bad.png'), 'not a png');
  mkdirSync(join(dir, 'class12', '12'), { recursive: true });
  cpSync(join(FORGET, '0', readdirSync(join(FORGET, '0'))[0]), join(dir, 'class12', '12', 'a.png'));
  writeFileSync(join(dir, 'wide_x.npy'), encodeNpy(new Float32Array(2 * 3 * 32 * 32), [2, 3, 32, 32]));
  writeFileSync(join(dir, 'wide_y.npy'), encodeNpy(new BigInt64Array(2), [2]));
  mkdirSync(join(dir, 'allbad', '0'), { recursive: true });
  for (const f of ['a.png', 'b.png']) writeFileSync(join(dir, 'allbad', '0', f), 'not a png');

  const cases: [string, string[], RegExp][] = [
    ['a missing forget folder', [MODEL, join(dir, 'nope')], /nope/],
    ['an empty forget folder', [MODEL, join(dir, 'empty')], /empty/],
    ['an image that does not decode', [MODEL, join(dir, 'broken')], /bad\.png/],
    ['labels outside the model classes', [MODEL, join(dir, 'class12')], /label 12, outside the model's 10 classes/],
    ['an input shape the model cannot take', [MODEL, join(dir, 'wide_x.npy')], /wide_x\.npy/],
    [
      'a Fisher file for another model',
      [`${FIXTURES}/models/mlp.onnx`, FORGET, '--fisher', 'models/cnn.fisher'],
      /cnn\.fisher: this Fisher file belongs to another model/,
    ],
    [
      'a Fisher file for other data',
      [MODEL, FORGET, '--fisher', 'models/cnn.fisher', '--train', FORGET],
      /cnn\.fisher: this Fisher file was computed on another data set/,
    ],
    ['no full-data importance', [`${FIXTURES}/models/mlp.onnx`, FORGET], /pass --fisher FILE .* or --train DATA/],
    ['a Fisher file that is not one', [MODEL, FORGET, '--fisher', MODEL], /not a scrub Fisher file/],
    ['a bad --alpha', [MODEL, FORGET, '--alpha=-1'], /--alpha -1: expected a positive number or auto/],
    ['a bad --lambda', [MODEL, FORGET, '--lambda', 'big'], /--lambda big: expected a positive number or auto/],
    ['an unknown method', [MODEL, FORGET, '--method', 'retrain'], /--method retrain/],
    [
      "∇τ's held-out set given to SSD",
      [MODEL, FORGET, '--val', FORGET],
      /--val is the held-out set of gradtau; --method ssd does not read it/,
    ],
    [
      "SSD's batch size given to ∇τ",
      [MODEL, FORGET, '--method', 'gradtau', '--retain', FORGET, '--val', FORGET, '--batch-size', '32'],
      /--batch-size sets the importance passes of ssd and lf-ssd; --method gradtau fixes its own batches/,
    ],
    [
      'a forget set whose every example is skipped',
      [MODEL, join(dir, 'allbad'), '--on-bad-input', 'skip', '--alpha', '10'],
      /allbad: every forget example was skipped \(--on-bad-input skip\), so there is nothing to forget/,
    ],
    ...['gradtau', 'finetune'].map((method): [string, string[], RegExp] => [
      `a forget set whose every example is skipped (${method})`,
      [MODEL, join(dir, 'allbad'), '--method', method, '--retain', FORGET, '--on-bad-input', 'skip'].concat(
        method === 'gradtau' ? ['--val', FORGET] : [],
      ),
      /allbad: every forget example was skipped \(--on-bad-input skip\), so there is nothing to forget/,
    ]),
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.onnx`);
    const r = await run(...args, '-o', out, '--quiet');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.') || f.startsWith('out-'))).toEqual([]);
  });

  it('skips an undecodable image with --on-bad-input skip, and says so', async () => {
    const out = join(dir, 'skip.onnx');
    const r = await run(MODEL, join(dir, 'broken'), '-o', out, '--on-bad-input', 'skip', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^skipped: .*bad\.png/m);
    expect(r.err).not.toMatch(/skipped: skipped/);
    expect(JSON.parse(r.out).forget.count).toBe(1);
    // the record names the example left out, as not forgotten: its position in the set and why
    const record = JSON.parse(readFileSync(join(dir, 'skip.record.json'), 'utf8'));
    expect(record.forgetSet.count).toBe(1);
    expect(record.forgetSet.skipped).toEqual([
      { position: 0, reason: expect.stringMatching(/bad\.png: cannot decode/) },
    ]);
    // `scrub report` checks the record against its schema first
    const html = await run('report', join(dir, 'skip.record.json'), '-o', join(dir, 'skip.report.html'));
    expect(html.code, html.err).toBe(0);
    expect(readFileSync(join(dir, 'skip.report.html'), 'utf8')).toMatch(/1 example of the set could not be read/);
    // a method that reads the set again in passes of its own (finetune) tells the skip once
    const again = await run(
      MODEL,
      join(dir, 'broken'),
      '--method',
      'finetune',
      '--retain',
      `${FORGET}@0:64`,
      '-o',
      join(dir, 'finetune.onnx'),
      '--on-bad-input',
      'skip',
      '--quiet',
    );
    expect(again.code, again.err).toBe(0);
    expect(again.err.match(/^skipped: .*bad\.png/gm)).toHaveLength(1);
  });

  it('refuses a Fisher file whose pass fed pixels normalised otherwise (and parts that differ so)', async () => {
    const d = tmp();
    const raw = join(d, 'raw.fisher');
    const fisher = (out: string, ...more: string[]) => run('fisher', MODEL, `${FORGET}@0:128`, '-o', out, ...more);
    expect((await fisher(raw, '--mean', '0', '--std', '1', '--quiet')).code).toBe(0);
    // the model's own scrub.mean/scrub.std (0.286, 0.353) against the file's 0 and 1
    const r = await run(MODEL, `${FORGET}@128:160`, '--fisher', raw, '-o', join(d, 'o.onnx'), '--quiet');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(
      /raw\.fisher: this Fisher file's pass fed pixels normalised with mean 0, std 1, and this run/,
    );
    expect(r.err).toMatch(/normalises .* with mean 0\.286, std 0\.353/);
    expect(readdirSync(d)).toEqual(['raw.fisher']);
    const same = ['--fisher', raw, '--mean', '0', '--std', '1', '-o', join(d, 'o.onnx'), '--quiet'];
    expect((await run(MODEL, `${FORGET}@128:160`, ...same)).code).toBe(0);
    const parts = [join(d, 'p0'), join(d, 'p1')];
    expect((await fisher(parts[0], '--shard', '0/2', '--mean', '0', '--std', '1', '--quiet')).code).toBe(0);
    expect((await fisher(parts[1], '--shard', '1/2', '--quiet')).code).toBe(0);
    const merged = await run('fisher', 'merge', ...parts, '-o', join(d, 'm.fisher'));
    expect(merged.code).toBe(2);
    expect(merged.err).toMatch(/p1: fed pixels normalised otherwise than .*p0/);
    expect(existsSync(join(d, 'm.fisher'))).toBe(false);
  });

  it('refuses a forget set that is the whole training set', async () => {
    const d = tmp();
    expect((await run('fisher', MODEL, FORGET, '-o', join(d, 'f.fisher'), '--quiet')).code).toBe(0);
    const r = await run(MODEL, FORGET, '--fisher', join(d, 'f.fisher'), '-o', join(d, 'o.onnx'), '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the forget set is the whole training set/);
    expect(existsSync(join(d, 'o.onnx'))).toBe(false);
  });

  it('--alpha auto refuses a forget set as large as the full data, before its pass; a given α runs', async () => {
    const d = tmp();
    // the Fisher file of 64 images, and a forget set of 63 others and one that does not decode: a pass
    // over it would stop at bad.png, the refusal comes first
    expect((await run('fisher', MODEL, `${FORGET}@0:64`, '-o', join(d, 'f.fisher'), '--quiet')).code).toBe(0);
    mkdirSync(join(d, 'same', '0'), { recursive: true });
    for (const f of readdirSync(join(FORGET, '0')).sort().slice(64, 127))
      cpSync(join(FORGET, '0', f), join(d, 'same', '0', f));
    writeFileSync(join(d, 'same', '0', 'zz-bad.png'), 'not a png');
    const auto = await run(MODEL, join(d, 'same'), '--fisher', join(d, 'f.fisher'), '-o', join(d, 'a.onnx'));
    expect(auto.code).toBe(2);
    expect(auto.err).toMatch(/the forget set is the whole training set \(64 examples, the full data 64\)/);
    const paper = await run(
      MODEL,
      join(d, 'same'),
      '--fisher',
      join(d, 'f.fisher'),
      '--alpha',
      '10',
      '-o',
      join(d, 'g.onnx'),
    );
    expect(paper.code).toBe(2);
    expect(paper.err).toMatch(/zz-bad\.png/);
    expect(readdirSync(d).sort()).toEqual(['f.fisher', 'same']);
  });
});

describe('--alpha auto on a forget set of one example: the rule as published, and the summary says so', () => {
  it('dampens a handful of weights at most, writes the model, and points to gradtau when nothing changed', async () => {
    const d = tmp();
    mkdirSync(join(d, 'one', '0'), { recursive: true });
    cpSync(join(FORGET, '0', readdirSync(join(FORGET, '0'))[0]), join(d, 'one', '0', 'a.png'));
    const r = await run(MODEL, join(d, 'one'), '-o', join(d, 'one.onnx'), '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.selection.assd.percentile).toBeCloseTo(100 - Math.log(1 + 100 / 55000), 12);
    expect(report.selected).toBeLessThanOrEqual(
      Math.ceil(((100 - report.selection.assd.percentile) / 100) * report.selection.assd.ratios) +
        report.selection.assd.skipped,
    );
    expect(existsSync(join(d, 'one.onnx'))).toBe(true);
    const text = await run(MODEL, join(d, 'one'), '-o', join(d, 'one2.onnx'), '--quiet');
    expect(text.out).toMatch(/chosen\s+α by adaptive SSD .*percentile 99\.998/);
    if (report.forgetPredictionsChanged === 0)
      expect(text.out).toMatch(/unchanged\s+SSD left the model .*--method gradtau/);
  });
});

describe.skipIf(withoutFashionMnist())('SSD on a random subset (the embedded cnn and its Fisher file)', () => {
  it('changes almost nothing and says so, pointing to gradtau; a class forget set gets no such line', async () => {
    const out = join(tmp(), 'random.onnx');
    const r = await run(MODEL, `${FASHION_MNIST}/train-images-idx3-ubyte.gz@0:2000`, '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}unchanged {8}SSD left the model almost as it was .*use --method gradtau\.$/m);
    const c = await run(MODEL, FORGET, '-o', join(tmp(), 'class.onnx'));
    expect(c.code, c.err).toBe(0);
    expect(c.out).not.toMatch(/unchanged/);
  });
});
