// SSD's selection threshold chosen from the data: adaptive SSD (ASSD; Schoepf, Foster and Brintrup
// 2024, "Parameter-tuning-free data entry error unlearning with adaptive selective synaptic
// dampening", arXiv 2402.10098, and the authors' code). Over every parameter element, the ratio
// forget importance / full importance; α is its percentile P = 100 − ln(1 + 100·|Df|/|D|) (numpy's
// linear interpolation), over the finite ratios only (0/0 and x/0 are left out, as the authors'
// code does); λ = 1. Pure maths: float64 arrays in, numbers out.

/** What the rule chose and the statistic it came from (the record keeps all of it). */
export interface AutoAlpha {
  /** The chosen selection threshold α. */
  alpha: number;
  /** ASSD's dampening constant, 1. */
  lambda: number;
  /** The percentile P of the ratios that α is, in [0, 100]. */
  percentile: number;
  /** |Df| / |D|: forget examples over the full data's examples. */
  forgetFraction: number;
  /** How many finite ratios the percentile was taken over. */
  ratios: number;
  /** Elements left out: full importance 0 (0/0 or x/0). */
  skipped: number;
}

/** ASSD's dampening constant. */
export const ASSD_LAMBDA = 1;

/**
 * ASSD's percentile P = 100 − ln(1 + 100·|Df|/|D|) for a forget set of `forgetCount` examples out of
 * `fullCount` (the full data the Fisher importance was taken over). Throws RangeError unless
 * 1 ≤ forgetCount < fullCount (integers).
 */
export function assdPercentile(forgetCount: number, fullCount: number): number {
  if (!Number.isInteger(forgetCount) || !Number.isInteger(fullCount) || forgetCount < 1 || forgetCount >= fullCount)
    throw new RangeError(`ASSD needs 1 ≤ |Df| < |D| (got |Df| = ${forgetCount}, |D| = ${fullCount})`);
  return 100 - Math.log(1 + (100 * forgetCount) / fullCount);
}

/**
 * numpy.percentile(values, p) with its default linear interpolation: `sorted` ascending, finite,
 * non-empty; p in [0, 100]. Position h = (n − 1)·p/100 between the values at ⌊h⌋ and ⌊h⌋ + 1.
 */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) throw new RangeError('the percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * numpy.percentile(values, p) with its default linear interpolation: the float64 value
 * percentileOfSorted gives for the sorted values, without sorting them all. `values` finite,
 * non-empty, left as they are. Throws RangeError for an empty array or p outside [0, 100].
 *
 * The two order statistics around position h = (n − 1)·p/100 are bracketed from a sorted sample of
 * the values, every value is counted against the bracket in one pass, and only the values inside it
 * are sorted (a few percent of them); where the sample misses the ranks, or under 16,384 values, all
 * are sorted. Counting makes the result exact whatever the sample.
 */
export function percentileOf(values: Float64Array, p: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('the percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const at = n >= 1 << 14 ? bracketed(values, [lo, Math.min(lo + 1, n - 1)]) : undefined;
  if (!at) return percentileOfSorted(values.slice().sort(), p);
  return at[0] + (h - lo) * (at[1] - at[0]);
}

/** The values of rank r₀ ≤ r₁ (0-based, ascending) of `values`, or undefined where the sampled bracket misses them. */
function bracketed(values: Float64Array, [r0, r1]: [number, number]): [number, number] | undefined {
  const n = values.length;
  // a sixteenth of the values, at most 2¹⁶, evenly spaced; the bracket reaches 3σ of a rank past them
  const size = Math.min(1 << 16, n >> 4);
  const spread = 3 * Math.sqrt(size);
  const sample = Float64Array.from({ length: size }, (_, i) => values[Math.floor((i * n) / size)]).sort();
  const at = (r: number) => sample[Math.min(size - 1, Math.max(0, Math.round((r * size) / n)))];
  const low = at(r0 - (spread * n) / size);
  const high = at(r1 + (spread * n) / size);
  // ranks: [0, below) < low; then eqLow values = low; the sorted `inside` (low < v < high); eqHigh = high
  let below = 0;
  let eqLow = 0;
  let eqHigh = 0;
  const inside = new Float64Array(Math.min(n, Math.ceil((8 * spread * n) / size) + 64));
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < low) below++;
    else if (v === low) eqLow++;
    else if (v < high) {
      if (m === inside.length) return undefined;
      inside[m++] = v;
    } else if (v === high) eqHigh++;
  }
  const sorted = inside.subarray(0, m).sort();
  const value = (r: number): number | undefined => {
    if (r < below) return undefined;
    if (r < below + eqLow) return low;
    if (r < below + eqLow + m) return sorted[r - below - eqLow];
    if (r < below + eqLow + m + eqHigh) return high;
    return undefined;
  };
  const a = value(r0);
  const b = value(r1);
  return a === undefined || b === undefined ? undefined : [a, b];
}

/**
 * ASSD's α: the percentile `assdPercentile(forgetCount, fullCount)` of forget[i] / full[i] over
 * every element of every parameter whose ratio is finite. `pairs` gives each parameter's mean
 * importances (same length each), float64. Throws RangeError for bad counts, mismatched lengths, or
 * when no ratio is finite (no element has a nonzero full importance).
 */
export function assdAlpha(
  pairs: Iterable<readonly [full: Float64Array, forget: Float64Array]>,
  forgetCount: number,
  fullCount: number,
): AutoAlpha {
  const percentile = assdPercentile(forgetCount, fullCount);
  const list = [...pairs];
  let total = 0;
  for (const [full, forget] of list) {
    if (full.length !== forget.length)
      throw new RangeError(`importance sizes ${full.length} and ${forget.length} do not match`);
    total += full.length;
  }
  const ratios = new Float64Array(total);
  let n = 0;
  for (const [full, forget] of list)
    for (let i = 0; i < full.length; i++) {
      const r = forget[i] / full[i];
      if (Number.isFinite(r)) ratios[n++] = r;
    }
  if (n === 0) throw new RangeError('no parameter element has a nonzero full-data importance');
  return {
    // resnet18's 11 million ratios in tens of milliseconds instead of a sort's 1.5 s
    alpha: percentileOf(ratios.subarray(0, n), percentile),
    lambda: ASSD_LAMBDA,
    percentile,
    forgetFraction: forgetCount / fullCount,
    ratios: n,
    skipped: total - n,
  };
}
