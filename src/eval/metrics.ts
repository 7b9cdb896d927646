// The evaluation metrics of the fixtures' README ("Metrics"), in float64, from logits or softmax
// outputs held row-major as [samples, classes].
import { crossValidatedAccuracy } from './crossval.js';
import { fitLogistic, lbfgsMayStopEarly, predict } from './logistic.js';
import { firstNonFinite, type MetricDescriptor, type MetricResult } from './result.js';
import { createPrng, shuffled, stratifiedShuffleSplits } from './splits.js';

/** A [samples, classes] matrix, row-major (a runtime HostTensor with float data fits). */
export interface Rows {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

/** Class indices per sample (int64 labels from .npy files come as BigInt64Array). */
export type Labels = ArrayLike<number> | ArrayLike<bigint>;

const ACCURACY: MetricDescriptor = { name: 'accuracy', version: 1, params: { top: 1, ties: 'lowest-index' } };
const CROSS_ENTROPY: MetricDescriptor = {
  name: 'cross_entropy',
  version: 1,
  params: { reduction: 'mean', log: 'natural' },
};
/** The entropy attack's descriptor (miaEntropyFromFeatures), for a result that says why it was not run. */
export const MIA: MetricDescriptor = {
  name: 'mia',
  version: 1,
  params: {
    feature: 'entropy',
    positive: 'retain',
    negative: 'test',
    scored: 'forget',
    C: 1,
    classWeight: 'balanced',
    solver: 'newton',
  },
};
const JS_DIVERGENCE: MetricDescriptor = {
  name: 'js_divergence',
  version: 1,
  params: { log: 'natural', reduction: 'mean' },
};
const L1_DISTANCE: MetricDescriptor = { name: 'l1_distance', version: 1, params: { reduction: 'mean' } };

function miaLossDescriptor(seed: number): MetricDescriptor {
  return {
    name: 'mia_loss',
    version: 1,
    params: {
      feature: 'cross_entropy',
      positive: 'forget',
      negative: 'unseen',
      balance: 'shuffle-truncate',
      splits: 10,
      testSize: 0.1,
      seed,
      prng: 'xoshiro128**',
      C: 1,
      classWeight: null,
      solver: 'newton',
    },
  };
}

/** Row-wise softmax, shifted by the row maximum so that large logits do not overflow. */
export function softmax(logits: Rows): Float64Array {
  const [n, k] = shapeOf(logits);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const max = rowMax(logits.data, base, k);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[base + j] = Math.exp(logits.data[base + j] - max);
    for (let j = 0; j < k; j++) out[base + j] /= sum;
  }
  return out;
}

/** −Σ p·ln p per row, over p > 0 (the reference's torch.where). */
export function entropy(probs: Rows): Float64Array {
  const [n, k] = shapeOf(probs);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let j = 0; j < k; j++) {
      const p = probs.data[i * k + j];
      if (p > 0) h -= p * Math.log(p);
    }
    out[i] = h;
  }
  return out;
}

/** Per-sample cross-entropy −log softmax(z)[y], via a stable log-sum-exp. */
export function crossEntropy(logits: Rows, labels: Labels): Float64Array {
  const [n, k] = shapeOf(logits);
  const y = classIndices(labels, n, k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const max = rowMax(logits.data, base, k);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits.data[base + j] - max);
    out[i] = max + Math.log(sum) - logits.data[base + y[i]];
  }
  return out;
}

/** Index of each row's largest value; the lowest index on ties and the first NaN if any, as torch.argmax. */
export function argmax(rows: Rows): Int32Array {
  const [n, k] = shapeOf(rows);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = rows.data[i * k];
    for (let j = 1; j < k && !Number.isNaN(bestValue); j++) {
      const v = rows.data[i * k + j];
      if (v > bestValue || Number.isNaN(v)) {
        best = j;
        bestValue = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Top-1 accuracy of logits (or probabilities) against labels. */
export function accuracy(scores: Rows, labels: Labels): MetricResult {
  const [n, k] = shapeOf(scores);
  const y = classIndices(labels, n, k);
  if (n === 0) return { ok: false, reason: 'no samples', metric: ACCURACY };
  const predicted = argmax(scores);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === y[i]) correct++;
  return { ok: true, value: correct / n, metric: ACCURACY };
}

/** Mean per-sample cross-entropy of logits. */
export function meanCrossEntropy(logits: Rows, labels: Labels): MetricResult {
  const losses = crossEntropy(logits, labels);
  if (losses.length === 0) return { ok: false, reason: 'no samples', metric: CROSS_ENTROPY };
  const bad = firstNonFinite(losses);
  if (bad)
    return {
      ok: false,
      reason: `${bad.count} sample(s) with a non-finite loss, first at ${bad.index}`,
      metric: CROSS_ENTROPY,
    };
  return { ok: true, value: mean(losses), metric: CROSS_ENTROPY };
}

/**
 * The SSD paper's attack: logistic regression (C = 1, balanced class weights) on the softmax
 * entropy, retain = member (1) against test = non-member (0); the fraction of forget samples it
 * calls members.
 */
export function miaEntropy(pRetain: Rows, pForget: Rows, pTest: Rows): MetricResult {
  for (const [name, p] of [
    ['retain', pRetain],
    ['forget', pForget],
    ['test', pTest],
  ] as const) {
    const bad = firstNonFinite(p.data);
    if (bad) return { ok: false, reason: `${name}: ${bad.count} non-finite probabilities`, metric: MIA };
  }
  return miaEntropyFromFeatures(entropy(pRetain), entropy(pForget), entropy(pTest));
}

/** miaEntropy from the per-sample entropies. */
export function miaEntropyFromFeatures(
  hRetain: ArrayLike<number>,
  hForget: ArrayLike<number>,
  hTest: ArrayLike<number>,
): MetricResult {
  for (const [name, h] of [
    ['retain', hRetain],
    ['forget', hForget],
    ['test', hTest],
  ] as const) {
    if (h.length === 0) return { ok: false, reason: `the ${name} set is empty`, metric: MIA };
    const bad = firstNonFinite(h);
    if (bad)
      return { ok: false, reason: `${name}: ${bad.count} non-finite entropies, first at ${bad.index}`, metric: MIA };
  }
  const x = new Float64Array(hRetain.length + hTest.length);
  x.set(hRetain);
  x.set(hTest, hRetain.length);
  const y = new Uint8Array(x.length);
  y.fill(1, 0, hRetain.length);
  const fit = fitLogistic(x, y, { C: 1, classWeight: 'balanced' });
  if (!fit.ok) return { ok: false, reason: fit.reason, metric: MIA };
  const called = predict(fit.value, hForget);
  let members = 0;
  for (const c of called) members += c;
  return { ok: true, value: members / called.length, metric: MIA, ...lbfgsNote(x) };
}

/**
 * The NeurIPS 2023 unlearning challenge kit's attack: per-sample losses, forget = 1 against
 * unseen = 0, the larger set cut to the smaller's size after a shuffle; the mean held-out accuracy
 * of logistic regression (C = 1, no class weights) over 10 stratified shuffle splits with 10% test.
 * Our shuffles are seeded from `seed` (see splits.ts), not numpy's, so the value agrees with the
 * reference's only statistically: over seeds it varies by about 0.004 (std) at 5,500 per class and
 * 0.012 at 1,000 (class0's unseen set), where one seed can miss the reference's by over 0.02.
 * Needs 6 or more of each (sklearn raises below that).
 */
export function miaLoss(lossForget: ArrayLike<number>, lossUnseen: ArrayLike<number>, seed = 0): MetricResult {
  const metric = miaLossDescriptor(seed);
  for (const [name, l] of [
    ['forget', lossForget],
    ['unseen', lossUnseen],
  ] as const) {
    if (l.length === 0) return { ok: false, reason: `the ${name} set is empty`, metric };
    const bad = firstNonFinite(l);
    if (bad) return { ok: false, reason: `${name}: ${bad.count} non-finite losses, first at ${bad.index}`, metric };
  }
  const rng = createPrng(seed);
  const n = Math.min(lossForget.length, lossUnseen.length);
  const forget = shuffled(lossForget, rng).subarray(0, n);
  const unseen = shuffled(lossUnseen, rng).subarray(0, n);
  const x = new Float64Array(2 * n);
  x.set(unseen);
  x.set(forget, n);
  const y = new Uint8Array(2 * n);
  y.fill(1, n);
  const splits = stratifiedShuffleSplits(y, rng, { splits: 10, testSize: 0.1 });
  if (!splits.ok)
    return {
      ok: false,
      reason:
        `${n} forget and ${n} unseen examples (as many of each as the smaller set has) are too few for the ` +
        `attack's 10 splits that each hold out a tenth (${splits.reason}); give larger forget and test sets`,
      metric,
    };
  const cv = crossValidatedAccuracy(x, y, splits.value, { C: 1, classWeight: null });
  if (!cv.ok) return { ok: false, reason: cv.reason, metric };
  return { ok: true, value: cv.value.mean, metric, ...lbfgsNote(x) };
}

/** Mean over rows of the Jensen–Shannon divergence (natural log) between two probability matrices. */
export function jsDivergence(p: Rows, q: Rows): MetricResult {
  const [n, k] = samePairShape(p, q);
  if (n === 0) return { ok: false, reason: 'no samples', metric: JS_DIVERGENCE };
  let total = 0;
  for (let i = 0; i < n; i++) {
    let js = 0;
    for (let j = 0; j < k; j++) {
      const a = p.data[i * k + j];
      const b = q.data[i * k + j];
      const m = 0.5 * (a + b);
      if (a > 0) js += 0.5 * a * Math.log(a / m);
      if (b > 0) js += 0.5 * b * Math.log(b / m);
    }
    total += js;
  }
  return finiteOr(total / n, JS_DIVERGENCE);
}

/** Mean over rows of Σ|p − q|. */
export function l1Distance(p: Rows, q: Rows): MetricResult {
  const [n, k] = samePairShape(p, q);
  if (n === 0) return { ok: false, reason: 'no samples', metric: L1_DISTANCE };
  let total = 0;
  for (let i = 0; i < n * k; i++) total += Math.abs(p.data[i] - q.data[i]);
  return finiteOr(total / n, L1_DISTANCE);
}

function lbfgsNote(feature: Float64Array): { note?: string } {
  return lbfgsMayStopEarly(feature)
    ? {
        note:
          "the feature's mean is over 100 times its spread: " +
          "the exact optimum is used, where sklearn's lbfgs may stop early and differ",
      }
    : {};
}

function finiteOr(value: number, metric: MetricDescriptor): MetricResult {
  return Number.isFinite(value)
    ? { ok: true, value, metric }
    : { ok: false, reason: 'non-finite probabilities', metric };
}

function shapeOf(rows: Rows): [number, number] {
  if (rows.dims.length !== 2) throw new RangeError(`expected [samples, classes], got dims [${rows.dims}]`);
  const [n, k] = rows.dims;
  if (rows.data.length !== n * k) throw new RangeError(`dims [${rows.dims}] do not match ${rows.data.length} values`);
  if (k < 1 && n > 0) throw new RangeError('rows have no classes');
  return [n, k];
}

function samePairShape(p: Rows, q: Rows): [number, number] {
  const [n, k] = shapeOf(p);
  const [m, l] = shapeOf(q);
  if (n !== m || k !== l) throw new RangeError(`shapes differ: [${n}, ${k}] and [${m}, ${l}]`);
  return [n, k];
}

function classIndices(labels: Labels, n: number, k: number): Int32Array {
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} samples`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Number(labels[i]);
    if (!Number.isInteger(c) || c < 0 || c >= k)
      throw new RangeError(`label ${labels[i]} at ${i} is not a class in [0, ${k})`);
    out[i] = c;
  }
  return out;
}

function rowMax(data: ArrayLike<number>, base: number, k: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, data[base + j]);
  return max;
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}
