// Metrics of a multi-label head (graph/head.ts): logits [n, C] scored by C independent sigmoids
// against multi-hot labels [n, C] (0 or 1), in float64. A label is predicted where σ(z) > 0.5, i.e.
// z > 0 ("at 0.5"; z = 0 exactly predicts 0). Definitions as scikit-learn's:
//   entry accuracy  the fraction of the n·C entries predicted right (the per-label accuracy at 0.5),
//   exact match     the fraction of examples whose C labels are all right (accuracy_score on multi-hot),
//   micro-F1        2·TP / (2·TP + FP + FN) over every entry (f1_score(average='micro')),
//   loss            per example the mean over C of the binary cross-entropy with logits
//                   max(z, 0) − t·z + log(1 + e^−|z|) (BCEWithLogitsLoss, mean reduction),
//   entropy         per example the mean over C of the binary entropy of σ(z), in nats (the
//                   membership attack's feature, as the softmax entropy is for a single-label head).
import type { MetricDescriptor, MetricResult } from './result.js';

/** Per-example results of a multi-label head over a set: what its metrics are computed from. */
export interface MultiLabelOutputs {
  /** Labels per example (C). */
  width: number;
  /** Entries predicted right, per example (0 … C). */
  right: Int32Array;
  /** True positives, false positives, false negatives, per example. */
  tp: Int32Array;
  fp: Int32Array;
  fn: Int32Array;
}

export const ENTRY_ACCURACY: MetricDescriptor = {
  name: 'entry_accuracy',
  version: 1,
  params: { threshold: 0.5, predicted: 'sigmoid > threshold' },
};
export const EXACT_MATCH: MetricDescriptor = { name: 'exact_match', version: 1, params: { threshold: 0.5 } };
export const MICRO_F1: MetricDescriptor = { name: 'micro_f1', version: 1, params: { threshold: 0.5 } };
export const MULTI_LABEL_LOSS: MetricDescriptor = {
  name: 'binary_cross_entropy',
  version: 1,
  params: { reduction: 'mean', over: 'labels, then examples', log: 'natural' },
};

/** Per-example mean binary cross-entropy with logits of `logits` [n·C] against `targets` [n·C]. */
export function multiLabelLosses(logits: ArrayLike<number>, targets: ArrayLike<number>, width: number): Float64Array {
  const n = logits.length / width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * width; k < (i + 1) * width; k++) {
      const z = logits[k];
      s += Math.max(z, 0) - targets[k] * z + Math.log1p(Math.exp(-Math.abs(z)));
    }
    out[i] = s / width;
  }
  return out;
}

/** Per-example mean binary entropy (nats) of σ(z) over the C labels of `logits` [n·C]. */
export function multiLabelEntropies(logits: ArrayLike<number>, width: number): Float64Array {
  const n = logits.length / width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * width; k < (i + 1) * width; k++) {
      // H(σ(z)) = log(1 + e^−|z|) + |z|·σ(−|z|), stable for large |z|
      const a = Math.abs(logits[k]);
      s += Math.log1p(Math.exp(-a)) + a / (1 + Math.exp(a));
    }
    out[i] = s / width;
  }
  return out;
}

/** Counts per example of entries right, TP, FP and FN, predicting 1 where z > 0 (σ(z) > 0.5). */
export function multiLabelCounts(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  width: number,
): MultiLabelOutputs {
  const n = logits.length / width;
  const o: MultiLabelOutputs = {
    width,
    right: new Int32Array(n),
    tp: new Int32Array(n),
    fp: new Int32Array(n),
    fn: new Int32Array(n),
  };
  for (let i = 0; i < n; i++)
    for (let k = i * width; k < (i + 1) * width; k++) {
      const p = logits[k] > 0;
      const t = targets[k] >= 0.5;
      if (p === t) o.right[i]++;
      if (p && t) o.tp[i]++;
      else if (p) o.fp[i]++;
      else if (t) o.fn[i]++;
    }
  return o;
}

/** Entry accuracy, exact match and micro-F1 of a set's counts (`what` names the set in reasons). */
export function multiLabelMetrics(
  o: MultiLabelOutputs,
  what: string,
): Record<'acc' | 'exact_acc' | 'micro_f1', MetricResult> {
  const n = o.right.length;
  const sum = (a: Int32Array) => a.reduce((s, v) => s + v, 0);
  if (n === 0) {
    const empty = (metric: MetricDescriptor): MetricResult => ({
      ok: false,
      reason: `the ${what} set is empty`,
      metric,
    });
    return { acc: empty(ENTRY_ACCURACY), exact_acc: empty(EXACT_MATCH), micro_f1: empty(MICRO_F1) };
  }
  const exact = o.right.reduce((s, v) => s + (v === o.width ? 1 : 0), 0);
  const [tp, fp, fn] = [sum(o.tp), sum(o.fp), sum(o.fn)];
  const f1: MetricResult =
    2 * tp + fp + fn > 0
      ? { ok: true, value: (2 * tp) / (2 * tp + fp + fn), metric: MICRO_F1 }
      : { ok: false, reason: `no positive label or prediction in the ${what} set`, metric: MICRO_F1 };
  return {
    acc: { ok: true, value: sum(o.right) / (n * o.width), metric: ENTRY_ACCURACY },
    exact_acc: { ok: true, value: exact / n, metric: EXACT_MATCH },
    micro_f1: f1,
  };
}
