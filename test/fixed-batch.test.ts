// Models whose batch is fixed (issue 15, item 4): declared ([1, 1, 28, 28]) or traced at one size
// (a Reshape to a constant [1, −1]). Every command runs them that many examples at a time and
// combines exactly; a partial last chunk is padded and masked. The same cnn weights with a dynamic,
// a batch-1 and a batch-8 input give the same gradients, Fisher file values and SSD edit. The field
// cases (../shared/field, copied to test/fixtures/field) match their float64 oracles.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlearn } from '../src/api/unlearn.js';
import { UnsupportedModelError } from '../src/core/errors.js';
import { rows, type HostTensor } from '../src/core/tensor.js';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { encodeModel } from '../src/graph/encode.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { computeFisher } from '../src/methods/table.js';
import { openDataset } from '../src/data/dataset.js';
import { EVAL_BATCH, evalBatchFor, runSet } from '../src/eval/pass.js';
import { describeModel } from '../src/eval/run.js';
import { ForwardModel } from '../src/runtime/forward.js';
import { GradientModel, type GradientResult } from '../src/runtime/gradient.js';
import { probeModel } from '../src/runtime/shapes.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const DIR = mkdtempSync(join(tmpdir(), 'scrub-fixed-batch-'));
const CNN = `${FIXTURES}/models/cnn.onnx`;
const MNIST = `${FIXTURES}/field/fixed-batch-zoo-mnist`;
const BAKED = `${FIXTURES}/field/baked-batch1-reshape`;
const oneLine = (r: { err: string }) => expect(r.err.trim().split('\n')).toHaveLength(1);

/** `path` with its input and output batch declared fixed at `batch`, written to DIR. */
function withBatch(path: string, batch: number, name: string): string {
  const m = loadModel(path);
  const g = m.graph;
  const fix = (v: (typeof g.inputs)[0]) => ({ ...v, shape: [batch, ...v.shape!.slice(1)] });
  const out = join(DIR, name);
  const bytes = encodeModel({
    irVersion: m.irVersion,
    opsetImports: m.opsetImports,
    graph: { ...g, inputs: g.inputs.map(fix), outputs: g.outputs.map(fix) },
  });
  writeFileSync(out, bytes);
  return out;
}

const x = readNpy(`${FIXTURES}/batch/x.npy`);
const y = readNpy(`${FIXTURES}/batch/y.npy`).data as BigInt64Array;
const X: HostTensor = { data: x.data as Float32Array, dims: x.shape };

function expectSame(a: GradientResult, b: GradientResult, tol = 2e-6) {
  expect(Math.abs(a.loss - b.loss) / Math.abs(b.loss)).toBeLessThan(tol);
  expect(relL2(a.perSample, b.perSample)).toBeLessThan(tol);
  expect(relL2(a.logits, b.logits)).toBeLessThan(tol);
  for (const [name, g] of b.grads) expect(relL2(a.grads.get(name)!, g), name).toBeLessThan(tol);
}

describe('the same cnn with a dynamic, a batch-1 and a batch-8 input', () => {
  const paths = { dynamic: CNN, b1: '', b8: '' };
  const models = new Map<string, GradientModel>();
  beforeAll(async () => {
    paths.b1 = withBatch(CNN, 1, 'cnn-b1.onnx');
    paths.b8 = withBatch(CNN, 8, 'cnn-b8.onnx');
    for (const [k, p] of Object.entries(paths))
      models.set(k, await GradientModel.open(loadModel(p), { cache: false, threads: 1 }));
  });
  afterAll(async () => {
    for (const gm of models.values()) await gm.release();
  });

  it('knows each batch', () => {
    expect(models.get('dynamic')!.batch).toBeUndefined();
    expect(models.get('b1')!.batch).toBe(1);
    expect(models.get('b8')!.batch).toBe(8);
  });

  it.each([20, 8, 3, 1])(
    'cross-entropy over %i examples: the same loss, per-example losses, logits, gradients',
    async (n) => {
      const xs = rows(X, 0, n);
      const want = await models.get('dynamic')!.run(xs, y.subarray(0, n));
      for (const k of ['b1', 'b8']) expectSame(await models.get(k)!.run(xs, y.subarray(0, n)), want);
    },
  );

  it('logits in chunks (forward only), padded rows dropped', async () => {
    const want = await models.get('dynamic')!.logits(rows(X, 0, 11));
    for (const k of ['b1', 'b8']) expect(relL2(await models.get(k)!.logits(rows(X, 0, 11)), want)).toBeLessThan(1e-6);
  });

  it("LF-SSD's logit norm (a 'mean' loss without labels) over 13 examples", async () => {
    const open = (p: string) => GradientModel.open(loadModel(p), { loss: 'logit-norm', cache: false, threads: 1 });
    const [a, b] = [await open(CNN), await open(paths.b8)];
    try {
      expectSame(await b.run(rows(X, 0, 13)), await a.run(rows(X, 0, 13)));
    } finally {
      await a.release();
      await b.release();
    }
  });

  describe('Fisher values and the SSD edit', () => {
    const sets = { train: join(DIR, 'train'), forget: join(DIR, 'forget') };
    beforeAll(() => {
      mkdirSync(sets.train);
      mkdirSync(sets.forget);
      writeFileSync(join(sets.train, 'x.npy'), encodeNpy(X.data as Float32Array, X.dims));
      writeFileSync(join(sets.train, 'y.npy'), encodeNpy(y, [y.length]));
      // the forget set: the examples of the most frequent class among the 64
      const cls = [...y].sort((p, q) => y.filter((v) => v === q).length - y.filter((v) => v === p).length)[0];
      const idx = [...y.keys()].filter((i) => y[i] === cls);
      const per = 28 * 28;
      const fx = new Float32Array(idx.length * per);
      idx.forEach((i, k) => fx.set((X.data as Float32Array).subarray(i * per, (i + 1) * per), k * per));
      writeFileSync(join(sets.forget, 'x.npy'), encodeNpy(fx, [idx.length, 1, 28, 28]));
      writeFileSync(join(sets.forget, 'y.npy'), encodeNpy(BigInt64Array.from(idx.map(() => cls)), [idx.length]));
    });

    it('the same Fisher values (minibatches of 64: 64 runs of 1, 8 runs of 8; of 24: 3 runs of 8)', async () => {
      for (const batchSize of [64, 24]) {
        const f = async (p: string) => computeFisher({ model: p, train: sets.train, batchSize, threads: 1 });
        const want = await f(CNN);
        for (const p of [paths.b1, paths.b8]) {
          const got = await f(p);
          expect(got.header.data).toEqual(want.header.data);
          for (const [name, s] of want.sums) expect(relL2(got.sums.get(name)!, s), name).toBeLessThan(1e-5);
        }
      }
    }, 120_000);

    it('the same SSD edit', async () => {
      const edit = async (p: string, tag: string) => {
        const out = join(DIR, `ssd-${tag}.onnx`);
        // the paper's α: the edit depends on the importances alone
        const r = await unlearn({ model: p, forget: sets.forget, train: sets.train, out, alpha: 10, threads: 1 });
        return { r, weights: loadModel(out).graph.initializers };
      };
      const want = await edit(CNN, 'dynamic');
      expect(want.r.parameters.reduce((a, p) => a + p.selected, 0)).toBeGreaterThan(0);
      for (const [p, tag] of [
        [paths.b1, 'b1'],
        [paths.b8, 'b8'],
      ]) {
        const got = await edit(p, tag);
        for (const [k, q] of want.r.parameters.entries()) {
          const mine = got.r.parameters[k];
          expect(mine.name).toBe(q.name);
          // a weight at the selection threshold may flip on float32 rounding of the importances
          expect(Math.abs(mine.selected - q.selected), q.name).toBeLessThanOrEqual(Math.max(2, 1e-3 * q.selected));
          const a = tensorToFloat32(got.weights.get(q.name)!);
          const b = tensorToFloat32(want.weights.get(q.name)!);
          expect(relL2(a, b), q.name).toBeLessThan(1e-3);
        }
        expect(got.r.forget.after).toEqual(want.r.forget.after);
      }
    }, 120_000);
  });
});

describe('the ONNX Model Zoo MNIST, batch declared fixed at 1 (field case)', () => {
  const want = oracle(`${MNIST}/expected`);
  it('the gradient of the mean cross-entropy over all 8 examples at once, from 8 runs of 1', async () => {
    const gm = await GradientModel.open(loadModel(`${MNIST}/opt-mnist-13.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.batch).toBe(1);
      expect(gm.params.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const mx = readNpy(`${MNIST}/x.npy`);
      const r = await gm.run(
        { data: mx.data as Float32Array, dims: mx.shape },
        readNpy(`${MNIST}/y.npy`).data as BigInt64Array,
      );
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${MNIST}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });

  it('inspect says the batch is fixed and that passes run one example at a time', async () => {
    const r = await run('inspect', `${MNIST}/opt-mnist-13.onnx`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^batch {7}fixed at 1 \(declared\); every command feeds 1 example at a time/m);
  });

  it.each([
    ['grad, minibatches of 8', ['grad', '%M', '--x', `${MNIST}/x.npy`, '--y', `${MNIST}/y.npy`, '--out', '%O/g']],
    ['SSD with --train', ['%M', `${MNIST}/forget`, '--train', `${MNIST}/train`, '-o', '%O/m.onnx']],
    [
      'SSD with --batch-size 1',
      ['%M', `${MNIST}/forget`, '--train', `${MNIST}/train`, '-o', '%O/m.onnx', '--batch-size', '1'],
    ],
    ['eval', ['eval', '%M', '--forget', `${MNIST}/forget`, '--retain', `${MNIST}/train`, '--json']],
  ])(
    '%s: exit 0',
    async (_, args) => {
      const out = mkdtempSync(join(tmpdir(), 'scrub-fixed-cli-'));
      const argv = args.map((a) => a.replace('%M', `${MNIST}/opt-mnist-13.onnx`).replace('%O', out));
      const r = await run(...argv, ...(argv[0] === 'eval' ? ['-o', join(out, 'eval.json')] : []));
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toMatch(/scrub-tmp/);
    },
    60_000,
  );
});

describe('evaluation at a fixed batch (eval/pass.ts evalBatchFor)', () => {
  it('reads whole multiples of the fixed batch, at least EVAL_BATCH, so that no run pads rows', () => {
    expect(evalBatchFor(undefined)).toBe(EVAL_BATCH);
    expect([1, 8, 10, 48, 64, 100, 128].map(evalBatchFor)).toEqual([64, 64, 70, 96, 64, 100, 128]);
  });

  it('the same per-example losses and predictions as the dynamic model, over batches of 96 at batch 48', async () => {
    const dir = join(DIR, 'eval-200');
    mkdirSync(dir, { recursive: true });
    const n = 200;
    const per = x.data.length / x.shape[0];
    const xs = new Float32Array(n * per);
    const ys = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      xs.set((x.data as Float32Array).subarray((i % 64) * per, ((i % 64) + 1) * per), i * per);
      ys[i] = y[i % 64];
    }
    writeFileSync(join(dir, 'x.npy'), encodeNpy(xs, [n, ...x.shape.slice(1)]));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(ys, [n]));
    const b48 = withBatch(CNN, 48, 'cnn-b48.onnx');
    const outputs = async (path: string) => {
      const d = await describeModel(path);
      const fm = await ForwardModel.open(path, d.inputs, { head: d.head });
      const data = await openDataset(join(dir, 'x.npy'), { input: { dtype: 1, dims: [null, 1, 28, 28] } });
      const sizes: number[] = [];
      try {
        const [out] = await runSet([fm], data, 10, { onBatch: (b) => sizes.push(b.y.length) });
        return { out, sizes };
      } finally {
        await fm.release();
      }
    };
    const fixed = await outputs(b48);
    const free = await outputs(CNN);
    expect(fixed.sizes).toEqual([96, 96, 8]);
    expect(free.sizes).toEqual([64, 64, 64, 8]);
    expect(fixed.out.count).toBe(n);
    expect(Array.from(fixed.out.predictions)).toEqual(Array.from(free.out.predictions));
    expect(relL2(fixed.out.losses, free.out.losses)).toBeLessThan(1e-6);
  });
});

describe('--workers at a fixed batch', () => {
  it('grad says the runs stay in one session, and its summary names no workers', async () => {
    const out = mkdtempSync(join(tmpdir(), 'scrub-fixed-workers-'));
    const args = ['--x', `${MNIST}/x.npy`, '--y', `${MNIST}/y.npy`, '--out', join(out, 'g'), '--workers', '2'];
    const r = await run('grad', `${MNIST}/opt-mnist-13.onnx`, ...args);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^note: --workers 2: this model's runs stay in one session \(its batch is fixed/m);
    expect(r.out).toMatch(/gradients written to .*\/ \(cpu\)$/m);
    const summary = JSON.parse(readFileSync(join(out, 'g', 'summary.json'), 'utf8'));
    expect(summary.settings).toEqual({ batchSize: 256, device: 'cpu' });
  }, 60_000);

  it("the main command's record names the form as run, as grad's summary does: no workers here, 2 on mlp", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-fixed-workers-'));
    const settings = async (model: string, data: string) => {
      const r = await unlearn({ model, forget: `${data}@0:4`, train: data, out: join(dir, 'm.onnx'), workers: 2 });
      return JSON.parse(readFileSync(r.record, 'utf8')).settings;
    };
    const fixed = await settings(`${MNIST}/opt-mnist-13.onnx`, `${MNIST}/x.npy,${MNIST}/y.npy`);
    expect(fixed).not.toHaveProperty('workers');
    expect(fixed).not.toHaveProperty('threads');
    const free = await settings(`${FIXTURES}/models/mlp.onnx`, `${FIXTURES}/batch/x.npy,${FIXTURES}/batch/y.npy`);
    expect(free).toMatchObject({ threads: 1, workers: 2 });
  }, 120_000);
});

describe('a batch declared free but traced at 1 (field case baked-batch1-reshape)', () => {
  const want = oracle(`${BAKED}/expected`);
  it('the probe reports the traced batch with the node and ONNX Runtime message, and does not crash', async () => {
    const { traced, shapes } = await probeModel(loadModel(`${BAKED}/model.onnx`));
    expect(traced?.batch).toBe(1);
    expect(traced?.why).toMatch(/\/fc\/Gemm.*GEMM: Dimension mismatch/);
    expect(shapes.get('logits')?.dims).toEqual([1, 10]);
  });

  it('the gradient over the 8 examples of x.npy matches expected/', async () => {
    const gm = await GradientModel.open(loadModel(`${BAKED}/model.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.batch).toBe(1);
      expect(gm.params.map((p) => p.name)).toEqual(want.parameters.map((p) => p.name));
      const bx = readNpy(`${BAKED}/x.npy`);
      const r = await gm.run(
        { data: bx.data as Float32Array, dims: bx.shape },
        readNpy(`${BAKED}/y.npy`).data as BigInt64Array,
      );
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${BAKED}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });

  it('inspect names the node and the message', async () => {
    const r = await run('inspect', `${BAKED}/model.onnx`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^batch {7}fixed at 1 \(traced: .*\/fc\/Gemm.*\); every command feeds 1 example at a time/m);
  });

  it('a model that runs at no batch size is refused in one line with the message, exit 3', async () => {
    // the same file with its Reshape target [1, −1] made [3, −1]: 1568·N values never fit the Gemm
    const m = loadModel(`${BAKED}/model.onnx`);
    const reshape = m.graph.nodes.find((n) => n.opType === 'Reshape')!;
    const constant = m.graph.nodes.find((n) => n.outputs[0] === reshape.inputs[1])!;
    const value = constant.attrs.value as { type: 'tensor'; t: { bytes: Uint8Array } };
    value.t.bytes = new Uint8Array(BigInt64Array.from([3n, -1n]).buffer);
    const path = join(DIR, 'never.onnx');
    writeFileSync(path, encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph }));
    const dir = mkdtempSync(join(tmpdir(), 'scrub-never-'));
    const r = await run('grad', path, '--x', `${BAKED}/x.npy`, '--y', `${BAKED}/y.npy`, '--out', join(dir, 'g'));
    expect(r.code).toBe(3);
    oneLine(r);
    expect(r.err).toMatch(/its shapes cannot be probed: it does not run at batch 2 \(.*\), nor at batch 1 \(.*\)/);
    expect(r.err).toMatch(/Re-export it traced with a batch of 2 or more/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('what chunks cannot compute is refused', () => {
  it('a training-form BatchNormalization with a fixed batch fed another size: exit 3, one line', async () => {
    const src = `${FIXTURES}/field/batchnorm-training-mode`;
    const model = readdirSync(src).find((f) => f.endsWith('.onnx'))!;
    const p = withBatch(`${src}/${model}`, 4, 'bn-b4.onnx');
    const gm = await GradientModel.open(loadModel(p), { cache: false, threads: 1 });
    try {
      const bx = readNpy(`${src}/x.npy`);
      const xs = { data: bx.data as Float32Array, dims: bx.shape };
      const by = readNpy(`${src}/y.npy`).data as BigInt64Array;
      await expect(gm.run(xs, by)).rejects.toThrow(UnsupportedModelError);
      await expect(gm.run(xs, by)).rejects.toThrow(/training-form BatchNormalization .* statistics of each chunk/);
    } finally {
      await gm.release();
    }
  });
});
