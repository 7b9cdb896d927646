// The record's loss and entropy histograms (src/eval/histogram.ts): fixed bins, counts on small inputs,
// values on edges, overflow, non-finite values and empty input; and computeMetrics' distributions.
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../src/eval/evaluate.js';
import { entropyEdges, HISTOGRAM_BINS, histogram, lossEdges, setDistributions } from '../src/eval/histogram.js';
import type { SetOutputs } from '../src/eval/pass.js';

describe('bins', () => {
  it('loss: 0, then 10^(k/4) for k = −16…8 to 4 significant digits: 26 edges, 25 bins', () => {
    const e = lossEdges();
    expect(e).toHaveLength(HISTOGRAM_BINS + 1);
    expect(e[0]).toBe(0);
    expect(e[1]).toBe(1e-4);
    expect(e.at(-1)).toBe(100);
    for (let k = -16; k <= 8; k++) {
      const want = 10 ** (k / 4);
      expect(Math.abs(e[k + 17] - want) / want).toBeLessThan(5e-4);
    }
    // the powers of ten are exact
    for (const [i, v] of [
      [1, 1e-4],
      [5, 1e-3],
      [9, 0.01],
      [13, 0.1],
      [17, 1],
      [21, 10],
      [25, 100],
    ])
      expect(e[i]).toBe(v);
    for (let i = 1; i < e.length; i++) expect(e[i]).toBeGreaterThan(e[i - 1]);
  });

  it('entropy: 25 equal bins over [0, ln C] to 4 significant digits, the top edge exactly ln C', () => {
    const e = entropyEdges(Math.log(10));
    expect(e).toHaveLength(26);
    expect(e[0]).toBe(0);
    expect(e[25]).toBe(Math.log(10));
    for (let i = 0; i <= 25; i++) expect(Math.abs(e[i] - (i * Math.log(10)) / 25)).toBeLessThan(5e-4 * e[i] + 1e-12);
    expect(() => entropyEdges(NaN)).toThrow(RangeError);
    expect(() => entropyEdges(-1)).toThrow(RangeError);
  });
});

describe('histogram', () => {
  const edges = [0, 1, 2, 4];

  it('counts each value in the bin [edges[i], edges[i+1]) it falls in', () => {
    const h = histogram(Float64Array.from([0.5, 1.5, 1.7, 3, 3.9]), edges);
    expect(h).toEqual({ edges, counts: [1, 2, 2], nonFinite: 0 });
  });

  it('a value exactly on an edge goes to the bin that starts there', () => {
    expect(histogram([0, 1, 2], edges).counts).toEqual([1, 1, 1]);
    // the top edge itself: in the last bin
    expect(histogram([4], edges).counts).toEqual([0, 0, 1]);
  });

  it('folds overflow into the last bin and values below the first edge into the first', () => {
    expect(histogram([5, 1e300, -1e-17, -3], edges).counts).toEqual([2, 0, 2]);
  });

  it('counts NaN and ±Infinity in nonFinite, in no bin', () => {
    const h = histogram(Float64Array.from([NaN, Infinity, -Infinity, 1]), edges);
    expect(h.counts).toEqual([0, 1, 0]);
    expect(h.nonFinite).toBe(3);
  });

  it('empty input: every count 0', () => {
    expect(histogram(new Float64Array(0), edges)).toEqual({ edges, counts: [0, 0, 0], nonFinite: 0 });
  });

  it('a repeated edge makes an empty bin: a value on it goes to the later bin', () => {
    const h = histogram([0, 0, 0.5, 1], [0, 0, 1]);
    expect(h.counts).toEqual([0, 4]);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.nonFinite).toBe(4);
  });

  it('refuses fewer than 2 edges and decreasing or non-finite edges', () => {
    expect(() => histogram([1], [0])).toThrow(RangeError);
    expect(() => histogram([1], [0, 2, 1])).toThrow(RangeError);
    expect(() => histogram([1], [0, NaN])).toThrow(RangeError);
  });

  it('on the loss bins: a confident right answer, a wrong one and a huge loss', () => {
    const h = histogram([5e-5, 1e-4, 0.7, 1, 250], lossEdges());
    expect(h.counts[0]).toBe(1); // [0, 1e-4)
    expect(h.counts[1]).toBe(1); // [1e-4, 1.778e-4)
    expect(h.counts[16]).toBe(1); // [0.5623, 1)
    expect(h.counts[17]).toBe(1); // [1, 1.778)
    expect(h.counts[24]).toBe(1); // [56.23, 100] and above
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

/** Outputs of a single-label set with these losses and entropies. */
function outputs(losses: number[], entropies: number[]): SetOutputs {
  const n = losses.length;
  return {
    count: n,
    labels: new Int32Array(n),
    predictions: new Int32Array(n),
    losses: Float64Array.from(losses),
    entropies: Float64Array.from(entropies),
  };
}

describe('distributions in the metrics', () => {
  it('one loss and one entropy histogram per set, entropy over [0, ln C]', () => {
    const forget = outputs([0.01, 2, NaN], [0, Math.log(3), 0.5]);
    const test = outputs([0.5, 0.5], [1, 1]);
    const m = computeMetrics({ forget, test }, { classes: 3 });
    expect(Object.keys(m.distributions!)).toEqual(['forget', 'test']);
    const f = m.distributions!.forget;
    expect(f.loss.edges).toEqual(lossEdges());
    expect(f.loss.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(f.loss.nonFinite).toBe(1);
    expect(f.entropy.edges).toEqual(entropyEdges(Math.log(3)));
    // 0 in the first bin, ln 3 (the top edge) in the last, 0.5 in bin ⌊0.5 / (ln 3 / 25)⌋
    expect(f.entropy.counts[0]).toBe(1);
    expect(f.entropy.counts[24]).toBe(1);
    expect(f.entropy.counts[Math.floor(0.5 / (Math.log(3) / 25))]).toBe(1);
    expect(m.distributions!.test.entropy.counts[Math.floor(1 / (Math.log(3) / 25))]).toBe(2);
  });

  it('a multi-label head: entropy over [0, ln 2]', () => {
    const o = outputs([0.1], [Math.LN2]);
    o.multiLabel = {
      width: 4,
      right: new Int32Array(1),
      tp: new Int32Array(1),
      fp: new Int32Array(1),
      fn: new Int32Array(1),
      targets: new Uint8Array(4),
      predicted: new Uint8Array(4),
    };
    const d = setDistributions(o, 4);
    expect(d.entropy.edges.at(-1)).toBe(Math.LN2);
    expect(d.entropy.counts[24]).toBe(1);
  });

  it('none without the class count (as before)', () => {
    expect(computeMetrics({ forget: outputs([1], [1]) }).distributions).toBeUndefined();
  });
});
