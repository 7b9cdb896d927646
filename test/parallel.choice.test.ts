// How a gradient pass uses the cores when neither --threads nor --workers is given (runtime/parallel.ts):
// the forms tried, the choice with its margin, the cache that makes the same command run the same way,
// a long pass measuring on its first batch and running every batch in the form it chose (bit for bit
// the result of that form given explicitly), a short pass staying single-threaded, and the record and
// summary naming the form.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reportSchema, validateReport } from '../src/api/schema.js';
import { compileSchema } from '../src/core/schema.js';
import { ranOn } from '../src/cli/options.js';
import { loadModel } from '../src/graph/load.js';
import { runSettings } from '../src/record/record.js';
import { GradientModel, type GradientResult } from '../src/runtime/gradient.js';
import { ortVersion } from '../src/runtime/session.js';
import {
  cachedChoice,
  candidates,
  choiceFile,
  fastest,
  hostKey,
  keepChoice,
  PARALLEL_MARGIN,
  type ParallelChoice,
} from '../src/runtime/parallel.js';
import { batch, FIXTURES } from './support/fixtures.js';

const CNN = `${FIXTURES}/models/cnn.onnx`;
const SCRUB = fileURLToPath(new URL('../scrub.js', import.meta.url));

/** The batch `times` over: inputs and labels repeated. */
function tiled(b: ReturnType<typeof batch>, times: number) {
  const data = new Float32Array(b.x.data.length * times);
  const y = new BigInt64Array(b.y.length * times);
  for (let k = 0; k < times; k++) {
    data.set(b.x.data, k * b.x.data.length);
    y.set(b.y, k * b.y.length);
  }
  return { x: { data, dims: [b.x.dims[0] * times, ...b.x.dims.slice(1)] }, y };
}

describe('the forms and the choice (pure)', () => {
  it("tries ONNX Runtime's default threads, a thread per core and a worker per core, simplest first", () => {
    expect(candidates(1, true)).toEqual([{}]);
    expect(candidates(2, true)).toEqual([{}, { threads: 2 }, { threads: 1, workers: 2 }]);
    expect(candidates(2, false)).toEqual([{}, { threads: 2 }]);
    expect(candidates(64, true)[2]).toEqual({ threads: 1, workers: 8 });
  });

  it('keeps a simpler form unless another beats it by the margin', () => {
    expect(PARALLEL_MARGIN).toBeLessThan(1);
    expect(fastest([10, 9.5, 9.2])).toBe(0);
    expect(fastest([10, 8, 9])).toBe(1);
    expect(fastest([10, 8, 7])).toBe(2);
    expect(fastest([10, 12, 5])).toBe(2);
    expect(fastest([10, Infinity, 11])).toBe(0);
    expect(() => fastest([])).toThrow(RangeError);
  });

  it('caches a choice by host, rows and forms; another host, rows or set of forms measures again', () => {
    const file = choiceFile(mkdtempSync(join(tmpdir(), 'scrub-par-')), 'key', true);
    const forms = candidates(2, true);
    expect(cachedChoice(file, 'h', 64, forms)).toBeUndefined();
    keepChoice(file, 'h', 64, forms, [10, Infinity, 6], 2);
    expect(cachedChoice(file, 'h', 64, forms)).toEqual({
      threads: 1,
      workers: 2,
      by: 'cached',
      rows: 64,
      tried: [{ ms: 10 }, { threads: 2, ms: null }, { threads: 1, workers: 2, ms: 6 }],
    });
    expect(cachedChoice(file, 'other host', 64, forms)).toBeUndefined();
    expect(cachedChoice(file, 'h', 32, forms)).toBeUndefined();
    expect(cachedChoice(file, 'h', 64, candidates(2, false))).toBeUndefined();
    expect(cachedChoice(undefined, 'h', 64, forms)).toBeUndefined();
  });

  it('a record says which form ran and how it was chosen; the summary line too', () => {
    const model = loadModel(CNN);
    const choice: ParallelChoice = {
      threads: 1,
      workers: 2,
      by: 'measured',
      rows: 64,
      tried: [{ ms: 10.5 }, { threads: 2, ms: 8.4 }, { threads: 1, workers: 2, ms: 5.2 }],
    };
    const s = runSettings(model, { model: CNN }, undefined, choice);
    expect(s).toMatchObject({ threads: 1, workers: 2, parallel: { by: 'measured', rows: 64, tried: choice.tried } });
    expect(ranOn(s)).toBe('cpu, 2 workers, 1 thread each: chosen by measurement');
    expect(ranOn({ ...s, threads: 2, workers: undefined, parallel: { by: 'cached' } })).toBe(
      "cpu, 2 threads: chosen by an earlier run's measurement",
    );
    expect(ranOn({ device: 'cpu', parallel: { by: 'measured' } })).toBe(
      "cpu, ONNX Runtime's default threads: chosen by measurement",
    );
    // given options (or none): as before, no `parallel`
    expect(runSettings(model, { model: CNN, threads: 2 }, undefined, { threads: 2, by: 'options' })).not.toHaveProperty(
      'parallel',
    );
    expect(ranOn(runSettings(model, { model: CNN }))).toBe('cpu');
    // the report schema's settings take them, and refuse a form without its time
    const { definitions } = reportSchema() as { definitions: object };
    const valid = compileSchema({ definitions, $ref: '#/definitions/settings' });
    expect(valid(JSON.parse(JSON.stringify(s))), JSON.stringify(valid.errors)).toBe(true);
    expect(valid({ ...s, parallel: { ...s.parallel, tried: [{ threads: 1 }] } })).toBe(false);
    expect(valid({ ...s, parallel: { ...s.parallel, tried: [{ ms: 1 }, { threads: 0, ms: 1 }] } })).toBe(false);
  });
});

describe.runIf(availableParallelism() > 1)('a gradient model with neither threads nor workers', () => {
  // 1,024 rows (the 64 of the batch, 16 times over): cnn's runs then take long enough to measure
  const x = tiled(batch(), 16);
  const input = x.x;

  const same = (a: GradientResult, b: GradientResult) => {
    expect(a.loss).toBe(b.loss);
    for (const [k, g] of a.grads) expect(b.grads.get(k)).toEqual(g);
  };

  it(
    "measures a long pass, runs in the form it chose, keeps it for the next run; a short pass keeps ORT's default",
    { timeout: 120_000 },
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'scrub-par-'));
      const model = loadModel(CNN);
      // a short pass: ONNX Runtime's default threads, nothing measured or kept
      const short = await GradientModel.open(model, { cache, frozen: true });
      short.plan(3);
      const r0 = await short.run(input, x.y);
      expect(short.parallel).toEqual({ by: 'options' });
      await short.release();
      expect(readdirSync(cache).some((f) => f.endsWith('.parallel.json'))).toBe(false);
      const unplanned = await GradientModel.open(model, { cache, frozen: true });
      same(r0, await unplanned.run(input, x.y));
      expect(unplanned.parallel.by).toBe('options');
      await unplanned.release();

      // a long pass measures on its first batch
      const gm = await GradientModel.open(model, { cache, frozen: true });
      gm.plan(100_000);
      const r1 = await gm.run(input, x.y);
      const p = gm.parallel;
      expect(p.by).toBe('measured');
      expect(p.rows).toBe(1024);
      expect(p.tried!.map(({ threads, workers }) => ({ threads, ...(workers && { workers }) }))).toEqual(
        candidates(availableParallelism(), true),
      );
      for (const t of p.tried!) expect(t.ms).toBeGreaterThan(0);
      const r2 = await gm.run(input, x.y);
      await gm.release();
      same(r1, r2);
      // every batch ran in the chosen form: bit for bit that form given explicitly
      const explicit = await GradientModel.open(model, {
        cache,
        frozen: true,
        ...(p.workers ? { workers: p.workers } : p.threads ? { threads: p.threads } : { cache: false }),
      });
      same(r1, await explicit.run(input, x.y));
      await explicit.release();
      const file = readdirSync(cache).find((f) => f.endsWith('.frozen.parallel.json'));
      expect(file).toBeDefined();
      expect(existsSync(join(cache, file!))).toBe(true);

      // the next run takes the cached choice without measuring, even on a short pass
      const again = await GradientModel.open(model, { cache, frozen: true });
      again.plan(1);
      same(r1, await again.run(input, x.y));
      expect(again.parallel).toEqual({ ...p, by: 'cached' });
      await again.release();
      const kept = JSON.parse(readFileSync(join(cache, file!), 'utf8'));
      expect(Object.keys(kept.choices)).toHaveLength(1);

      // a kept choice of workers: the runs split over them, bit for bit as --workers gives, not as one session
      const forms = candidates(availableParallelism(), true);
      keepChoice(join(cache, file!), hostKey(ortVersion()), 1024, forms, [3, 2, 1], 2);
      const split = await GradientModel.open(model, { cache, frozen: true });
      const r3 = await split.run(input, x.y);
      expect(split.parallel).toMatchObject({ threads: 1, workers: forms[2].workers, by: 'cached' });
      expect(split.parallelWorkers).toBe(forms[2].workers);
      await split.release();
      const workers = await GradientModel.open(model, { cache, frozen: true, workers: forms[2].workers });
      same(r3, await workers.run(input, x.y));
      await workers.release();
      expect([...r3.grads].some(([k, g]) => g.some((v, i) => v !== r0.grads.get(k)![i]))).toBe(true);
    },
  );

  it('an abort while measuring rejects at its next run, keeping no choice', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scrub-par-'));
    const gm = await GradientModel.open(loadModel(CNN), { cache, frozen: true });
    const stop = new AbortController();
    gm.plan(100_000, stop.signal);
    setTimeout(() => stop.abort(new Error('stopped')), 150);
    // the run itself does not look at the signal: only the measurement before it does
    await expect(gm.run(input, x.y)).rejects.toThrow('stopped');
    await gm.release();
    expect(readdirSync(cache).some((f) => f.endsWith('.parallel.json'))).toBe(false);
  });
});

describe.runIf(process.platform === 'linux')('an unwritable cache folder', () => {
  it('under /proc (where a recursive mkdir never returns on Node 20): the command runs without a cache', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-par-')), 'g');
    const r = spawnSync(
      process.execPath,
      [
        SCRUB,
        'grad',
        `${FIXTURES}/models/mlp.onnx`,
        '--x',
        `${FIXTURES}/batch/x.npy`,
        '--y',
        `${FIXTURES}/batch/y.npy`,
        '--out',
        out,
        '--quiet',
      ],
      { env: { ...process.env, SCRUB_CACHE_DIR: '/proc/scrub-no-such-dir/cache' }, timeout: 60_000, encoding: 'utf8' },
    );
    expect(r.signal, 'killed by the timeout: it hung').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  });
});

describe.runIf(availableParallelism() > 1)('scrub fisher with a kept choice', () => {
  it('says the form in its summary line and its --json report (which validates); --threads says nothing of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-par-'));
    const cache = join(dir, 'cache');
    const env = { ...process.env, SCRUB_CACHE_DIR: cache };
    const data = `${FIXTURES}/batch/x.npy,${FIXTURES}/batch/y.npy`;
    const fisher = (...extra: string[]) =>
      spawnSync(process.execPath, [SCRUB, 'fisher', CNN, data, '-o', join(dir, 'f.fisher'), ...extra], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
    // a first run builds the artifact (a batch of 64: too short to measure anything)
    const first = fisher('--quiet');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/chosen by/);
    const key = readdirSync(cache)
      .find((f) => f.endsWith('.json'))!
      .replace('.json', '');
    // a choice an earlier run kept for this artifact (weights built in) at 64 rows: 2 threads
    const forms = candidates(availableParallelism(), true);
    keepChoice(choiceFile(cache, key, true), hostKey(ortVersion()), 64, forms, [9, 6, 8], 1);
    const kept = fisher('--quiet');
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(
      new RegExp(`over 64 examples.*\\(cpu, ${forms[1].threads} threads: chosen by an earlier run's measurement\\)`),
    );
    const json = fisher('--quiet', '--json');
    const report = JSON.parse(json.stdout);
    expect(report.parallel).toMatchObject({ threads: forms[1].threads, by: 'cached', rows: 64 });
    expect(validateReport(report)).toEqual([]);
    const given = fisher('--quiet', '--json', '--threads', '1');
    expect(JSON.parse(given.stdout)).not.toHaveProperty('parallel');
  });
});
