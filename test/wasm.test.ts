// The same gradient artifact on onnxruntime-web (WebAssembly, in Node) gives the same gradients.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { batch, FIXTURES, relL2 } from './support/fixtures.js';

describe.each(['mlp', 'cnn', 'vit'])('WASM backend: %s', (name) => {
  it('matches the CPU provider', async () => {
    const model = loadModel(`${FIXTURES}/models/${name}.onnx`);
    const cpu = await GradientModel.open(model, { cache: false });
    const wasm = await GradientModel.open(model, { cache: false, device: 'wasm' });
    try {
      const { x, y } = batch();
      const a = await cpu.run(x, y);
      const b = await wasm.run(x, y);
      expect(Math.abs(a.loss - b.loss) / a.loss).toBeLessThan(1e-5);
      for (const p of cpu.params) expect(relL2(b.grads.get(p.name)!, a.grads.get(p.name)!), p.name).toBeLessThan(1e-4);
    } finally {
      await cpu.release();
      await wasm.release();
    }
  });
});
