// SSD importance of a set: over consecutive minibatches (set order, last partial) the elementwise
// squared gradient of the minibatch's mean cross-entropy, summed in float64. The sums and the
// batch count are kept apart (mean = sum / batches) so that shards of a pass add up exactly.
import { checkLabelRange, type Batch, type Dataset } from '../data/dataset.js';
import { exampleDigests, hex, SetDigest } from '../data/digest.js';
import type { GradientModel } from '../runtime/gradient.js';
import { accumulateSquares } from './dampen.js';

export interface ImportanceSums {
  /** Σ over minibatches of g², per parameter. */
  sums: Map<string, Float64Array>;
  batches: number;
  count: number;
  batchSize: number;
  /** Order-sensitive SHA-256 of the examples as fed (see data/digest.ts). */
  digest: string;
  /** Examples the model classified correctly during the pass (the pass computes logits anyway). */
  correct: number;
  seconds: number;
}

export interface PassOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function importanceSums(gm: GradientModel, data: Dataset, batchSize: number, opts: PassOptions = {}): Promise<ImportanceSums> {
  const t0 = performance.now();
  const sums = new Map(gm.params.map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
  const digest = new SetDigest();
  let batches = 0;
  let correct = 0;
  for await (const batch of data.batches(batchSize)) {
    opts.signal?.throwIfAborted();
    checkLabelRange(batch.y, gm.classes, data.description, batch.index);
    const r = await gm.run(batch.x, batch.y);
    for (const [name, g] of r.grads) accumulateSquares(sums.get(name)!, g);
    for (const d of exampleDigests(batch)) digest.add(d);
    correct += countCorrect(r.logits, batch, gm.classes);
    batches++;
    opts.onProgress?.(digest.count, data.count);
  }
  return { sums, batches, count: digest.count, batchSize, digest: hex(digest.digest()), correct, seconds: (performance.now() - t0) / 1000 };
}

/** The mean over minibatches, per parameter. */
export function importanceMeans(s: Pick<ImportanceSums, 'sums' | 'batches'>): Map<string, Float64Array> {
  return new Map([...s.sums].map(([k, v]) => [k, v.map((x) => x / s.batches)]));
}

export function countCorrect(logits: Float32Array, batch: Batch, classes: number): number {
  let correct = 0;
  for (let i = 0; i < batch.y.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (BigInt(best) === batch.y[i]) correct++;
  }
  return correct;
}
