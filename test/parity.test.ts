// End-to-end parity with PyTorch's float64 gradients (../shared/fixtures, README "Oracles").
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { batch, FIXTURES, hasShared, l2, oracle, relL2, SHARED } from './support/fixtures.js';

describe.each(['mlp', 'cnn', 'vit'])('gradient parity with PyTorch: %s', (name) => {
  it('matches loss, parameters and every gradient', async () => {
    const dir = `${FIXTURES}/oracle/grad/${name}`;
    const want = oracle(dir);
    const gm = await GradientModel.open(loadModel(`${FIXTURES}/models/${name}.onnx`), { cache: false, threads: 1 });
    try {
      expect(
        gm.params.map((p) => ({ name: p.name, torchName: p.torchName, transposed: p.transposed, shape: p.shape })),
      ).toEqual(
        want.parameters.map((p) => ({
          name: p.name,
          torchName: p.torchName,
          transposed: p.transposed,
          shape: p.shape,
        })),
      );
      const { x, y } = batch();
      const r = await gm.run(x, y);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${dir}/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });
});

describe.skipIf(!hasShared)('gradient parity with PyTorch: resnet18 (../shared)', () => {
  it('matches loss, every tensor l2 and head', async () => {
    const want = oracle(`${SHARED}/oracle/grad/resnet18`);
    const gm = await GradientModel.open(loadModel(`${SHARED}/models/resnet18.onnx`), { cache: false });
    try {
      expect(gm.params.map((p) => p.name)).toEqual(want.parameters.map((p) => p.name));
      const { x, y } = batch();
      const r = await gm.run(x, y);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-4);
      for (const p of want.parameters) {
        const g = r.grads.get(p.name)!;
        expect(Math.abs(l2(g) - p.l2) / p.l2, `${p.name} l2`).toBeLessThan(1e-4);
        // head values are judged relative to the tensor's typical element size
        const scale = Math.max(...p.head.map(Math.abs), p.l2 / Math.sqrt(g.length));
        p.head.forEach((h, i) => expect(Math.abs(g[i] - h) / scale, `${p.name} head[${i}]`).toBeLessThan(1e-4));
      }
    } finally {
      await gm.release();
    }
  }, 300_000);
});
