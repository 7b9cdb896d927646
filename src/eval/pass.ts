// Forward passes over a set for one or more models at once (each batch decoded once), keeping
// per-example loss, entropy, prediction and label: the inputs of every metric. The forget set's
// softmax outputs are kept too, for the distances to a retrained model. A multi-label head's sets keep
// its per-example counts and its targets and predictions as bits instead of labels and predictions
// (multilabel.ts: about 2·C bytes an example), its losses and entropies are the per-label means, and
// the probabilities kept are its sigmoids.
import { checkHeadLabels } from '../context/index.js';
import { checkLabelRange, type Batch, type Dataset } from '../data/dataset.js';
import { fixedBatch } from '../runtime/batching.js';
import type { Forward } from '../runtime/forward.js';
import { argmax, crossEntropy, entropy, softmax } from './metrics.js';
import {
  multiLabelCounts,
  multiLabelEntropies,
  multiLabelLosses,
  multiLabelProbs,
  type MultiLabelOutputs,
} from './multilabel.js';

export interface SetOutputs {
  count: number;
  labels: Int32Array;
  predictions: Int32Array;
  losses: Float64Array;
  entropies: Float64Array;
  /**
   * When asked for (keepProbs), float64 [count, classes] row-major: the softmax outputs, or a
   * multi-label head's sigmoids σ(z) of every label.
   */
  probs?: Float64Array;
  /** A multi-label head's counts and bits per example (then labels and predictions are −1). */
  multiLabel?: MultiLabelOutputs;
}

/**
 * Examples per forward pass of an evaluation. A fresh ONNX Runtime session's first two runs at a new
 * size grow its memory arena (page faults on every new page), at a cost that grows with the batch's
 * activations; past a few dozen examples a larger batch runs no faster. Measured (2-vCPU VM, one
 * thread, first two runs, then steady throughput): cnn at 500 139 + 43 ms then 59k/s, at 64 18 + 6 ms
 * then 65k/s; vit 123 + 114 ms then 9.7k/s against 11 + 16 ms then 10.6k/s; resnet18 3.1 + 3.1 s
 * against 0.36 + 0.40 s at 190/s either way; mlp 365k/s against 248k/s, 8 ms more on 6,000 examples.
 * An evaluation opens a session per model, so this is paid per model.
 */
export const EVAL_BATCH = 64;

/**
 * Examples per evaluation batch for a model whose batch is `fixed` (undefined: free): EVAL_BATCH, or the
 * smallest multiple of the fixed batch at least as large, so that no run pads rows (a model fixed at 128
 * would otherwise run every batch of 64 padded to 128, twice the work).
 */
export function evalBatchFor(fixed: number | undefined): number {
  return fixed === undefined ? EVAL_BATCH : fixed * Math.ceil(EVAL_BATCH / fixed);
}

/**
 * Forward passes of every model over `data` in batches of `opts.batchSize` (default: evalBatchFor the
 * models' fixed batch), each batch decoded once: per-example labels, predictions, losses and entropies
 * per model (float64 losses and entropies, Int32 labels and predictions), with the softmax outputs
 * where keepProbs asks. The models take the same inputs. Throws BadInputError for labels outside the
 * head's classes or of the wrong kind.
 */
export async function runSet(
  models: readonly Pick<Forward, 'inputs' | 'logits' | 'plan'>[],
  data: Dataset,
  classes: number,
  opts: {
    /** The head is multi-label (graph/head.ts): `classes` labels scored by sigmoids against multi-hot labels. */
    multiLabel?: boolean;
    batchSize?: number;
    keepProbs?: boolean;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    onBatch?: (batch: Batch) => void;
    /** Model m's logits on this batch where already computed (PassHooks.logitsOf), else undefined. */
    known?: (m: number, batch: Batch) => Float32Array | undefined;
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
    multiLabel: opts.multiLabel
      ? {
          width: classes,
          right: new Int32Array(n),
          tp: new Int32Array(n),
          fp: new Int32Array(n),
          fn: new Int32Array(n),
          targets: new Uint8Array(n * classes),
          predicted: new Uint8Array(n * classes),
        }
      : undefined,
  }));
  const size = opts.batchSize ?? evalBatchFor(fixedBatch(models[0]?.inputs ?? []));
  // a long pass measures the threads of each model's runs (ForwardModel.plan)
  for (const m of models) m.plan?.(Math.ceil(n / size), opts.signal);
  for await (const batch of data.batches(size)) {
    opts.signal?.throwIfAborted();
    checkHeadLabels(batch, data.description, !!opts.multiLabel);
    if (!opts.multiLabel) checkLabelRange(batch.y, classes, data.description, batch.index);
    opts.onBatch?.(batch);
    const rows = batch.y.length;
    for (const [m, model] of models.entries()) {
      const o = outs[m];
      const data = opts.known?.(m, batch) ?? (await model.logits(batch.inputs ?? batch.x));
      const logits = { data, dims: [rows, classes] };
      if (opts.multiLabel) {
        addMultiLabel(o, logits.data, batch.targets!, classes);
        continue;
      }
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

/** A multi-label batch's per-example losses, entropies, counts, bits (and sigmoids, if kept) appended to `o`. */
function addMultiLabel(o: SetOutputs, logits: Float32Array, targets: Float32Array, width: number): void {
  const rows = logits.length / width;
  const c = multiLabelCounts(logits, targets, width);
  o.losses.set(multiLabelLosses(logits, targets, width), o.count);
  o.entropies.set(multiLabelEntropies(logits, width), o.count);
  const ml = o.multiLabel!;
  ml.right.set(c.right, o.count);
  ml.tp.set(c.tp, o.count);
  ml.fp.set(c.fp, o.count);
  ml.fn.set(c.fn, o.count);
  ml.targets.set(c.targets, o.count * width);
  ml.predicted.set(c.predicted, o.count * width);
  o.probs?.set(multiLabelProbs(logits), o.count * width);
  o.labels.fill(-1, o.count, o.count + rows);
  o.predictions.fill(-1, o.count, o.count + rows);
  o.count += rows;
}

function trim(o: SetOutputs, classes: number): SetOutputs {
  return {
    count: o.count,
    labels: o.labels.subarray(0, o.count),
    predictions: o.predictions.subarray(0, o.count),
    losses: o.losses.subarray(0, o.count),
    entropies: o.entropies.subarray(0, o.count),
    probs: o.probs?.subarray(0, o.count * classes),
    multiLabel: o.multiLabel && {
      width: o.multiLabel.width,
      right: o.multiLabel.right.subarray(0, o.count),
      tp: o.multiLabel.tp.subarray(0, o.count),
      fp: o.multiLabel.fp.subarray(0, o.count),
      fn: o.multiLabel.fn.subarray(0, o.count),
      targets: o.multiLabel.targets.subarray(0, o.count * classes),
      predicted: o.multiLabel.predicted.subarray(0, o.count * classes),
    },
  };
}
