// How forward passes (the evaluation, SSD's check of the edited model) use the cores where neither
// --threads nor --device is given (runtime/forward.ts, parallel.ts settleForm): a long pass's first batch
// measures ONNX Runtime's default threads against a thread per core, the choice is kept per model graph
// (an edited model shares its input's), rows and machine, the logits are the same to the bit in every
// form, and the record, the eval report and the summaries say the threads where they were measured.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reportSchema, validateReport } from '../src/api/schema.js';
import { ranOn } from '../src/cli/options.js';
import { compileSchema } from '../src/core/schema.js';
import { describeModel } from '../src/eval/run.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { runSettings } from '../src/record/record.js';
import { initialWeights } from '../src/context/index.js';
import { forwardChoiceFile, ForwardModel, structureKey } from '../src/runtime/forward.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { candidates, hostKey, keepChoice, type FormMemo, type ParallelChoice } from '../src/runtime/parallel.js';
import { ortVersion } from '../src/runtime/session.js';
import { batch, FIXTURES } from './support/fixtures.js';

const CNN = `${FIXTURES}/models/cnn.onnx`;
const MLP = `${FIXTURES}/models/mlp.onnx`;
const SCRUB = fileURLToPath(new URL('../scrub.js', import.meta.url));

/** cnn with every weight of its first initializer scaled: the same graph, other values. */
function edited(dir: string): string {
  const model = loadModel(CNN);
  const [name, t] = [...model.graph.initializers].find(([, t]) => t.dims.length > 1)!;
  const out = join(dir, 'edited.onnx');
  writeModel(model, out, new Map([[name, tensorToFloat32(t).map((v) => v * 0.5)]]));
  return out;
}

describe('the key of a forward choice', () => {
  it("is the graph's, not its weights': an edited model shares it; another model or output does not", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
    const cnn = loadModel(CNN);
    const other = loadModel(edited(dir));
    expect(other.bytes).not.toEqual(cnn.bytes);
    expect(structureKey(other, 'logits')).toBe(structureKey(cnn, 'logits'));
    expect(structureKey(loadModel(MLP), 'logits')).not.toBe(structureKey(cnn, 'logits'));
    expect(structureKey(cnn, 'other')).not.toBe(structureKey(cnn, 'logits'));
    expect(forwardChoiceFile('/c', cnn, 'logits')).toBe(`/c/${structureKey(cnn, 'logits')}.forward.parallel.json`);
  });

  it('a record and the summary say the threads of the forward passes; the schema takes them', () => {
    const model = loadModel(CNN);
    const forward: ParallelChoice = {
      threads: 2,
      by: 'measured',
      rows: 64,
      tried: [{ ms: 339 }, { threads: 2, ms: 177.5 }],
    };
    const s = runSettings(model, { model: CNN }, undefined, undefined, forward);
    expect(s.forward).toEqual({ threads: 2, by: 'measured', rows: 64, tried: forward.tried });
    expect(s).not.toHaveProperty('parallel');
    expect(ranOn({ device: 'cpu', ...s.forward, parallel: s.forward })).toBe('cpu, 2 threads: chosen by measurement');
    expect(runSettings(model, { model: CNN }, undefined, undefined, { by: 'options' })).not.toHaveProperty('forward');
    const { definitions } = reportSchema() as { definitions: object };
    const valid = compileSchema({ definitions, $ref: '#/definitions/settings' });
    expect(valid(JSON.parse(JSON.stringify(s))), JSON.stringify(valid.errors)).toBe(true);
    expect(valid({ ...s, forward: { ...s.forward, tried: [{ threads: 2 }] } })).toBe(false);
  });
});

describe.runIf(availableParallelism() > 1)('a forward model with neither threads nor a device', () => {
  // 4,096 rows (the 64 of the batch, 64 times over): cnn's forward runs then take long enough to measure
  const b = batch();
  const x = { data: new Float32Array(b.x.data.length * 64), dims: [b.x.dims[0] * 64, ...b.x.dims.slice(1)] };
  for (let k = 0; k < 64; k++) x.data.set(b.x.data, k * b.x.data.length);

  it(
    "measures a long pass and keeps the choice (an edited model takes it); a short one keeps ORT's default",
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
      const cache = join(dir, 'cache');
      const { inputs, head } = await describeModel(CNN);
      const open = (path: string, threads?: number, notes?: string[]) =>
        ForwardModel.open(path, inputs, { head, cache, threads, onNote: (m) => notes?.push(m) });
      const one = await open(CNN, 1);
      const l0 = await one.logits(x);
      await one.release();

      const short = await open(CNN);
      short.plan(1);
      expect(await short.logits(x)).toEqual(l0);
      expect(short.parallel).toEqual({ threads: undefined, by: 'options' });
      await short.release();
      expect(existsSync(cache)).toBe(false);

      const notes: string[] = [];
      const long = await open(CNN, undefined, notes);
      long.plan(1000);
      expect(await long.logits(x)).toEqual(l0);
      expect(await long.logits(x)).toEqual(l0);
      const p = long.parallel;
      expect(p).toMatchObject({ by: 'measured', rows: 4096 });
      expect(p.tried!.map((f) => f.threads)).toEqual(candidates(availableParallelism(), false).map((f) => f.threads));
      expect(p.tried!.every((f) => f.ms! > 0)).toBe(true);
      expect(notes.join('\n')).toMatch(
        /^timing this forward pass's first batch with ONNX Runtime's default threads and/,
      );
      expect(notes.join('\n')).toMatch(/ \d+ threads, to run the pass in the fastest \(.*; --threads skips this\)$/);
      await long.release();
      expect(readdirSync(cache)).toEqual([forwardChoiceFile('', loadModel(CNN), head.logits).slice(1)]);

      // the edited model (the same graph) takes it without measuring, even on a short pass
      const other = await open(edited(dir));
      other.plan(1);
      await other.logits(x);
      expect(other.parallel).toEqual({ ...p, by: 'cached' });
      await other.release();
      // rows are part of the key: another batch size is not given the choice
      const fewer = await open(CNN);
      fewer.plan(1);
      await fewer.logits({ ...b.x });
      expect(fewer.parallel.by).toBe('options');
      await fewer.release();
    },
  );

  it(
    "a gradient model's forward passes (∇τ's, finetune's) measure their threads the same way",
    {
      timeout: 120_000,
    },
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
      const model = loadModel(CNN);
      const one = await GradientModel.open(model, { cache, threads: 1 });
      const weights = new Map([...initialWeights(model, one)].map(([k, w]) => [k, w.map((v) => v * 0.9)]));
      const l0 = await one.logits(x, weights);
      await one.release();
      const gm = await GradientModel.open(model, { cache });
      gm.planLogits(1);
      expect(await gm.logits(x, weights)).toEqual(l0);
      expect(gm.logitsParallel.by).toBe('options');
      gm.planLogits(1000);
      expect(await gm.logits(x, weights)).toEqual(l0);
      expect(gm.logitsParallel).toMatchObject({ by: 'measured', rows: 4096 });
      expect(await gm.logits(x, weights)).toEqual(l0);
      // the gradient runs' own form is not settled by it
      expect(gm.parallel.by).toBe('options');
      await gm.release();
      expect(readdirSync(cache).filter((f) => f.endsWith('.logits.parallel.json'))).toHaveLength(1);
      const again = await GradientModel.open(model, { cache });
      again.planLogits(1);
      expect(await again.logits(x, weights)).toEqual(l0);
      expect(again.logitsParallel).toEqual({ ...gm.logitsParallel, by: 'cached' });
      await again.release();
    },
  );

  it(
    "an unwritable cache, one note; a run's second model of the same graph takes the first's choice as made",
    {
      timeout: 120_000,
    },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
      // a cache that cannot keep it: without the run's memo the second would measure again
      const cache = join(dir, 'a file');
      writeFileSync(cache, '');
      const { inputs, head } = await describeModel(CNN);
      const notes: string[] = [];
      const memo: FormMemo = new Map();
      const open = (path: string) =>
        ForwardModel.open(path, inputs, { head, cache, memo, onNote: (m) => notes.push(m) });
      const first = await open(CNN);
      first.plan(1000);
      const l0 = await first.logits(x);
      await first.release();
      expect(first.parallel.by).toBe('measured');
      // timing, then the cache's failure: the pass still runs in the form measured
      expect(notes).toHaveLength(2);
      expect(notes[1]).toMatch(/could not be kept in .*a file.*: the next long pass measures again/);
      const second = await open(edited(dir));
      second.plan(1000);
      await second.logits(x);
      await second.release();
      expect(second.parallel).toEqual(first.parallel);
      expect(notes).toHaveLength(2);
      // without the memo: measured again
      const alone = await ForwardModel.open(CNN, inputs, { head, cache, onNote: (m) => notes.push(m) });
      alone.plan(1000);
      expect(await alone.logits(x)).toEqual(l0);
      await alone.release();
      expect(notes).toHaveLength(4);
    },
  );

  it('an abort while measuring rejects at its next run, keeping no choice', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
    const { inputs, head } = await describeModel(CNN);
    const stop = new AbortController();
    const fm = await ForwardModel.open(CNN, inputs, { head, cache, onNote: () => stop.abort(new Error('stopped')) });
    fm.plan(100_000, stop.signal);
    await expect(fm.logits(x)).rejects.toThrow('stopped');
    await fm.release();
    expect(readdirSync(cache)).toEqual([]);
  });
});

describe.runIf(availableParallelism() > 1)('commands with a kept forward choice', () => {
  const data = `${FIXTURES}/batch/x.npy,${FIXTURES}/batch/y.npy`;
  const dir = mkdtempSync(join(tmpdir(), 'scrub-fwd-'));
  const cache = join(dir, 'cache');
  const env = { ...process.env, SCRUB_CACHE_DIR: cache };
  const scrub = (...args: string[]) =>
    spawnSync(process.execPath, [SCRUB, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const keep = async (rows: number) => {
    const { head } = await describeModel(CNN);
    const forms = candidates(availableParallelism(), false);
    const e = keepChoice(
      forwardChoiceFile(cache, loadModel(CNN), head.logits),
      hostKey(ortVersion()),
      rows,
      forms,
      [9, 6],
      1,
    );
    expect(e).toBeUndefined();
    return forms[1].threads;
  };

  it('scrub eval: its summary, --json report (which validates) and record say the threads', async () => {
    const threads = await keep(64);
    const record = join(dir, 'eval.record.json');
    const text = scrub('eval', CNN, '--forget', data, '-o', record, '--quiet');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`evaluated in [0-9.]+ s \\(cpu, ${threads} threads: chosen by an earlier run's measurement\\)`),
    );
    const json = scrub('eval', CNN, '--forget', data, '-o', record, '--quiet', '--json');
    const report = JSON.parse(json.stdout);
    expect(report.parallel).toMatchObject({ threads, by: 'cached', rows: 64 });
    expect(validateReport(report)).toEqual([]);
    expect(JSON.parse(readFileSync(record, 'utf8')).settings.forward).toEqual(report.parallel);
    const given = scrub('eval', CNN, '--forget', data, '-o', record, '--quiet', '--json', '--threads', '1');
    expect(JSON.parse(given.stdout)).not.toHaveProperty('parallel');
    expect(JSON.parse(readFileSync(record, 'utf8')).settings).not.toHaveProperty('forward');
  });

  it("the main command: SSD's check and the record's evaluation take it; the summary says so", async () => {
    // the forget set's 16 rows: SSD's check and the evaluation run batches of 16
    const threads = await keep(16);
    const out = join(dir, 'm.onnx');
    const r = scrub(CNN, `${data}@0:16`, '--train', data, '-o', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`\n  evaluated on     cpu, ${threads} threads: chosen by an earlier run's measurement\n`),
    );
    const record = JSON.parse(readFileSync(join(dir, 'm.record.json'), 'utf8'));
    expect(record.settings.forward).toMatchObject({ threads, by: 'cached', rows: 16 });
    expect(record.settings).not.toHaveProperty('parallel');
  });
});
