// Data parallelism (GradientOptions.workers, --workers): a batch split over worker threads, one
// single-threaded session each, gives the single session's loss, per-example losses, logits and
// gradients within float rounding, for a 'mean' loss (cross-entropy), a 'sum' loss with fed weights
// (∇τ's 'matched'), frozen squared importances (SSD), several int64 inputs (the BERT-style text
// model, multi-label) and uneven splits. Bad values and other providers are refused.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, UnsupportedModelError } from '../src/core/errors.js';
import { loadModel } from '../src/graph/load.js';
import { readNpy } from '../src/data/npy.js';
import { matched, matchedFeeds } from '../src/methods/gradtau/matched-loss.js';
import { GradientModel, type GradientOptions, type GradientResult } from '../src/runtime/gradient.js';
import type { HostTensor } from '../src/runtime/session.js';
import { WorkerSessions } from '../src/runtime/workers.js';
import { batch, FIXTURES, l2, relL2 } from './support/fixtures.js';
import { mixedMatchedBatch } from './support/matched.js';

const CNN = loadModel(`${FIXTURES}/models/cnn.onnx`);
const MLP = loadModel(`${FIXTURES}/models/mlp.onnx`);

/** The first `n` rows of an input. */
function head(x: HostTensor, n: number): HostTensor {
  const per = x.dims.slice(1).reduce((a, b) => a * b, 1);
  return { data: x.data.subarray(0, n * per) as HostTensor['data'], dims: [n, ...x.dims.slice(1)] };
}

/** Both results agree within float rounding: every output, every gradient (and squared gradient). */
function expectSame(a: GradientResult, b: GradientResult): void {
  expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(a.loss)));
  expect(relL2(b.perSample, a.perSample)).toBeLessThan(1e-6);
  expect(relL2(b.logits, a.logits)).toBeLessThan(1e-6);
  expect([...b.grads.keys()]).toEqual([...a.grads.keys()]);
  closeSet(a.grads, b.grads, 2e-6);
  if (a.squared) closeSet(a.squared, b.squared!, 4e-6);
}

/**
 * Each tensor of `b` within `tol` relative L2 of `a`'s, or, for one that is zero in exact arithmetic
 * (BERT's attention key bias: rounding noise only), within `tol` of the largest tensor's norm.
 */
function closeSet(a: Map<string, Float32Array>, b: Map<string, Float32Array>, tol: number): void {
  const largest = Math.max(...[...a.values()].map((g) => l2(g)));
  for (const [name, g] of a) {
    const h = b.get(name)!;
    const diff = l2(h.map((v, i) => v - g[i]));
    expect(diff, name).toBeLessThanOrEqual(tol * Math.max(l2(g), 1e-3 * largest));
  }
}

async function both(model: Parameters<typeof GradientModel.open>[0], opts: GradientOptions, workers: number) {
  const one = await GradientModel.open(model, { threads: 1, cache: false, ...opts });
  const many = await GradientModel.open(model, { threads: 1, cache: false, ...opts, workers });
  return { one, many, release: () => Promise.all([one.release(), many.release()]) };
}

describe('data-parallel gradient runs equal one session', () => {
  const { x, y } = batch();

  describe('cnn, mean cross-entropy, 2 workers', () => {
    let m: Awaited<ReturnType<typeof both>>;
    beforeAll(async () => {
      m = await both(CNN, {}, 2);
    }, 60_000);
    afterAll(() => m.release());

    it.each([64, 7, 2])('a batch of %i', async (n) => {
      const input = head(x, n);
      const labels = y.subarray(0, n);
      expectSame(await m.one.run(input, labels), await m.many.run(input, labels));
    });

    it('a batch of one runs in the main session', async () => {
      expectSame(await m.one.run(head(x, 1), y.subarray(0, 1)), await m.many.run(head(x, 1), y.subarray(0, 1)));
    });

    it('fed weights other than the model’s', async () => {
      const w = new Map(m.one.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
      for (const [, v] of w) for (let i = 0; i < v.length; i++) v[i] = Math.sin(i + v.length) * 0.05;
      const a = await m.one.run(x, y, w);
      const b = await m.many.run(x, y, w);
      expectSame(a, b);
    });
  });

  // 3 workers over 64 rows (uneven) where the machine runs 3 threads at once; 2 on CI's 2 cores
  it("mlp, ∇τ's 'matched' loss (a sum: descent, soft-target and pull rows), up to 3 workers over 64 rows", async () => {
    const m = await both(MLP, { loss: matched }, Math.min(3, availableParallelism()));
    try {
      const mb = mixedMatchedBatch(y, m.one.classes);
      expectSame(await m.one.run(x, matchedFeeds(mb)), await m.many.run(x, matchedFeeds(mb)));
    } finally {
      await m.release();
    }
  }, 60_000);

  it("cnn, frozen squared importances (SSD's passes), 2 workers", async () => {
    const m = await both(CNN, { frozen: true, squared: true }, 2);
    try {
      const a = await m.one.run(x, y);
      expect(a.squared).toBeDefined();
      expectSame(a, await m.many.run(x, y));
    } finally {
      await m.release();
    }
  }, 60_000);

  it('the text model: three int64 inputs, multi-label, 2 workers', async () => {
    const dir = `${FIXTURES}/text`;
    const inputs: Record<string, HostTensor> = {};
    for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) {
      const t = readNpy(`${dir}/batch/${name}.npy`);
      inputs[name] = { data: t.data as BigInt64Array, dims: t.shape };
    }
    const targets = readNpy(`${dir}/batch/y.npy`);
    const m = await both(loadModel(`${dir}/models/bert.onnx`), { multiLabel: true }, 2);
    try {
      const feeds = { targets: Float32Array.from(targets.data as ArrayLike<number>) };
      expectSame(await m.one.run(inputs, feeds), await m.many.run(inputs, feeds));
    } finally {
      await m.release();
    }
  }, 120_000);
});

describe('--workers refused where it cannot run', () => {
  it.each([0, 2.5, -1])('workers %s', async (w) => {
    await expect(GradientModel.open(MLP, { cache: false, workers: w })).rejects.toThrow(BadInputError);
    await expect(GradientModel.open(MLP, { cache: false, workers: w })).rejects.toThrow(/whole number/);
  });

  it('more workers than the machine runs threads at once (each holds a session of its own)', async () => {
    const over = availableParallelism() + 1;
    await expect(GradientModel.open(MLP, { cache: false, workers: over })).rejects.toThrow(
      new RegExp(`--workers ${over}: this machine runs ${over - 1} threads at once.*at most ${over - 1}`),
    );
  });

  it.each(['wasm', 'cuda'] as const)('on another provider than the CPU: %s (before opening it)', async (device) => {
    await expect(GradientModel.open(MLP, { cache: false, workers: 2, device })).rejects.toThrow(/CPU provider only/);
  });
});

describe('a worker that stops', () => {
  it('rejects every later run at once, naming --workers, instead of waiting for a reply', async () => {
    const pool = await WorkerSessions.open(readFileSync(`${FIXTURES}/models/mlp.onnx`), 2, 'mlp.onnx');
    try {
      const { x } = batch();
      const feeds = [{ input: head(x, 2) }, { input: head(x, 3) }];
      const lanes = (pool as unknown as { lanes: { worker: Worker }[] }).lanes;
      expect((await pool.run(feeds)).length).toBe(2);
      await lanes[1].worker.terminate();
      await expect(pool.run(feeds)).rejects.toThrow(/session worker stopped \(.*exited.*; out of memory\?\)/);
      await expect(pool.run(feeds)).rejects.toThrow(UnsupportedModelError);
      await expect(pool.run(feeds)).rejects.toThrow(/fewer --workers, or none/);
    } finally {
      await pool.release();
    }
  }, 60_000);
});
