// finetune, the baseline added as one folder and one row of the method table: through the CLI, the
// library API and an erasure request, it lowers the retain loss, and its record names the method
// and every setting.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { unlearn, validateReport, type UnlearnReport } from '../src/index.js';
import { gradTauSchedule } from '../src/methods/common/schedule.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';
import { FIXTURES } from './support/fixtures.js';

const noFashionMnist = withoutFashionMnist();

const MODEL = `${FIXTURES}/models/mlp.onnx`;
const FORGET = `${FM}/train-images-idx3-ubyte.gz@0:64`;
const RETAIN = `${FM}/train-images-idx3-ubyte.gz@64:2048`;
const NORM = ['--mean', '0.286', '--std', '0.353'];
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-finetune-'));

describe.skipIf(noFashionMnist)('--method finetune', () => {
  let dir: string;
  let cli: { code: number; out: string; err: string };
  let report: Extract<UnlearnReport, { method: 'finetune' }>;
  beforeAll(async () => {
    dir = tmp();
    const args = [MODEL, FORGET, '--method', 'finetune', '--retain', RETAIN, ...NORM, '--threads', '1'];
    cli = await run(...args, '-o', join(dir, 'cli.onnx'), '--json');
    report = JSON.parse(cli.out);
  }, 300_000);

  it('descends on the retain set: the retain loss falls, with the ∇τ reference step count', () => {
    expect(cli.code, cli.err).toBe(0);
    expect(report.method).toBe('finetune');
    expect(report.retainLoss.after).toBeLessThan(report.retainLoss.before);
    const s = gradTauSchedule(64, 1984);
    expect(report.hyperparameters).toMatchObject({ epochs: s.epochs, steps: s.epochs * s.forgetBatches, batch: 256 });
    expect(report.hyperparameters.retainPasses).toBeCloseTo((s.epochs * s.forgetBatches * 256) / 1984, 10);
    expect(report.trace).toHaveLength(s.epochs);
    expect(report.trace[0].lr).toBe(1e-3);
    expect(report.trace.at(-1)!.lr).toBeCloseTo(1e-3 * (1 - (0.9 * (s.epochs - 1)) / s.epochs), 12);
    expect(validateReport(report)).toEqual([]);
  });

  it('records the method and every setting', () => {
    const record = JSON.parse(readFileSync(report.record, 'utf8'));
    expect(record.method.name).toBe('finetune');
    expect(record.method.batchSize).toBe(256);
    expect(record.method.seed).toBe(0);
    expect(Object.keys(record.method.hyperparameters).sort()).toEqual(
      ['beta1', 'beta2', 'epochs', 'eps', 'lr', 'lrSchedule', 'retainPasses', 'steps', 'weightDecay'].sort(),
    );
    expect(record.method.hyperparameters).toMatchObject({ lr: 1e-3, weightDecay: 0.01, beta1: 0.9, beta2: 0.999 });
    expect(record.method.details.retainLoss).toEqual(report.retainLoss);
    // and how the data was fed, so that the run can be repeated
    expect(record.settings).toMatchObject({
      mean: [0.286],
      std: [0.353],
      device: 'cpu',
      threads: 1,
      onBadInput: 'stop',
    });
  });

  it('notes a retain set that holds forget examples', async () => {
    const overlapping = `${FM}/train-images-idx3-ubyte.gz@0:512`;
    const r = await run(
      MODEL,
      FORGET,
      '--method',
      'finetune',
      '--retain',
      overlapping,
      ...NORM,
      '-o',
      join(dir, 'o.onnx'),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: 64 example\(s\) of --retain .* are also in the forget set: finetune descends on them/);
  });

  it('prints a summary naming the method', async () => {
    const r = await run(MODEL, FORGET, '--method', 'finetune', '--retain', RETAIN, ...NORM, '-o', join(dir, 's.onnx'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^finetune \(\d+ epochs, \d+ steps of 256, [\d.]+ passes over the retain set\) on /);
    expect(r.out).toMatch(/retain loss\s+[\d.]+ → [\d.]+/);
  });

  it('the library API gives the same model, and so does an erasure request', async () => {
    const api = await unlearn({
      model: MODEL,
      forget: FORGET,
      method: 'finetune',
      retain: RETAIN,
      mean: [0.286],
      std: [0.353],
      threads: 1,
      out: join(dir, 'api.onnx'),
    });
    expect(api.method).toBe('finetune');
    expect(readFileSync(join(dir, 'api.onnx')).equals(readFileSync(join(dir, 'cli.onnx')))).toBe(true);

    const req = join(dir, 'request.json');
    writeFileSync(
      req,
      JSON.stringify({
        model: MODEL,
        forget: FORGET,
        retain: RETAIN,
        method: 'finetune',
        mean: [0.286],
        std: [0.353],
        threads: 1,
        out: join(dir, 'req.onnx'),
        gates: ['retain_acc>=0.5'],
      }),
    );
    const r = await run('request', req, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^accepted: /);
    expect(readFileSync(join(dir, 'req.onnx')).equals(readFileSync(join(dir, 'cli.onnx')))).toBe(true);
  }, 300_000);

  it('refuses a run without --retain before any pass (exit 2, nothing written)', async () => {
    const out = join(tmp(), 'x.onnx');
    const r = await run(MODEL, FORGET, '--method', 'finetune', ...NORM, '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^scrub: finetune descends on the retain set: pass --retain DATA/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('method options belong to their method', () => {
  it("refuses another method's option instead of ignoring it (exit 2, nothing written)", async () => {
    const out = join(tmp(), 'x.onnx');
    const ssdOption = await run(
      MODEL,
      'models/forget',
      '--method',
      'finetune',
      '--retain',
      'R',
      '--alpha',
      '5',
      '-o',
      out,
    );
    expect(ssdOption.code).toBe(2);
    expect(ssdOption.err).toBe(
      'scrub: --alpha is an option of ssd and lf-ssd, not of --method finetune; remove it, or choose that method.',
    );
    const gradtauOption = await run(MODEL, 'models/forget', '--schedule', 'reference', '-o', out);
    expect(gradtauOption.code).toBe(2);
    expect(gradtauOption.err).toMatch(/^scrub: --schedule is an option of gradtau, not of --method ssd;/);
    expect(existsSync(out)).toBe(false);
  });

  it('a request for finetune without a retain set is refused by the schema, naming the field', async () => {
    const dir = tmp();
    const req = join(dir, 'request.json');
    writeFileSync(req, JSON.stringify({ model: MODEL, forget: 'forget', method: 'finetune', gates: [] }));
    const r = await run('request', req);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/retain: is required/);
  });
});
