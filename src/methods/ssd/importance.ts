// The importance of a set: over consecutive minibatches (set order, last partial) an elementwise
// function of the gradient of the minibatch's mean loss, summed in float64 — g² of the
// cross-entropy for SSD, |g| of the logit norm for LF-SSD (method.ts). The sums and the batch count
// are kept apart (mean = sum / batches) so that shards of a pass add up exactly.
import { requireLabels, withoutLabels, type Batch, type Dataset } from '../../data/dataset.js';
import { exampleDigests, hex, SetDigest } from '../../data/digest.js';
import { countCorrect, topClasses } from '../../eval/predictions.js';
import type { GradientModel, GradientResult } from '../../runtime/gradient.js';
import { NO_LABELS_REMEDY, variantOfLoss } from './variants.js';
import { checkHeadLabels, labelFeeds } from '../../context/index.js';

export interface ImportanceSums {
  /** Σ over minibatches of the elementwise importance, per parameter. */
  sums: Map<string, Float64Array>;
  batches: number;
  count: number;
  batchSize: number;
  /** Order-sensitive SHA-256 of the examples as fed (see data/digest.ts); labels count only where fed. */
  digest: string;
  /** Examples the model classified correctly during the pass (the pass computes logits anyway); 0 without labels. */
  correct: number;
  /** The model's top-1 class per position in the set (−1 where skipped), when asked for. */
  predictions?: Int32Array;
  /** Every example digest in pass order, 32 bytes each, when asked for (a shard's part file keeps them). */
  exampleDigests?: Uint8Array;
  /** The batches as read, in order, when asked for and within PassOptions.keepBatches. */
  kept?: Batch[];
  seconds: number;
}

export interface PassOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  keepPredictions?: boolean;
  keepDigests?: boolean;
  /**
   * Keep the batches read, for another pass over the set without reading it again, as long as their
   * inputs and labels take at most this many bytes (past that, none are kept).
   */
  keepBatches?: number;
  /** Only the examples at these positions of the set (a shard of the pass). */
  positions?: { start: number; end: number };
}

export async function importanceSums(
  gm: GradientModel,
  data: Dataset,
  batchSize: number,
  opts: PassOptions = {},
): Promise<ImportanceSums> {
  const t0 = performance.now();
  const method = variantOfLoss(gm.loss);
  if (gm.loss === 'cross-entropy') requireLabels(data, data.description, 'SSD', NO_LABELS_REMEDY);
  const sums = new Map(gm.params.map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
  const digest = new SetDigest();
  const predictions = opts.keepPredictions ? new Int32Array(data.count).fill(-1) : undefined;
  const total = opts.positions ? opts.positions.end - opts.positions.start : data.count;
  const kept = opts.keepDigests ? new Uint8Array(32 * total) : undefined;
  let batches = 0;
  let correct = 0;
  let keptBatches: Batch[] | undefined = opts.keepBatches ? [] : undefined;
  let keptBytes = 0;
  gm.plan(Math.ceil(total / batchSize), opts.signal);
  for await (const batch of data.batches(batchSize, opts.positions)) {
    opts.signal?.throwIfAborted();
    if (keptBatches) {
      keptBytes += batchBytes(batch);
      if (keptBytes <= opts.keepBatches!) keptBatches.push(batch);
      else keptBatches = undefined;
    }
    const r = await gradientsOf(gm, batch, data.description);
    for (const [name, g] of r.grads) method.accumulate(sums.get(name)!, g);
    for (const d of exampleDigests(gm.loss === 'logit-norm' ? withoutLabels(batch) : batch)) {
      kept?.set(d, 32 * digest.count);
      digest.add(d);
    }
    correct += countCorrect(r.logits, batch, gm.classes);
    if (predictions) topClasses(r.logits, gm.classes).forEach((c, i) => (predictions[batch.index[i]] = c));
    batches++;
    opts.onProgress?.(digest.count, total);
  }
  const exampleDigestBytes = kept?.subarray(0, 32 * digest.count);
  return {
    sums,
    batches,
    count: digest.count,
    batchSize,
    digest: hex(digest.digest()),
    correct,
    predictions,
    exampleDigests: exampleDigestBytes,
    kept: keptBatches,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Bytes a batch's inputs and labels hold. */
function batchBytes(b: Batch): number {
  const inputs = b.inputs ? Object.values(b.inputs) : [b.x];
  return inputs.reduce((a, t) => a + t.data.byteLength, 0) + b.y.byteLength + (b.targets?.byteLength ?? 0);
}

function gradientsOf(gm: GradientModel, batch: Batch, source: string): Promise<GradientResult> {
  // the loss takes the labels or nothing (SSD's cross-entropy, LF-SSD's logit norm)
  if (gm.lossDefinition.inputs.length === 0) return gm.run(batch.inputs ?? batch.x);
  // checked first with the examples' positions in the set, for the message
  checkHeadLabels(batch, source, gm.head.kind === 'multi-label');
  const feeds = labelFeeds(batch);
  gm.lossDefinition.check?.(feeds, batch.y.length, gm.classes, source, batch.index);
  return gm.run(batch.inputs ?? batch.x, feeds);
}

/** The mean over minibatches, per parameter. */
export function importanceMeans(s: Pick<ImportanceSums, 'sums' | 'batches'>): Map<string, Float64Array> {
  return new Map([...s.sums].map(([k, v]) => [k, v.map((x) => x / s.batches)]));
}

export { countCorrect, topClasses } from '../../eval/predictions.js';
