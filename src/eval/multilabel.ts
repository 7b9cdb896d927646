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
// With a forgotten label L (every forget example carries L, no retain example does: forgottenLabel),
// the label's recall and binary F1 and the micro-F1 over the other labels; with a retrained model, the
// Jensen–Shannon divergence and L1 distance between the two models' sigmoids. These follow the text
// fixtures' README ("Metrics", ../shared/text/README.md), under report.json's names.
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
  /** Multi-hot targets [n·C], row-major, 1 where the example carries the label (target ≥ 0.5). */
  targets: Uint8Array;
  /** Predictions [n·C], row-major, 1 where the logit is > 0 (σ(z) > 0.5). */
  predicted: Uint8Array;
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

/**
 * Counts per example of entries right, TP, FP and FN, predicting 1 where z > 0 (σ(z) > 0.5), and the
 * targets and predictions as bits (`targets` 1 where the target is ≥ 0.5). `logits` and `targets` are
 * [n·C] row-major.
 */
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
    targets: new Uint8Array(n * width),
    predicted: new Uint8Array(n * width),
  };
  for (let i = 0; i < n; i++)
    for (let k = i * width; k < (i + 1) * width; k++) {
      const p = logits[k] > 0;
      const t = targets[k] >= 0.5;
      o.predicted[k] = p ? 1 : 0;
      o.targets[k] = t ? 1 : 0;
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

/** Recall of one label at 0.5: over the examples carrying it, the fraction with it predicted. */
export function labelRecallDescriptor(label: number): MetricDescriptor {
  return { name: 'label_recall', version: 1, params: { label, threshold: 0.5 } };
}
/** Binary F1 of one label at 0.5 over every example: 2·TP / (2·TP + FP + FN) of that column. */
export function labelF1Descriptor(label: number): MetricDescriptor {
  return { name: 'binary_f1', version: 1, params: { label, threshold: 0.5 } };
}
/** Micro-F1 at 0.5 over every entry of the labels other than `label`. */
export function microF1WithoutDescriptor(label: number): MetricDescriptor {
  return { name: 'micro_f1', version: 1, params: { threshold: 0.5, excludedLabel: label } };
}
export const BERNOULLI_JS: MetricDescriptor = {
  name: 'js_divergence',
  version: 1,
  params: {
    log: 'natural',
    distributions: 'Bernoulli(sigmoid) per label',
    reduction: 'mean over labels, then examples',
  },
};
export const SIGMOID_L1: MetricDescriptor = {
  name: 'l1_distance',
  version: 1,
  params: { of: 'sigmoids', reduction: 'sum over labels, mean over examples' },
};

/**
 * σ(z) = 1 / (1 + e^−z) of every entry of `logits` [n·C] (float32 or float64), in float64; the
 * probabilities js_to_retrain and l1_to_retrain compare.
 */
export function multiLabelProbs(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  for (let k = 0; k < logits.length; k++) {
    const z = logits[k];
    // stable either side: e^−|z| never overflows
    const e = Math.exp(-Math.abs(z));
    out[k] = z >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  return out;
}

/**
 * The forgotten label of a multi-label forget set: the one label L that every forget example carries
 * and no retain example carries (the multi-label counterpart of evaluate.ts forgottenClass; the text
 * fixtures' label18 scenario). Undefined when the forget set is empty, when no label qualifies, or when
 * several do (which of them was forgotten cannot be told).
 */
export function forgottenLabel(forget: MultiLabelOutputs, retain: MultiLabelOutputs): number | undefined {
  const c = forget.width;
  const n = forget.right.length;
  if (n === 0 || retain.width !== c) return undefined;
  const candidate = new Uint8Array(c).fill(1);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) if (!forget.targets[i * c + j]) candidate[j] = 0;
  for (let i = 0; i < retain.right.length; i++)
    for (let j = 0; j < c; j++) if (retain.targets[i * c + j]) candidate[j] = 0;
  const found = [...candidate.keys()].filter((j) => candidate[j]);
  return found.length === 1 ? found[0] : undefined;
}

/** TP, FP and FN of column `label` (or, with `without`, of every other column) of a set's bits. */
function columnCounts(o: MultiLabelOutputs, label: number, without = false): { tp: number; fp: number; fn: number } {
  const c = o.width;
  let [tp, fp, fn] = [0, 0, 0];
  for (let i = 0; i < o.right.length; i++)
    for (let j = 0; j < c; j++) {
      if ((j === label) === without) continue;
      const t = o.targets[i * c + j];
      const p = o.predicted[i * c + j];
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
  return { tp, fp, fn };
}

/**
 * Recall of `label` at 0.5 over a set: among its examples carrying the label, the fraction with the
 * label predicted (logit > 0). On a forget set whose every example carries the forgotten label this is
 * `forget_label_recall`; on the test set, `test_forget_label_recall`. Not computable when no example
 * carries the label (`what` names the set in the reason).
 */
export function labelRecall(o: MultiLabelOutputs, label: number, what: string): MetricResult {
  const metric = labelRecallDescriptor(label);
  const { tp, fn } = columnCounts(o, label);
  return tp + fn > 0
    ? { ok: true, value: tp / (tp + fn), metric }
    : { ok: false, reason: `no ${what} example carries label ${label}`, metric };
}

/**
 * Binary F1 of `label` at 0.5 over every example of a set: 2·TP / (2·TP + FP + FN) of that column
 * (sklearn's f1_score of the column; `test_forget_label_f1`). Not computable when the label is neither
 * carried nor predicted anywhere.
 */
export function labelF1(o: MultiLabelOutputs, label: number, what: string): MetricResult {
  const metric = labelF1Descriptor(label);
  const { tp, fp, fn } = columnCounts(o, label);
  return 2 * tp + fp + fn > 0
    ? { ok: true, value: (2 * tp) / (2 * tp + fp + fn), metric }
    : { ok: false, reason: `label ${label} is neither carried nor predicted in the ${what} set`, metric };
}

/**
 * Micro-F1 at 0.5 over every (example, label) entry of a set except those of `label`:
 * 2·TP / (2·TP + FP + FN) summed over the other C − 1 labels (`test_retain_labels_micro_f1`).
 */
export function microF1Without(o: MultiLabelOutputs, label: number, what: string): MetricResult {
  const metric = microF1WithoutDescriptor(label);
  const { tp, fp, fn } = columnCounts(o, label, true);
  return 2 * tp + fp + fn > 0
    ? { ok: true, value: (2 * tp) / (2 * tp + fp + fn), metric }
    : { ok: false, reason: `no positive label or prediction besides label ${label} in the ${what} set`, metric };
}

/**
 * `js_to_retrain` of a multi-label head: for two models' sigmoids p and q over the same n examples
 * ([n·C] row-major, float64), the mean over examples of the mean over the C labels of the
 * Jensen–Shannon divergence (natural log) between Bernoulli(p) and Bernoulli(q):
 * JS = ½·KL(P‖M) + ½·KL(Q‖M), M = ½(P + Q), with 0·ln 0 = 0; between 0 and ln 2.
 */
export function bernoulliJsDivergence(p: ArrayLike<number>, q: ArrayLike<number>, width: number): MetricResult {
  const n = pairRows(p, q, width);
  if (n === 0) return { ok: false, reason: 'no samples', metric: BERNOULLI_JS };
  const half = (a: number, m: number) => (a > 0 ? 0.5 * a * Math.log(a / m) : 0);
  let total = 0;
  for (let k = 0; k < n * width; k++) {
    const [a, b] = [p[k], q[k]];
    const m = 0.5 * (a + b);
    total += half(a, m) + half(b, m) + half(1 - a, 1 - m) + half(1 - b, 1 - m);
  }
  return finite(total / (n * width), BERNOULLI_JS);
}

/**
 * `l1_to_retrain` of a multi-label head: the mean over examples of Σ over the C labels of |p − q|,
 * p and q two models' sigmoids over the same examples ([n·C] row-major, float64).
 */
export function sigmoidL1Distance(p: ArrayLike<number>, q: ArrayLike<number>, width: number): MetricResult {
  const n = pairRows(p, q, width);
  if (n === 0) return { ok: false, reason: 'no samples', metric: SIGMOID_L1 };
  let total = 0;
  for (let k = 0; k < n * width; k++) total += Math.abs(p[k] - q[k]);
  return finite(total / n, SIGMOID_L1);
}

function pairRows(p: ArrayLike<number>, q: ArrayLike<number>, width: number): number {
  if (p.length !== q.length || width < 1 || p.length % width !== 0)
    throw new RangeError(`expected two [n, ${width}] sets of probabilities, got ${p.length} and ${q.length} values`);
  return p.length / width;
}

function finite(value: number, metric: MetricDescriptor): MetricResult {
  return Number.isFinite(value)
    ? { ok: true, value, metric }
    : { ok: false, reason: 'non-finite probabilities', metric };
}
