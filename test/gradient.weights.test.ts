// The artifact takes new parameter values at every run without a rebuild (what update methods need).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { fitsFrozen, GradientModel } from '../src/runtime/gradient.js';
import { batch, FIXTURES, relL2 } from './support/fixtures.js';

describe.each(['mlp', 'vit'])('new weights fed to the gradient artifact: %s', (name) => {
  it('give exactly the gradients of a model file holding those weights', async () => {
    const model = loadModel(`${FIXTURES}/models/${name}.onnx`);
    const gm = await GradientModel.open(model, { cache: false });
    const edited = new Map(
      gm.params
        .slice(-3)
        .map((p) => [
          p.name,
          tensorToFloat32(model.graph.initializers.get(p.name)!).map((v, i) => v * 0.7 + 0.01 * Math.sin(i)),
        ]),
    );
    const path = join(mkdtempSync(join(tmpdir(), 'scrub-w-')), 'edited.onnx');
    writeModel(model, path, edited);
    const other = await GradientModel.open(loadModel(path), { cache: false });
    try {
      const { x, y } = batch();
      const base = await gm.run(x, y);
      const fed = await gm.run(x, y, edited);
      const file = await other.run(x, y);
      expect(Math.abs(fed.loss - base.loss)).toBeGreaterThan(1e-3);
      expect(fed.loss).toBeCloseTo(file.loss, 6);
      for (const p of gm.params)
        expect(relL2(fed.grads.get(p.name)!, file.grads.get(p.name)!), p.name).toBeLessThan(1e-6);
      // the forward-only path takes the same weights and gives the same logits
      expect(relL2(await gm.logits(x, edited), fed.logits)).toBeLessThan(1e-6);
      expect(relL2(await gm.logits(x), base.logits)).toBeLessThan(1e-6);
      const again = await gm.run(x, y);
      expect(again.loss).toBe(base.loss); // weights apply to one run only
      await expect(gm.run(x, y, new Map([[gm.params[0].name, new Float32Array(3)]]))).rejects.toThrow(/3 values/);
    } finally {
      await gm.release();
      await other.release();
    }
  });
});

describe.each(['mlp', 'cnn', 'vit'])('frozen weights (SSD importance passes): %s', (name) => {
  it('give the fed artifact gradients up to float rounding, and refuse other weights', async () => {
    const model = loadModel(`${FIXTURES}/models/${name}.onnx`);
    const fed = await GradientModel.open(model, { cache: false });
    const frozen = await GradientModel.open(model, { cache: false, frozen: true });
    try {
      const { x, y } = batch();
      const a = await fed.run(x, y);
      const b = await frozen.run(x, y);
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(relL2(b.logits, a.logits)).toBeLessThan(1e-5);
      for (const p of fed.params) expect(relL2(b.grads.get(p.name)!, a.grads.get(p.name)!), p.name).toBeLessThan(1e-4);
      const other = new Map([[fed.params[0].name, new Float32Array(a.grads.get(fed.params[0].name)!.length)]]);
      await expect(frozen.run(x, y, other)).rejects.toThrow(/opened with frozen weights/);
    } finally {
      await fed.release();
      await frozen.release();
    }
  });
});

describe('frozen weights past protobuf’s 2 GiB', () => {
  it('stay fed: only an artifact that fits with them built in is frozen', () => {
    const mib = (n: number) => new Map([['w', { byteLength: n * 2 ** 20 } as Float32Array]]);
    expect(fitsFrozen(10 * 2 ** 20, mib(100))).toBe(true);
    expect(fitsFrozen(2 ** 20, mib(1900))).toBe(true);
    expect(fitsFrozen(2 ** 20, mib(2000))).toBe(false);
    expect(fitsFrozen(200 * 2 ** 20, mib(1900))).toBe(false);
  });
});
