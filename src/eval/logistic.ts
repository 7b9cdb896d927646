// Binary logistic regression with sklearn's objective (LogisticRegression, penalty 'l2', fit_intercept):
//   minimise  Σ s_i·logloss_i + ‖w‖² / (2C)    (the same minimiser as C·Σ s_i·logloss_i + ½‖w‖²)
// with s_i the sample weights (1, or n / (2·n_class) for class_weight='balanced') and the intercept
// not penalised. Solved by damped Newton's method to the exact optimum rather than by L-BFGS:
// sklearn's lbfgs stops at a projected-gradient tolerance of 1e-4 or a relative decrease of 2.2e-9,
// so its coefficients are this optimum to within 5e-5 on the fixtures' features (entropy- and
// loss-like, up to 1e3 in scale). Where a feature's mean dwarfs its spread lbfgs stops on the
// relative decrease after a few iterations with w ≈ 0, far from the optimum: its predictions agree
// with the optimum's up to |mean|/std = 100 and differ beyond about 300 (300 ± 1: half of them).
// We do not reproduce that; `lbfgsMayStopEarly` flags the regime (a working classifier's entropies
// and losses have |mean|/std near 1; a collapsed model's near-constant outputs can reach it).
import { type Computed, firstNonFinite, notComputable } from './result.js';

export interface LogisticOptions {
  /** Inverse regularisation strength (sklearn's C). Default 1. */
  readonly C?: number;
  /** 'balanced': weight n / (2·n_class) per sample, as sklearn. Default null (all weights 1). */
  readonly classWeight?: 'balanced' | null;
  /** Features per sample; `x` is row-major n × features. Default 1. */
  readonly features?: number;
  /** Newton iterations at most. Default 100. */
  readonly maxIterations?: number;
}

export interface LogisticModel {
  /** One weight per feature. */
  readonly coef: Float64Array;
  readonly intercept: number;
  readonly iterations: number;
  /** False when maxIterations ran out or the line search could make no progress. */
  readonly converged: boolean;
}

/**
 * sklearn's lbfgs stops before its first step when the gradient at zero is within its tolerance
 * (tol = 1e-4, max-abs): with balanced weights and a constant feature it returns exactly zero, a
 * decision value of 0 and so class 0 for everything. Kept so that degenerate case agrees.
 */
const INITIAL_GRADIENT_TOLERANCE = 1e-4;
const STEP_TOLERANCE = 1e-12;
const ARMIJO = 1e-4;

/** Fits P(y = 1 | x) = σ(x·coef + intercept). `y` holds 0 and 1. */
export function fitLogistic(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: LogisticOptions = {},
): Computed<LogisticModel> {
  const d = options.features ?? 1;
  const C = options.C ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`features must be a positive integer, got ${d}`);
  if (!(C > 0) || !Number.isFinite(C)) throw new RangeError(`C must be positive and finite, got ${C}`);
  const n = y.length;
  if (x.length !== n * d) throw new RangeError(`x holds ${x.length} values, expected ${n} samples × ${d} features`);
  let n1 = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] === 1) n1++;
    else if (y[i] !== 0) throw new RangeError(`labels must be 0 or 1, got ${y[i]} at ${i}`);
  }
  if (n === 0) return notComputable('no samples to fit');
  if (n1 === 0 || n1 === n)
    return notComputable(
      `only class ${n1 === 0 ? 0 : 1} present (${n} samples): logistic regression needs both classes`,
    );
  const bad = firstNonFinite(x);
  if (bad)
    return notComputable(`${bad.count} non-finite feature value(s), first at sample ${Math.floor(bad.index / d)}`);

  const weights = new Float64Array(n);
  const w0 = options.classWeight === 'balanced' ? n / (2 * (n - n1)) : 1;
  const w1 = options.classWeight === 'balanced' ? n / (2 * n1) : 1;
  for (let i = 0; i < n; i++) weights[i] = y[i] === 1 ? w1 : w0;

  // Centring is an exact reparametrisation (the intercept is unpenalised) that keeps the Hessian
  // well conditioned when a feature's mean is large next to its spread.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = x[i * d + j] - mean[j];

  const problem: Problem = { x: xc, y, weights, n, d, invC: 1 / C };
  const beta = new Float64Array(d + 1); // coefficients, then the intercept
  let state = evaluate(problem, beta, true);
  // The gradient at zero is the same with or without centring (the weighted residuals' sum is the
  // intercept's gradient), so this check matches sklearn's at its starting point.
  if (gradientAtZeroWithinTolerance(problem, state.gradient, mean)) {
    return { ok: true, value: { coef: new Float64Array(d), intercept: 0, iterations: 0, converged: true } };
  }

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const step = solveSymmetric(state.hessian!, state.gradient, d + 1);
    const decrement = dot(state.gradient, step);
    const size = maxAbs(step);
    if (size <= STEP_TOLERANCE * (1 + maxAbs(beta))) {
      // Newton is exact to rounding this close to the optimum; no line search needed.
      for (let j = 0; j <= d; j++) beta[j] -= step[j];
      converged = true;
      break;
    }
    let t = 1;
    const trial = new Float64Array(d + 1);
    let trialState: Evaluation | undefined;
    for (;;) {
      for (let j = 0; j <= d; j++) trial[j] = beta[j] - t * step[j];
      trialState = evaluate(problem, trial, false);
      if (trialState.loss <= state.loss - ARMIJO * t * decrement) break;
      t /= 2;
      if (t < 1e-12) {
        trialState = undefined;
        break;
      }
    }
    if (!trialState) {
      // No decrease representable in float64: the optimum to rounding, unless the step is large.
      converged = size <= 1e-6 * (1 + maxAbs(beta));
      break;
    }
    beta.set(trial);
    state = evaluate(problem, beta, true);
    if (t * size <= STEP_TOLERANCE * (1 + maxAbs(beta))) {
      converged = true;
      break;
    }
  }
  const coef = beta.slice(0, d);
  let intercept = beta[d];
  for (let j = 0; j < d; j++) intercept -= coef[j] * mean[j];
  return { ok: true, value: { coef, intercept, iterations, converged } };
}

/**
 * True where sklearn's lbfgs may stop far short of the optimum on this 1-D feature, so the
 * reference's value can differ from ours: |mean| > 100·std and not all values equal (a constant
 * feature gives sklearn's result exactly).
 */
export function lbfgsMayStopEarly(feature: ArrayLike<number>): boolean {
  const n = feature.length;
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    mean += feature[i];
    min = Math.min(min, feature[i]);
    max = Math.max(max, feature[i]);
  }
  if (!(min < max)) return false;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (feature[i] - mean) ** 2;
  const std = Math.sqrt(variance / n);
  return std > 0 && Math.abs(mean) > 100 * std;
}

/** x·coef + intercept per sample. */
export function decisionFunction(model: LogisticModel, x: ArrayLike<number>): Float64Array {
  const d = model.coef.length;
  if (x.length % d !== 0) throw new RangeError(`x holds ${x.length} values, not a multiple of ${d} features`);
  const out = new Float64Array(x.length / d);
  for (let i = 0; i < out.length; i++) {
    let z = model.intercept;
    for (let j = 0; j < d; j++) z += model.coef[j] * x[i * d + j];
    out[i] = z;
  }
  return out;
}

/** Predicted class per sample: 1 where the decision value is > 0, as sklearn (0 on the boundary). */
export function predict(model: LogisticModel, x: ArrayLike<number>): Uint8Array {
  const z = decisionFunction(model, x);
  const out = new Uint8Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i] > 0 ? 1 : 0;
  return out;
}

/** P(y = 1) per sample (sklearn's predict_proba(x)[:, 1]). */
export function predictProba(model: LogisticModel, x: ArrayLike<number>): Float64Array {
  const z = decisionFunction(model, x);
  for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i]);
  return z;
}

interface Problem {
  readonly x: Float64Array;
  readonly y: ArrayLike<number>;
  readonly weights: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly invC: number;
}

interface Evaluation {
  readonly loss: number;
  readonly gradient: Float64Array;
  readonly hessian?: Float64Array;
}

function evaluate(p: Problem, beta: Float64Array, withDerivatives: boolean): Evaluation {
  const { x, y, weights, n, d, invC } = p;
  const m = d + 1;
  const gradient = new Float64Array(m);
  const hessian = withDerivatives ? new Float64Array(m * m) : undefined;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = beta[d];
    for (let j = 0; j < d; j++) z += beta[j] * x[i * d + j];
    const s = weights[i];
    loss += s * (y[i] === 1 ? softplus(-z) : softplus(z));
    if (!hessian) continue;
    const prob = sigmoid(z);
    const r = s * (prob - y[i]);
    const c = s * prob * (1 - prob);
    for (let j = 0; j < d; j++) {
      const xj = x[i * d + j];
      gradient[j] += r * xj;
      for (let k = 0; k <= j; k++) hessian[j * m + k] += c * xj * x[i * d + k];
      hessian[d * m + j] += c * xj;
    }
    gradient[d] += r;
    hessian[d * m + d] += c;
  }
  let penalty = 0;
  for (let j = 0; j < d; j++) penalty += beta[j] * beta[j];
  loss += 0.5 * invC * penalty;
  if (hessian) {
    for (let j = 0; j < d; j++) {
      gradient[j] += invC * beta[j];
      hessian[j * m + j] += invC;
    }
    for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) hessian[k * m + j] = hessian[j * m + k];
  }
  return { loss, gradient, hessian };
}

function gradientAtZeroWithinTolerance(p: Problem, centredGradient: Float64Array, mean: Float64Array): boolean {
  // Uncentred gradient: g_j = Σ r_i (xc_ij + mean_j) = centred g_j + mean_j · g_intercept.
  const d = p.d;
  if (Math.abs(centredGradient[d]) > INITIAL_GRADIENT_TOLERANCE) return false;
  for (let j = 0; j < d; j++) {
    if (Math.abs(centredGradient[j] + mean[j] * centredGradient[d]) > INITIAL_GRADIENT_TOLERANCE) return false;
  }
  return true;
}

/** Solves H s = g for a symmetric positive definite H (Cholesky), with a jitter if rounding breaks it. */
function solveSymmetric(h: Float64Array, g: Float64Array, m: number): Float64Array {
  let scale = 0;
  for (let j = 0; j < m; j++) scale = Math.max(scale, Math.abs(h[j * m + j]));
  for (let jitter = 0; ; jitter = jitter === 0 ? 1e-12 * (scale || 1) : jitter * 100) {
    const l = cholesky(h, m, jitter);
    if (!l) continue;
    const s = Float64Array.from(g);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < i; k++) s[i] -= l[i * m + k] * s[k];
      s[i] /= l[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      for (let k = i + 1; k < m; k++) s[i] -= l[k * m + i] * s[k];
      s[i] /= l[i * m + i];
    }
    return s;
  }
}

function cholesky(h: Float64Array, m: number, jitter: number): Float64Array | undefined {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i * m + j] + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * m + i] = Math.sqrt(sum);
      } else {
        l[i * m + j] = sum / l[j * m + j];
      }
    }
  }
  return l;
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
