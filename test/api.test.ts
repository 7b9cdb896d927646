// The library API: the same engine and the same report as the command line, cancellation that
// leaves nothing behind, and reports that conform to the published schema.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  evaluate,
  fisher,
  inspect,
  mergeFisher,
  unlearn,
  validateReport,
  verify,
  ScrubError,
  REPORT_SCHEMA,
  type UnlearnReport,
} from '../src/index.js';
import { FIXTURES } from './support/fixtures.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

// the fixture CNN as embedded (with its normalisation as metadata) and its Fisher file
const MODEL = 'models/cnn.onnx';
const CLASS0 = `${FM}/train-images-idx3-ubyte.gz@${FIXTURES}/scenarios/class0.json`;
const TEST = `${FM}/t10k-images-idx3-ubyte.gz@0:1000`;
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-api-'));

/** The report without what differs between two runs of the same job: timings and the output folder. */
function comparable(r: unknown, dir: string): unknown {
  return JSON.parse(JSON.stringify(r).replaceAll(dir, 'DIR'), (k, v) => (k === 'seconds' ? undefined : v));
}

describe.skipIf(noFashionMnist)('unlearn(): SSD on the fixture cnn, class0', () => {
  it('returns the report the CLI prints with --json, and writes the same model', async () => {
    const [a, b] = [tmp(), tmp()];
    const stages = new Set<string>();
    const api = await unlearn({
      model: MODEL,
      forget: CLASS0,
      // the paper's α, compared with PyTorch's SSD below
      alpha: 10,
      out: join(a, 'cnn.onnx'),
      test: TEST,
      require: ['forget_acc<=0.5', 'test_acc>=0.8'],
      threads: 1,
      onProgress: (s) => stages.add(s),
    });
    const cli = await run(
      MODEL,
      CLASS0,
      '--alpha',
      '10',
      '-o',
      join(b, 'cnn.onnx'),
      '--test',
      TEST,
      '--require',
      'forget_acc<=0.5',
      '--require',
      'test_acc>=0.8',
      '--threads',
      '1',
      '--json',
    );
    expect(cli.code, cli.err).toBe(0);
    const printed = JSON.parse(cli.out);
    expect(comparable(api, a)).toEqual(comparable(printed, b));
    expect(api.forget.count).toBe(JSON.parse(readFileSync(`${FIXTURES}/scenarios/class0.json`, 'utf8')).length);
    expect(api.acceptance.verdict).toBe('accepted');
    expect(api.output.written).toBe(true);
    // PyTorch's SSD on the same scenario (report.json)
    const reference = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8')).cnn.scenarios.class0.ssd.forget_acc;
    expect(Math.abs(api.metrics.after!.values.forget_acc - reference)).toBeLessThan(0.01);
    expect(readFileSync(join(a, 'cnn.onnx')).equals(readFileSync(join(b, 'cnn.onnx')))).toBe(true);
    expect(readdirSync(a).sort()).toEqual(['cnn.onnx', 'cnn.record.json']);
    expect([...stages]).toEqual(expect.arrayContaining(['forget', 'evaluate', 'test']));
    expect(validateReport(api)).toEqual([]);
    expect(validateReport(printed)).toEqual([]);
    expect((await verify({ model: api.output.path, record: api.record })).ok).toBe(true);
    // the record's evaluation read the forget set from the batches SSD's pass kept in memory: the same
    // metrics, to the bit, as evaluating both models afresh from the file
    const models = [
      [MODEL, api.metrics.before!],
      [api.output.path, api.metrics.after!],
    ] as const;
    for (const [k, [model, metrics]] of models.entries()) {
      const out = join(b, `fresh${k}.record.json`);
      const fresh = await evaluate({ model, forget: CLASS0, test: TEST, threads: 1, seed: 0, out });
      expect(metrics.values).toEqual(fresh.metrics.values);
      expect(metrics.values).toHaveProperty('forget_loss');
    }
  });
});

describe('unlearn(): gates and cancellation', () => {
  const FORGET = 'models/forget';

  it('a failing gate writes no model, only the rejected record, and the report says so', async () => {
    const dir = tmp();
    const r = await unlearn({
      model: MODEL,
      forget: FORGET,
      out: join(dir, 'o.onnx'),
      require: ['forget_acc<=0.0001'],
    });
    expect(r.acceptance.verdict).toBe('rejected');
    expect(r.output).toMatchObject({ path: join(dir, 'o.onnx'), written: false });
    expect(readdirSync(dir)).toEqual(['o.rejected.record.json']);
    const record = JSON.parse(readFileSync(r.record, 'utf8'));
    expect(record.acceptance.verdict).toBe('rejected');
    expect(record.output).toBeUndefined();
    expect(record.metrics.after.values.forget_acc).toBe(r.metrics.after!.values.forget_acc);
    expect(validateReport(r)).toEqual([]);
    await expect(verify({ model: join(dir, 'o.onnx'), record: r.record })).rejects.toThrow(/describes no output model/);
  });

  // abort at the first progress report (the forget set's importance), then once the edited model is
  // staged and the record's evaluation runs (its first test-set batch)
  it.skipIf(noFashionMnist).each(['forget', 'test'])(
    'an abort at the first %s progress rejects with an AbortError and leaves the folder as it was',
    async (stage) => {
      const dir = tmp();
      writeFileSync(join(dir, 'existing.txt'), 'keep');
      const controller = new AbortController();
      let calls = 0;
      const p = unlearn({
        model: MODEL,
        forget: FORGET,
        out: join(dir, 'o.onnx'),
        test: TEST,
        signal: controller.signal,
        onProgress: (s) => {
          calls++;
          if (s === stage) controller.abort();
        },
      });
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).name).toBe('AbortError');
      expect(calls).toBeGreaterThan(0);
      expect(readdirSync(dir)).toEqual(['existing.txt']);
    },
  );

  it('an already aborted signal stops before any work', async () => {
    const dir = tmp();
    const stages: string[] = [];
    const e = await unlearn({
      model: MODEL,
      forget: FORGET,
      out: join(dir, 'o.onnx'),
      signal: AbortSignal.abort(),
      onProgress: (s) => stages.push(s),
    }).catch((err: Error) => err);
    expect((e as Error).name).toBe('AbortError');
    expect(stages).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('passes the ∇τ options through (the schedule is checked by the ∇τ run itself)', async () => {
    const e = await unlearn({
      model: `${FIXTURES}/models/mlp.onnx`,
      forget: FORGET,
      method: 'gradtau',
      retain: FORGET,
      val: FORGET,
      schedule: 'bogus',
      out: join(tmp(), 'o.onnx'),
    }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(ScrubError);
    expect((e as Error).message).toMatch(/--schedule bogus/);
  });

  it('refuses an unknown method and a gate on a metric it cannot compute, before any work', async () => {
    const dir = tmp();
    await expect(
      unlearn({ model: MODEL, forget: FORGET, out: join(dir, 'o.onnx'), method: 'retrain' as never }),
    ).rejects.toThrow(/method retrain/);
    await expect(
      unlearn({ model: MODEL, forget: FORGET, out: join(dir, 'o.onnx'), require: ['mia<=0.5'] }),
    ).rejects.toThrow(/mia is not computed by this run \(add --retain\/--test\/--retrain for more\)/);
    // a name that is no metric, and a metric of the other kind of head: said so, without the sets' hint
    await expect(
      unlearn({ model: MODEL, forget: FORGET, out: join(dir, 'o.onnx'), require: ['accuracy>=0.5'] }),
    ).rejects.toThrow(/'accuracy>=0\.5': accuracy is not a metric scrub computes; available: forget_acc/);
    await expect(
      unlearn({ model: MODEL, forget: FORGET, out: join(dir, 'o.onnx'), require: ['forget_micro_f1>=0'] }),
    ).rejects.toThrow(
      new RegExp(
        "forget_micro_f1 is a metric of multi-label heads, and this model's is single-label; " +
          'available: forget_acc, forget_loss\\.$',
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the other functions, their reports and the schema', () => {
  afterEach(() => vi.restoreAllMocks());

  it.skipIf(noFashionMnist)(
    'fisher, evaluate, verify and inspect conform to the schema, print nothing, and match their --json',
    async () => {
      const dir = tmp();
      const writes = [
        vi.spyOn(process.stdout, 'write'),
        vi.spyOn(process.stderr, 'write'),
        vi.spyOn(console, 'log'),
        vi.spyOn(console, 'error'),
      ];
      cpSync('models/forget', join(dir, 'train'), { recursive: true });
      const f = await fisher({ model: MODEL, train: join(dir, 'train'), out: join(dir, 'small.fisher') });
      const e = await evaluate({
        model: MODEL,
        forget: 'models/forget',
        test: TEST,
        require: ['test_acc>=0.5'],
        out: join(dir, 'eval.json'),
      });
      const u = await unlearn({
        model: MODEL,
        forget: 'models/forget@0:32',
        fisher: join(dir, 'small.fisher'),
        out: join(dir, 'o.onnx'),
      });
      const v = await verify({ model: u.output.path, record: u.record });
      const i = await inspect({ model: MODEL });
      for (const w of writes) expect(w).not.toHaveBeenCalled();
      vi.restoreAllMocks();

      for (const r of [f, e, u, v, i]) {
        expect(r.schema).toBe(REPORT_SCHEMA);
        expect(validateReport(r), r.kind).toEqual([]);
      }
      expect(f).toMatchObject({ kind: 'fisher', fisherKind: 'ssd-importance', data: { count: 256 } });
      expect(e.acceptance.verdict).toBe('accepted');
      expect(v.ok).toBe(true);
      expect(i.parameters.length).toBe(8);

      const cliEval = JSON.parse(
        (
          await run(
            'eval',
            MODEL,
            '--forget',
            'models/forget',
            '--test',
            TEST,
            '--require',
            'test_acc>=0.5',
            '-o',
            join(dir, 'eval2.json'),
            '--json',
          )
        ).out,
      );
      expect(comparable(cliEval, 'eval2.json')).toEqual(comparable(e, 'eval.json'));
      expect(JSON.parse((await run('verify', u.output.path, u.record, '--json')).out)).toEqual(v);
      expect(JSON.parse((await run('inspect', MODEL, '--json')).out)).toEqual(i);
    },
  );

  const shardTitle =
    'fisher with shard, and mergeFisher: the single pass header, ' + 'schema-valid reports, the --json of the CLI';
  it(shardTitle, async () => {
    const dir = tmp();
    cpSync('models/forget', join(dir, 'train'), { recursive: true });
    const train = join(dir, 'train');
    const whole = await fisher({ model: MODEL, train, out: join(dir, 'whole.fisher'), threads: 1 });
    const parts = [];
    for (const k of [2, 0, 1])
      parts.push(await fisher({ model: MODEL, train, out: join(dir, `p${k}.fisher`), shard: `${k}/3`, threads: 1 }));
    for (const p of parts) expect(validateReport(p), p.fisher).toEqual([]);
    expect(parts.map((p) => p.shard!.index)).toEqual([2, 0, 1]);
    expect(parts[1].shard).toMatchObject({ of: 3, batches: [0, 1] });
    const merged = await mergeFisher({ parts: parts.map((p) => p.fisher), out: join(dir, 'merged.fisher') });
    expect(validateReport(merged)).toEqual([]);
    expect(merged.parts).toHaveLength(3);
    const { fisher: _a, parts: _b, createdBy: _c, ...m } = merged;
    const { fisher: _d, createdBy: _e, ...w } = whole;
    expect(m).toEqual(w);
    const cli = await run(
      'fisher',
      'merge',
      ...parts.map((p) => p.fisher),
      '-o',
      join(dir, 'merged2.fisher'),
      '--json',
    );
    expect(cli.code, cli.err).toBe(0);
    expect(comparable(JSON.parse(cli.out), 'merged2.fisher')).toEqual(comparable(merged, 'merged.fisher'));
  });

  it('the schema catches a report that breaks it, naming the field', () => {
    const bad = {
      schema: REPORT_SCHEMA,
      kind: 'verify',
      model: 'm.onnx',
      record: 'r.json',
      ok: 'yes',
      problems: [],
      checked: { files: 1, tensors: 2 },
      verdict: 'accepted',
      extra: 1,
    };
    const problems = validateReport(bad);
    expect(problems).toContain('/ok: must be boolean');
    expect(problems).toContain('/extra: is not a known field');
    const unlearned = { schema: REPORT_SCHEMA, kind: 'unlearn', method: 'ssd' } as unknown as UnlearnReport;
    expect(validateReport(unlearned).join('\n')).toMatch(/\/output: is required/);
  });
});
