// scrub request REQUEST.json: exit 0 accepted, 1 a gate failed (no model written), 2 bad input.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateReport } from '../src/index.js';
import { FIXTURES } from './support/fixtures.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const CLASS0: number[] = JSON.parse(readFileSync(`${FIXTURES}/scenarios/class0.json`, 'utf8'));

/** A registry folder: v1/model.onnx with its Fisher file beside it, the forget folder, a request. */
function registry(request: Record<string, unknown>): { dir: string; path: string; before: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'scrub-request-'));
  mkdirSync(join(dir, 'v1'));
  cpSync('models/cnn.onnx', join(dir, 'v1', 'model.onnx'));
  cpSync('models/cnn.fisher', join(dir, 'v1', 'model.fisher'));
  cpSync('models/forget', join(dir, 'forget'), { recursive: true });
  const path = join(dir, 'request.json');
  writeFileSync(path, JSON.stringify(request));
  return { dir, path, before: list(dir) };
}

const list = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();
const base = { model: 'v1/model.onnx', out: 'v2/model.onnx', forget: 'forget' };

describe('scrub request', () => {
  it('accepted: writes the model and its record, prints one verdict line, exit 0', async () => {
    const { dir, path } = registry({ ...base, gates: ['forget_acc<=0.5'] });
    mkdirSync(join(dir, 'v2'));
    const r = await run('request', path, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/^accepted: .*v2\/model\.onnx \(record .*v2\/model\.record\.json\)$/);
    expect(readdirSync(join(dir, 'v2')).sort()).toEqual(['model.onnx', 'model.record.json']);
    expect((await run('verify', join(dir, 'v2', 'model.onnx'), join(dir, 'v2', 'model.record.json'))).code).toBe(0);
  });

  it('a failing gate: exit 1, no model written, the rejected record names the verdict', async () => {
    const { dir, path } = registry({ ...base, out: 'v2.onnx', gates: ['forget_acc<=0.001', 'forget_loss>=0'] });
    const r = await run('request', path, '--json');
    expect(r.code, r.err).toBe(1);
    const report = JSON.parse(r.out);
    expect(validateReport(report)).toEqual([]);
    expect(report.verdict).toBe('rejected');
    const actual = report.report.metrics.after.values.forget_acc;
    const record = join(dir, 'v2.rejected.record.json');
    expect(report.line).toBe(`rejected: forget_acc ${actual.toFixed(4)} > 0.001; no model written (record ${record})`);
    expect(r.err).toMatch(/gate failed: forget_acc<=0.001/);
    expect(existsSync(join(dir, 'v2.onnx'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('v2') || f.startsWith('.'))).toEqual([
      'v2.rejected.record.json',
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'v2.rejected.record.json'), 'utf8')).acceptance.verdict).toBe('rejected');
  });

  it.skipIf(noFashionMnist)('ids into a named data set: forgets exactly those examples', async () => {
    // in any order, some twice: counted once each, said in the request's words
    const ids = CLASS0.slice(0, 64);
    const { dir, path } = registry({
      ...base,
      datasets: { train: `${FM}/train-images-idx3-ubyte.gz@0:55000` },
      forget: { dataset: 'train', ids: [...ids.slice(1).reverse(), ids[0], ids[0], ids[5]] },
      gates: ['forget_acc<=1'],
    });
    mkdirSync(join(dir, 'v2'));
    const r = await run('request', path, '--json', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`note: ${path}: /forget/ids: 2 repeated id(s) counted once\n`);
    expect(r.err).not.toMatch(/ids\.json|ascending/);
    const report = JSON.parse(r.out).report;
    expect(report.forget.count).toBe(64);
    expect(report.forget.source).toMatch(/^train ids \(64 of /);
    const record = JSON.parse(readFileSync(join(dir, 'v2', 'model.record.json'), 'utf8'));
    expect(record.forgetSet).toMatchObject({ count: 64, source: report.forget.source });
  });
});

describe('scrub request: bad input exits 2 naming the field, and writes nothing', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'a model path that does not exist',
      { ...base, model: 'v1/nope.onnx', gates: ['forget_acc<=0.5'] },
      /\/model: .*v1\/nope\.onnx: no such file/,
    ],
    [
      'a forget folder that does not exist',
      { ...base, forget: 'gone', gates: ['forget_acc<=0.5'] },
      /gone: no such file or folder/,
    ],
    ['no gates', { ...base }, /\/gates: is required/],
    [
      'a field of the wrong type and an unknown one',
      { ...base, alpha: 'ten', colour: 'red', gates: ['forget_acc<=0.5'] },
      /(?=.*\/alpha: must be a positive number or "auto")(?=.*\/colour: is not a known field)/,
    ],
    [
      'a gate that does not parse',
      { ...base, gates: ['forget_acc<0.5'] },
      /\/gates\/0: "forget_acc<0.5" is not METRIC<=NUMBER or METRIC>=NUMBER/,
    ],
    [
      'a gate on a metric the run cannot compute',
      { ...base, gates: ['forget_acc<=0.5', 'mia<=0.6'] },
      /\/gates\/1: 'mia<=0.6': mia is not computed by this run/,
    ],
    [
      '∇τ without val',
      { ...base, method: 'gradtau', retain: 'forget', gates: ['forget_acc<=0.5'] },
      /\/val: is required/,
    ],
    [
      'more workers than the machine runs threads at once',
      { ...base, workers: availableParallelism() + 1, gates: ['forget_acc<=0.5'] },
      new RegExp(`request\\.json: /workers: ${availableParallelism() + 1}: this machine runs`),
    ],
    [
      'more threads than the machine runs at once',
      { ...base, threads: availableParallelism() + 1, gates: ['forget_acc<=0.5'] },
      new RegExp(`request\\.json: /threads: ${availableParallelism() + 1}: this machine runs`),
    ],
    [
      'an unknown method',
      { ...base, method: 'retrain', gates: ['forget_acc<=0.5'] },
      /\/method: must be one of "ssd", "lf-ssd", "gradtau"/,
    ],
    [
      'ids that are not integers',
      { ...base, datasets: { t: 'forget' }, forget: { dataset: 't', ids: [1, 'two'] }, gates: ['forget_acc<=0.5'] },
      /\/forget\/ids\/1: must be integer/,
    ],
    [
      'an unknown data set',
      { ...base, datasets: { t: 'forget' }, forget: { dataset: 'train', ids: [1] }, gates: ['forget_acc<=0.5'] },
      /\/forget\/dataset: no data set named "train" in \/datasets \(it names t\)/,
    ],
    [
      'ids outside the named data set',
      {
        ...base,
        datasets: { train: `${FM}/train-images-idx3-ubyte.gz@0:55000` },
        forget: { dataset: 'train', ids: [1, 55000, 70000] },
        gates: ['forget_acc<=0.5'],
      },
      /\/forget\/ids: 2 id\(s\) not in data set "train" .*55000 of the source's 60000 examples\): 55000, 70000\./,
    ],
  ];
  it.skipIf(noFashionMnist).each(cases)('%s', async (_, request, message) => {
    const { dir, path, before } = registry(request);
    const r = await run('request', path, '--quiet');
    expect(r.code, r.err).toBe(2);
    expect(r.err.split('\n').filter((l) => l.startsWith('scrub:'))).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(list(dir)).toEqual(before);
  });

  it('a request file that is not JSON, or missing', async () => {
    const { dir } = registry({});
    writeFileSync(join(dir, 'broken.json'), '{"model": ');
    expect((await run('request', join(dir, 'broken.json'))).err).toMatch(/broken\.json: not valid JSON/);
    const r = await run('request', join(dir, 'none.json'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/none\.json: no such request file/);
  });
});
