// Forward passes over a set for one or more models at once (each batch decoded once), keeping
// per-example loss, entropy, prediction and label: the inputs of every metric. The forget set's
// softmax outputs are kept too, for the distances to a retrained model.
import { checkLabelRange, type Batch, type Dataset } from '../data/dataset.js';
import type { ForwardModel } from '../runtime/forward.js';
import { argmax, crossEntropy, entropy, softmax } from './metrics.js';

export interface SetOutputs {
  count: number;
  labels: Int32Array;
  predictions: Int32Array;
  losses: Float64Array;
  entropies: Float64Array;
  /** Softmax outputs [count, classes], when asked for. */
  probs?: Float64Array;
}

export async function runSet(
  models: readonly ForwardModel[],
  data: Dataset,
  classes: number,
  opts: {
    batchSize?: number;
    keepProbs?: boolean;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    onBatch?: (batch: Batch) => void;
  } = {},
): Promise<SetOutputs[]> {
  const n = data.count;
  const outs: SetOutputs[] = models.map(() => ({
    count: 0,
    labels: new Int32Array(n),
    predictions: new Int32Array(n),
    losses: new Float64Array(n),
    entropies: new Float64Array(n),
    probs: opts.keepProbs ? new Float64Array(n * classes) : undefined,
  }));
  for await (const batch of data.batches(opts.batchSize ?? 500)) {
    opts.signal?.throwIfAborted();
    checkLabelRange(batch.y, classes, data.description, batch.index);
    opts.onBatch?.(batch);
    const rows = batch.y.length;
    for (const [m, model] of models.entries()) {
      const o = outs[m];
      const logits = { data: await model.logits(batch.x), dims: [rows, classes] };
      const p = softmax(logits);
      const h = entropy({ data: p, dims: [rows, classes] });
      const l = crossEntropy(logits, batch.y);
      o.predictions.set(argmax(logits), o.count);
      for (let i = 0; i < rows; i++) {
        const at = o.count + i;
        o.labels[at] = Number(batch.y[i]);
        o.losses[at] = l[i];
        o.entropies[at] = h[i];
      }
      o.probs?.set(p, o.count * classes);
      o.count += rows;
    }
    opts.onProgress?.(outs[0].count, n);
  }
  // under --on-bad-input skip a pass may yield fewer examples than listed
  return outs.map((o) => (o.count === n ? o : trim(o, classes)));
}

function trim(o: SetOutputs, classes: number): SetOutputs {
  return {
    count: o.count,
    labels: o.labels.subarray(0, o.count),
    predictions: o.predictions.subarray(0, o.count),
    losses: o.losses.subarray(0, o.count),
    entropies: o.entropies.subarray(0, o.count),
    probs: o.probs?.subarray(0, o.count * classes),
  };
}
