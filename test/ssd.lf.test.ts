// LF-SSD's maths: the importance (mean over minibatches of |g|), and the logit-norm loss whose
// gradient it takes, checked against a central difference of the loss on the fixture MLP.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildArtifact, LABELS } from '../src/autodiff/artifact.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { decodeModel } from '../src/graph/decode.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { accumulateAbs, dampen, meanOver } from '../src/methods/ssd/dampen.js';
import { VARIANTS as METHODS } from '../src/methods/ssd/variants.js';
import { findParameters, GradientModel } from '../src/runtime/gradient.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { batch, FIXTURES } from './support/fixtures.js';

const MLP = `${FIXTURES}/models/mlp.onnx`;

describe('LF-SSD importance on five numbers', () => {
  it('is the mean over minibatches of |g|, in float64, then SSD selection and dampening', () => {
    const forgetBatches = [Float32Array.from([4, -3, 0.5, 0, -1]), Float32Array.from([-6, 1, -0.5, 0, 1])];
    const fullBatches = [
      Float32Array.from([0.25, -0.125, 1, 0, 2]),
      Float32Array.from([0.25, 0.125, -1, 0, -2]),
      Float32Array.from([-0.25, 0.125, 1, 0, 2]),
    ];
    const forget = new Float64Array(5);
    for (const g of forgetBatches) METHODS['lf-ssd'].accumulate(forget, g);
    const full = new Float64Array(5);
    for (const g of fullBatches) accumulateAbs(full, g);
    // Opposite signs do not cancel: element 0 is (|4| + |−6|) / 2 = 5, where |4 − 6| / 2 would be 1 (not selected).
    expect(Array.from(meanOver(forget, 2))).toEqual([5, 2, 0.5, 0, 1]);
    expect(Array.from(meanOver(full, 3))).toEqual([0.25, 0.125, 1, 0, 2]);
    // element 0: 5 > 10·0.25 → ×0.25/5; element 1: 2 > 10·0.125 → ×0.125/2; 2: 0.5 < 10; 3: zeros; 4: 1 < 20
    const r = dampen(Float32Array.from([1, 2, 3, 4, 5]), full, forget, { alpha: 10, lambda: 1 });
    expect(r.selected).toBe(2);
    expect(Array.from(r.weights)).toEqual([0.05, 0.125, 3, 4, 5].map(Math.fround));
  });

  it("LF-SSD squares nothing: its accumulator is |g|, SSD's g²", () => {
    const a = new Float64Array(1);
    METHODS['lf-ssd'].accumulate(a, Float32Array.from([-3]));
    const b = new Float64Array(1);
    METHODS.ssd.accumulate(b, Float32Array.from([-3]));
    expect([a[0], b[0]]).toEqual([3, 9]);
  });
});

describe('the logit-norm loss on the fixture MLP', () => {
  const { x } = batch();
  const n = x.dims[0];

  async function lossWith(name: string, index: number, delta: number): Promise<number> {
    const model = loadModel(MLP);
    const w = tensorToFloat32(model.graph.initializers.get(name)!);
    w[index] += delta;
    const path = join(mkdtempSync(join(tmpdir(), 'scrub-lf-')), 'mlp.onnx');
    writeModel(model, path, new Map([[name, w]]));
    const gm = await GradientModel.open(loadModel(path), { loss: 'logit-norm', cache: false, threads: 1 });
    try {
      return (await gm.run(x)).loss;
    } finally {
      await gm.release();
    }
  }

  it.each([
    ['mlp', 'fc3.bias'],
    ['cnn', 'fc2.bias'],
    ['vit', 'head.bias'],
  ])('is the mean over the batch of Σ_c z², per sample Σ_c z² (%s)', async (name, headBias) => {
    const gm = await GradientModel.open(loadModel(`${FIXTURES}/models/${name}.onnx`), {
      loss: 'logit-norm',
      cache: false,
      threads: 1,
    });
    try {
      const r = await gm.run(x);
      const c = gm.classes;
      let total = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < c; k++) s += r.logits[i * c + k] ** 2;
        expect(r.perSample[i]).toBeCloseTo(s, 2);
        total += s;
      }
      expect(Math.abs(r.loss - total / n) / r.loss).toBeLessThan(1e-6);
      // The last layer's bias gradient is the seed summed over the batch: Σ_n 2·z_nc / N.
      const bias = r.grads.get(headBias)!;
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (2 * r.logits[i * c + k]) / n;
        expect(Math.abs(bias[k] - s)).toBeLessThan(1e-4 * Math.max(1, Math.abs(s)));
      }
    } finally {
      await gm.release();
    }
  });

  // h = 0.01 on the element of largest gradient: float32 losses (~770) leave a relative error ~1e-4.
  it.each(['fc3.bias', 'fc3.weight', 'fc2.weight', 'fc1.weight'])(
    'its gradient matches a central difference of the loss: %s',
    async (name) => {
      const h = 1e-2;
      const gm = await GradientModel.open(loadModel(MLP), { loss: 'logit-norm', cache: false, threads: 1 });
      let g: Float32Array;
      try {
        g = (await gm.run(x)).grads.get(name)!;
      } finally {
        await gm.release();
      }
      let k = 0;
      for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[k])) k = i;
      const numeric = ((await lossWith(name, k, h)) - (await lossWith(name, k, -h))) / (2 * h);
      expect(
        Math.abs(numeric - g[k]) / Math.abs(g[k]),
        `${name}[${k}]: autodiff ${g[k]}, central difference ${numeric}`,
      ).toBeLessThan(1e-3);
    },
  );
});

describe('the label-free gradient model', () => {
  it('builds an artifact without a labels input', async () => {
    const model = loadModel(MLP);
    const shapes = await probeShapes(model);
    const params = findParameters(model, shapes);
    const inputs = (loss: 'cross-entropy' | 'logit-norm') =>
      decodeModel(buildArtifact(model, shapes, params, defaultRegistry(), { loss }).bytes)
        .graph.inputs.map((i) => i.name)
        .filter((i) => !params.some((p) => p.name === i));
    expect(inputs('cross-entropy')).toEqual(['input', LABELS]);
    expect(inputs('logit-norm')).toEqual(['input']);
  });

  it('cannot be run with labels, nor a cross-entropy model without them', async () => {
    const { x, y } = batch();
    const lf = await GradientModel.open(loadModel(MLP), { loss: 'logit-norm', cache: false, threads: 1 });
    const ce = await GradientModel.open(loadModel(MLP), { cache: false, threads: 1 });
    try {
      // The types forbid both calls; a cast around them still fails at once.
      const anyLf = lf;
      await expect(anyLf.run(x, y)).rejects.toThrow(
        /needs a model opened with loss 'cross-entropy'; this one computes 'logit-norm'/,
      );
      const anyCe = ce;
      await expect(anyCe.run(x)).rejects.toThrow(/needs a model opened with loss 'logit-norm'/);
      expect([lf.loss, ce.loss]).toEqual(['logit-norm', 'cross-entropy']);
    } finally {
      await lf.release();
      await ce.release();
    }
  });

  it('caches the two artifacts under different keys', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scrub-lf-cache-'));
    const lf = await GradientModel.open(loadModel(MLP), { loss: 'logit-norm', cache, threads: 1 });
    const ce = await GradientModel.open(loadModel(MLP), { cache, threads: 1 });
    const again = await GradientModel.open(loadModel(MLP), { loss: 'logit-norm', cache, threads: 1 });
    try {
      expect(again.loss).toBe('logit-norm');
      const { x } = batch();
      expect((await again.run(x)).loss).toBe((await lf.run(x)).loss);
      const metas = (await import('node:fs')).readdirSync(cache).filter((f) => f.endsWith('.json'));
      expect(metas.length).toBe(2);
      expect(metas.map((f) => JSON.parse(readFileSync(join(cache, f), 'utf8')).loss).sort()).toEqual([
        'cross-entropy',
        'logit-norm',
      ]);
    } finally {
      await Promise.all([lf.release(), ce.release(), again.release()]);
    }
  });
});
