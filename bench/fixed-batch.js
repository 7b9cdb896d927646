// Fixed batch sizes in npm run bench: the SSD importance pass (minibatches of 64) of the fixture cnn
// with its dynamic batch beside the same weights declared at batch 1 and at batch 8 (runs of 1 and 8
// examples combined exactly, runtime/gradient.ts), same run, same data. The floor a batch of 1 forces
// is the gradient throughput of plain batch-1 runs; the chunked pass should cost no more than that.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../dist/data/dataset.js';
import { encodeModel } from '../dist/graph/encode.js';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { importanceSums } from '../dist/methods/ssd/importance.js';
import { rows } from '../dist/core/tensor.js';

const FM = '/usr/share/datasets/fashion-mnist';
const NORM = { mean: [0.286], std: [0.353] };
const EXAMPLES = 4096;

/** `path` with its input and output batch declared fixed at `batch`, written to `dir`. */
function withBatch(path, batch, dir) {
  const m = loadModel(path);
  const fix = (v) => ({ ...v, shape: [batch, ...v.shape.slice(1)] });
  const out = join(dir, `cnn-b${batch}.onnx`);
  const g = m.graph;
  const graph = { ...g, inputs: g.inputs.map(fix), outputs: g.outputs.map(fix) };
  writeFileSync(out, encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph }));
  return out;
}

export async function benchFixedBatch(root) {
  if (!existsSync(FM)) return console.log('fixed batch: skipped (apt-get install dataset-fashion-mnist)');
  const cnn = `${root}test/fixtures/models/cnn.onnx`;
  const dir = mkdtempSync(join(tmpdir(), 'scrub-bench-fixed-'));
  const spec = `${FM}/train-images-idx3-ubyte.gz@0:${EXAMPLES}`;
  const results = {};
  console.log(`\nimportance pass (SSD, minibatches of 64) over ${EXAMPLES} examples, cnn, 1 thread, examples/s`);
  console.log('export              physical batch  importance/s  vs dynamic | plain batch-1 gradient runs/s');
  let floor;
  {
    // the floor: one plain run per example on the dynamic model, no chunking
    const gm = await GradientModel.open(loadModel(cnn), { threads: 1 });
    const data = await openDataset(`${spec}@0:512`, { input: gm.inputs[0], ...NORM, onNote: () => {} });
    const t0 = performance.now();
    for await (const b of data.batches(64))
      for (let i = 0; i < b.x.dims[0]; i++) await gm.run(rows(b.x, i, i + 1), b.y.subarray(i, i + 1));
    floor = 512 / ((performance.now() - t0) / 1000);
    await gm.release();
  }
  for (const [name, path] of [
    ['dynamic', cnn],
    ['batch-1 export', withBatch(cnn, 1, dir)],
    ['batch-8 export', withBatch(cnn, 8, dir)],
  ]) {
    const gm = await GradientModel.open(loadModel(path), { threads: 1 });
    const data = await openDataset(spec, { input: gm.inputs[0], ...NORM, onNote: () => {} });
    const s = await importanceSums(gm, data, 64);
    await gm.release();
    const perS = s.count / s.seconds;
    results[name] = { physical_batch: gm.batch ?? 64, importance_per_s: perS };
    const vs = results.dynamic ? `${(perS / results.dynamic.importance_per_s).toFixed(2)}x` : '1.00x';
    const floorCol =
      name === 'batch-1 export' ? `${floor.toFixed(0)} (chunked/plain ${(perS / floor).toFixed(2)}x)` : '';
    console.log(
      name.padEnd(20) +
        String(gm.batch ?? 'free').padStart(14) +
        perS.toFixed(0).padStart(14) +
        `${vs.padStart(12)} | ${floorCol}`,
    );
  }
  results.plain_batch1_per_s = floor;
  return results;
}
