// Streaming: a full pass over the 60,000-image train file holds a batch and a read window, not the
// file (47 MB of pixels, 188 MB as float32). Its own file: a fresh process, so RSS means this pass.
import { expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

it.skipIf(noFashionMnist)('a pass over the 60,000-example train file keeps RSS growth under 100 MB', async () => {
  const ds = await openDataset(`${FM}/train-images-idx3-ubyte.gz`, {
    input: { dtype: 1, dims: ['batch', 1, 28, 28] },
    mean: [0.286],
    std: [0.353],
  });
  expect(ds.count).toBe(60000);
  const start = process.memoryUsage().rss;
  let peak = start;
  let seen = 0;
  const perClass = new Array(10).fill(0);
  const t0 = performance.now();
  for await (const b of ds.batches(256)) {
    seen += b.y.length;
    for (const v of b.y) perClass[Number(v)]++;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  const growth = (peak - start) / 2 ** 20;
  const startMb = (start / 2 ** 20).toFixed(0);
  console.log(`60,000 examples in ${seconds.toFixed(2)} s; RSS ${startMb} MB at start, peak +${growth.toFixed(1)} MB`);
  expect(seen).toBe(60000);
  expect(perClass).toEqual(new Array(10).fill(6000));
  expect(growth).toBeLessThan(100);
});
