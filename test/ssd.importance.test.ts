// The importance pass keeps the batches it read when asked and they fit the budget (SSD's check of the
// edited model then runs over them instead of reading the forget set again); past it, none.
import { describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { loadModel } from '../src/graph/load.js';
import { importanceSums } from '../src/methods/ssd/importance.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { FIXTURES } from './support/fixtures.js';

describe('importanceSums keepBatches', () => {
  it('keeps every batch in order within the budget, none past it, with the same sums', async () => {
    const gm = await GradientModel.open(loadModel(`${FIXTURES}/models/mlp.onnx`), { frozen: true, cache: false });
    try {
      const spec = gm.inputs[0];
      const data = await openDataset(`${FIXTURES}/batch/x.npy`, { input: { dtype: spec.dtype, dims: spec.dims } });
      const kept = await importanceSums(gm, data, 24, { keepBatches: 2 ** 20 });
      expect(kept.kept!.map((b) => b.index.length)).toEqual([24, 24, 16]);
      expect(kept.kept!.flatMap((b) => b.index)).toEqual(Array.from({ length: 64 }, (_, i) => i));
      const again: Float32Array[] = [];
      for await (const b of data.batches(24)) again.push(b.x.data as Float32Array);
      kept.kept!.forEach((b, i) => expect(Array.from(b.x.data)).toEqual(Array.from(again[i])));
      // 64 examples of 784 float32 values are 200 KB: a smaller budget keeps nothing
      const over = await importanceSums(gm, data, 24, { keepBatches: 100_000 });
      expect(over.kept).toBeUndefined();
      expect(await importanceSums(gm, data, 24).then((s) => s.kept)).toBeUndefined();
      for (const [name, v] of kept.sums) expect(Array.from(over.sums.get(name)!)).toEqual(Array.from(v));
    } finally {
      await gm.release();
    }
  });
});
