import { describe, expect, it } from 'vitest';
import { accumulateAbs, accumulateSquares, dampen, meanOver } from '../src/methods/ssd/dampen.js';

describe('SSD dampening on five numbers', () => {
  const w = Float32Array.from([1, -2, 3, 4, 0.5]);
  it('selects forget > α·full and scales by min(λ·full/forget, 1)', () => {
    const full = Float64Array.from([1, 1, 0, 0.5, 2]);
    const forget = Float64Array.from([20, 10, 0, 6, 1]);
    // element 0: 20 > 10 → factor 1/20; element 1: 10 = 10·1, not strictly greater → kept;
    // element 2: zero importances → kept; element 3: 6 > 5 → factor 0.5/6; element 4: 1 < 20 → kept
    const r = dampen(w, full, forget, { alpha: 10, lambda: 1 });
    expect(r.selected).toBe(2);
    expect(Array.from(r.weights)).toEqual([Math.fround(1 / 20), -2, 3, Math.fround((4 * 0.5) / 6), 0.5]);
  });

  it('zeroes a weight whose full importance is zero but forget importance is not', () => {
    const r = dampen(w, new Float64Array(5), Float64Array.from([0, 1e-30, 0, 0, 0]), { alpha: 10, lambda: 1 });
    expect(r.selected).toBe(1);
    expect(r.weights[1]).toBe(-0);
  });

  it('caps the factor at 1 when λ is large', () => {
    const r = dampen(w, Float64Array.from([1, 1, 1, 1, 1]), Float64Array.from([11, 0, 0, 0, 0]), {
      alpha: 10,
      lambda: 100,
    });
    expect(r.selected).toBe(1);
    expect(r.weights[0]).toBe(1);
  });

  it('computes the product in float64 before rounding to float32', () => {
    const weights = Float32Array.from([0.1]);
    const r = dampen(weights, Float64Array.from([1]), Float64Array.from([30]), { alpha: 10, lambda: 1 });
    expect(r.weights[0]).toBe(Math.fround(Math.fround(0.1) / 30));
  });

  it('accumulates squares and magnitudes in float64, then averages', () => {
    const acc = new Float64Array(3);
    accumulateSquares(acc, Float32Array.from([1, -2, 3]));
    accumulateSquares(acc, Float32Array.from([1, 0, -1]));
    expect(Array.from(meanOver(acc, 2))).toEqual([1, 2, 5]);
    const abs = new Float64Array(2);
    accumulateAbs(abs, Float32Array.from([-1.5, 2]));
    expect(Array.from(abs)).toEqual([1.5, 2]);
  });

  it('rejects mismatched sizes', () => {
    expect(() => dampen(w, new Float64Array(4), new Float64Array(5), { alpha: 10, lambda: 1 })).toThrow(/do not match/);
  });
});

describe('SSD says plainly when it left the model as it was', () => {
  it('points to gradtau where ≤ 1% of forget predictions changed and accuracy moved ≤ 1 point', async () => {
    const { unchangedLine } = await import('../src/methods/ssd/index.js');
    const acc = (before: number, after: number) => ({ before, after });
    const line = unchangedLine({ selected: 1004, forgetPredictionsChanged: 0.001, forgetAccuracy: acc(0.96, 0.96) });
    expect(line).toMatch(/SSD left the model almost as it was on the forget set \(1,004 weights selected, /);
    expect(line).toMatch(/0\.1% of its predictions changed\).*use --method gradtau\.$/);
    expect(unchangedLine({ selected: 0, forgetPredictionsChanged: 0, forgetAccuracy: null })).toBeDefined();
    expect(
      unchangedLine({ selected: 5, forgetPredictionsChanged: 0.02, forgetAccuracy: acc(0.9, 0.9) }),
    ).toBeUndefined();
    expect(
      unchangedLine({ selected: 5, forgetPredictionsChanged: 0.01, forgetAccuracy: acc(0.95, 0.9) }),
    ).toBeUndefined();
  });

  it('counts the selected weights it leaves as they were: α below λ, or a weight of 0', () => {
    const r = dampen(Float32Array.from([1, 2, 0]), Float64Array.from([1, 1, 1]), Float64Array.from([0.5, 3, 3]), {
      alpha: 0.1,
      lambda: 1,
    });
    expect(r.selected).toBe(3);
    expect(r.changed).toBe(1);
    expect(Array.from(r.weights)).toEqual([1, Math.fround(2 / 3), 0]);
  });
});
