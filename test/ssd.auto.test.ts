// Adaptive SSD's α (methods/ssd/auto.ts) against numpy's percentile and a float64 reimplementation
// that shares no code with it (a counting rank instead of a sort).
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng.js';
import { assdAlpha, assdPercentile, percentileOf, percentileOfSorted } from '../src/methods/ssd/auto.js';

/** numpy.percentile (linear) by ranks: the values below and above position h, found by counting. */
function slowPercentile(values: number[], p: number): number {
  const h = ((values.length - 1) * p) / 100;
  const kth = (k: number) =>
    values.find((v) => values.filter((w) => w < v).length <= k && values.filter((w) => w <= v).length > k)!;
  const lo = Math.floor(h);
  const a = kth(lo);
  const b = kth(Math.min(lo + 1, values.length - 1));
  return a + (h - lo) * (b - a);
}

/** A seeded uniform draw in [0, 1): scrub's own generator. */
function uniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.nextFloat();
}

describe("adaptive SSD's α (Schoepf et al. 2024)", () => {
  // numpy 1.24: full/forget below, ratios without nan and inf, np.percentile(r, 100 − ln(1 + 100·|Df|/|D|))
  const full = Float64Array.from([1, 2, 0, 4, 0.5, 3, 1e-3, 2, 0, 8]);
  const forget = Float64Array.from([10, 1, 5, 4, 50, 0, 2, 30, 0, 16]);

  it.each([
    [1, 10, 97.60210472720163, 1681.0799287178163],
    [3, 10, 96.56601279551485, 1543.279701803476],
    [9, 10, 95.48914049348315, 1400.0556856332591],
    [5479, 55000, 97.60558183973711, 1681.542384685036],
  ])('|Df| %i of |D| %i: percentile and α as numpy computes them', (df, d, percentile, alpha) => {
    expect(assdPercentile(df, d)).toBeCloseTo(percentile, 12);
    // split over two "parameters": the percentile is over every element of all of them
    const r = assdAlpha(
      [
        [full.subarray(0, 4), forget.subarray(0, 4)],
        [full.subarray(4), forget.subarray(4)],
      ],
      df,
      d,
    );
    expect(r.alpha).toBeCloseTo(alpha, 9);
    expect(r).toMatchObject({ lambda: 1, ratios: 8, skipped: 2, forgetFraction: df / d });
  });

  it('matches a float64 reimplementation on random importances, zeros included', () => {
    const u = uniform(7);
    for (const n of [1, 2, 17, 500]) {
      const a = Float64Array.from({ length: n }, () => (u() < 0.1 ? 0 : u() ** 3));
      const b = Float64Array.from({ length: n }, () => (u() < 0.2 ? 0 : u() ** 2));
      const ratios = [...a].map((v, i) => b[i] / v).filter(Number.isFinite);
      if (ratios.length === 0) continue;
      for (const [df, d] of [
        [1, 60000],
        [64, 1000],
        [999, 1000],
      ]) {
        const got = assdAlpha([[a, b]], df, d);
        expect(got.alpha).toBeCloseTo(slowPercentile(ratios, 100 - Math.log(1 + (100 * df) / d)), 10);
        expect(got.ratios + got.skipped).toBe(n);
      }
    }
  });

  it('percentileOfSorted is numpy.percentile with linear interpolation', () => {
    expect(percentileOfSorted(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2.5);
    expect(percentileOfSorted(Float64Array.from([5]), 97)).toBe(5);
    expect(percentileOfSorted(Float64Array.from([1, 2, 3, 4]), 100)).toBe(4);
    expect(percentileOfSorted(Float64Array.from([1, 2, 3, 4]), 0)).toBe(1);
  });

  it('percentileOf gives what a sort gives, bit for bit, ties and ordered inputs included', () => {
    const u = uniform(11);
    const shapes: Record<string, (n: number) => Float64Array> = {
      uniform: (n) => Float64Array.from({ length: n }, () => u()),
      // mostly zeros and a few repeated values, as importance ratios are
      ties: (n) => Float64Array.from({ length: n }, () => (u() < 0.6 ? 0 : Math.floor(u() * 4) / 3)),
      heavyTail: (n) => Float64Array.from({ length: n }, () => (u() < 0.3 ? 0 : 1 / (u() + 1e-12) ** 2)),
      equal: (n) => new Float64Array(n).fill(2.5),
      ascending: (n) => Float64Array.from({ length: n }, (_, i) => i / 7),
      descending: (n) => Float64Array.from({ length: n }, (_, i) => -i * 1e-300),
      organPipe: (n) => Float64Array.from({ length: n }, (_, i) => Math.min(i, n - 1 - i)),
      // every sampled position (a sixteenth, evenly spaced) holds the least value: the bracket misses
      sampleMisses: (n) => Float64Array.from({ length: n }, (_, i) => (i % 16 === 0 ? -1 : i / n)),
    };
    // from 16,384 values on the ranks are bracketed from a sample; below, the values are sorted
    for (const [shape, make] of Object.entries(shapes))
      for (const n of [1, 2, 3, 257, 20_000, 300_000])
        for (const p of [0, 0.5, 50, 97.60558183973711, 99.99, 100, u() * 100]) {
          const values = make(n);
          const copy = values.slice();
          const want = percentileOfSorted(values.slice().sort(), p);
          expect(percentileOf(values, p), `${shape} n=${n} p=${p}`).toBe(want);
          expect(values.every((v, i) => Object.is(v, copy[i]))).toBe(true);
        }
    expect(() => percentileOf(new Float64Array(0), 50)).toThrow(RangeError);
    expect(() => percentileOf(new Float64Array(2), 101)).toThrow(RangeError);
  });

  it('refuses what it cannot compute: bad counts, a forget set as large as the data, no finite ratio', () => {
    expect(() => assdPercentile(0, 10)).toThrow(/1 ≤ \|Df\| < \|D\|/);
    expect(() => assdPercentile(10, 10)).toThrow(/1 ≤ \|Df\| < \|D\|/);
    expect(() => assdPercentile(1.5, 10)).toThrow(RangeError);
    expect(() => assdAlpha([[new Float64Array(3), Float64Array.from([1, 0, 2])]], 1, 10)).toThrow(
      /no parameter element has a nonzero full-data importance/,
    );
    expect(() => assdAlpha([[new Float64Array(3), new Float64Array(2)]], 1, 10)).toThrow(/do not match/);
    expect(() => percentileOfSorted(new Float64Array(0), 50)).toThrow(RangeError);
  });
});
