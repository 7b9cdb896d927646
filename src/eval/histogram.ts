// Binned histograms of the per-example loss and softmax entropy, as the record keeps them: counts over
// fixed, documented bins (never raw examples), so that a record can be drawn later without the data.
// Pure maths: typed arrays in, plain arrays out (JSON-ready).
import type { SetOutputs } from './pass.js';

/** Counts of values over bins: bin i is [edges[i], edges[i + 1]); non-finite values are counted apart. */
export interface Histogram {
  /** B + 1 bin edges, non-decreasing. */
  edges: number[];
  /** B counts, one per bin. */
  counts: number[];
  /** Values that are NaN or ±Infinity: counted here, in no bin. */
  nonFinite: number;
}

/** The loss and entropy histograms of one set under one model. */
export interface SetDistributions {
  loss: Histogram;
  entropy: Histogram;
}

/** Number of bins of every histogram in a record. */
export const HISTOGRAM_BINS = 25;

/**
 * The loss bins' edges, in nats: 0, then 10^(k/4) for k = −16…8 (1e-4, 1.778e-4, …, 100), each rounded to
 * 4 significant digits (the powers of ten are exact): 26 edges, 25 bins. The bins cover the losses of a
 * confident right answer (≈ 1e-4) to a confident wrong one (tens of nats); histogram() folds a loss ≥ 100
 * into the last bin.
 */
export function lossEdges(): number[] {
  const edges = [0];
  for (let k = -16; k <= 8; k++) edges.push(Number((10 ** (k / 4)).toPrecision(4)));
  return edges;
}

/**
 * The entropy bins' edges, in nats: HISTOGRAM_BINS equal bins over [0, max] (max = ln C for a softmax
 * over C classes, ln 2 for a multi-label head's mean binary entropy), inner edges rounded to 4 significant
 * digits, the top edge exactly `max`. Throws RangeError unless max is finite and ≥ 0.
 */
export function entropyEdges(max: number): number[] {
  if (!(max >= 0) || !Number.isFinite(max))
    throw new RangeError(`entropy range [0, ${max}]: expected a finite max ≥ 0`);
  const edges: number[] = [];
  for (let i = 0; i < HISTOGRAM_BINS; i++) edges.push(Number(((max * i) / HISTOGRAM_BINS).toPrecision(4)));
  edges.push(max);
  return edges;
}

/**
 * Counts of `values` over the bins that `edges` (B + 1 numbers, non-decreasing, B ≥ 1) bound: a value v goes
 * to the last bin i with edges[i] ≤ v, so a value exactly on an edge goes to the bin that starts there.
 * Out-of-range values are folded: one ≥ the last edge counts in the last bin (overflow), one below the first
 * edge in the first bin (a loss or entropy a rounding error below 0). NaN and ±Infinity count in
 * `nonFinite`, in no bin. Empty input: every count 0. Throws RangeError for fewer than 2 edges or edges
 * that decrease or are not finite.
 */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): Histogram {
  const bins = edges.length - 1;
  if (bins < 1) throw new RangeError(`histogram: ${edges.length} edge(s); expected at least 2`);
  for (let i = 0; i < edges.length; i++)
    if (!Number.isFinite(edges[i]) || (i > 0 && edges[i] < edges[i - 1]))
      throw new RangeError(`histogram: edge ${i} (${edges[i]}) is not finite or below the one before`);
  const counts = new Array<number>(bins).fill(0);
  let nonFinite = 0;
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    // the last i in [0, bins − 1] with edges[i] ≤ v (0 when v is below every edge)
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]++;
  }
  return { edges: [...edges], counts, nonFinite };
}

/**
 * The loss and entropy histograms of a set's outputs (pass.ts: per-example losses and entropies, a
 * multi-label head's being the per-label means). `classes`: the head's class count (a single-label head:
 * entropy over [0, ln C]); a multi-label head's entropies are over [0, ln 2].
 */
export function setDistributions(o: SetOutputs, classes: number): SetDistributions {
  const max = o.multiLabel ? Math.LN2 : Math.log(Math.max(1, classes));
  return { loss: histogram(o.losses, lossEdges()), entropy: histogram(o.entropies, entropyEdges(max)) };
}
