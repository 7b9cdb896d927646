// Models at opsets 7 to 10 (issue 15, item 6): the ONNX Model Zoo MNIST exported by CNTK at opset 8
// (copied from ../shared/field/fixed-batch-zoo-mnist) is upgraded to opset 11 on load; its gradients,
// taken one example at a time (the batch is fixed at 1), match the float64 oracle in expected/, its
// upgraded graph runs on ONNX Runtime like the file, and `scrub inspect` no longer refuses it.
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { rows } from '../src/core/tensor.js';
import { encodeModel } from '../src/graph/encode.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { Session } from '../src/runtime/session.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const DIR = `${FIXTURES}/field/fixed-batch-zoo-mnist`;
const MODEL = `${DIR}/opt-mnist.onnx`;

describe('an opset-8 model (CNTK zoo MNIST, field case)', () => {
  it('is read as opset 11, the file bytes as they were', async () => {
    const m = loadModel(MODEL);
    expect(m.opsetImports.get('')).toBe(11);
    expect(m.upgradedFrom).toBe(8);
    const { readFileSync } = await import('node:fs');
    expect(Buffer.compare(Buffer.from(m.bytes), readFileSync(MODEL))).toBe(0);
  });

  it('matches the float64 gradients of expected/, one example at a time', async () => {
    const want = oracle(`${DIR}/expected`);
    const gm = await GradientModel.open(loadModel(MODEL), { cache: false, threads: 1 });
    try {
      expect([...gm.params.map((p) => p.name)].sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const x = readNpy(`${DIR}/x.npy`);
      const y = readNpy(`${DIR}/y.npy`).data as BigInt64Array;
      const xs = { data: x.data as Float32Array, dims: x.shape };
      const n = x.shape[0];
      expect(n).toBe(8);
      let loss = 0;
      const sums = new Map(want.parameters.map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
      for (let i = 0; i < n; i++) {
        const r = await gm.run(rows(xs, i, i + 1), y.subarray(i, i + 1));
        loss += r.loss / n;
        for (const [name, s] of sums) r.grads.get(name)!.forEach((v, k) => (s[k] += v / n));
      }
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${DIR}/expected/${p.file}`).data as Float64Array;
        expect(relL2(sums.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });

  it('the upgraded graph gives the outputs ONNX Runtime gives for the file', async () => {
    const m = loadModel(MODEL);
    const upgraded = encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph });
    const x = readNpy(`${DIR}/x.npy`);
    const xs = { data: x.data as Float32Array, dims: x.shape };
    const [a, b] = [await Session.create(MODEL, { threads: 1 }), await Session.create(upgraded, { threads: 1 })];
    try {
      for (let i = 0; i < x.shape[0]; i++) {
        const feeds = { Input3: rows(xs, i, i + 1) };
        const [ya, yb] = [(await a.run(feeds)).Plus214_Output_0, (await b.run(feeds)).Plus214_Output_0];
        expect([...yb.data]).toEqual([...ya.data]);
      }
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('scrub inspect reads it: no opset refusal', async () => {
    const r = await run('inspect', MODEL);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/opset/);
    expect(r.out).toMatch(/opset 8, read as 11/);
    expect(r.out).toMatch(/^parameters {2}6 tensors/m);
  });
});
