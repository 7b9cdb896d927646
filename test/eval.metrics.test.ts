// Hand-computed values for the metrics of src/eval/metrics.ts.
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmax,
  crossEntropy,
  entropy,
  jsDivergence,
  l1Distance,
  meanCrossEntropy,
  miaEntropy,
  miaEntropyFromFeatures,
  miaLoss,
  softmax,
} from '../src/eval/metrics.js';
import type { MetricResult } from '../src/eval/result.js';

const rows = (data: number[], k: number) => ({ data: Float64Array.from(data), dims: [data.length / k, k] });
const value = (r: MetricResult): number => {
  if (!r.ok) throw new Error(`not computable: ${r.reason}`);
  return r.value;
};

describe('softmax, entropy, cross-entropy', () => {
  it('softmax rows sum to 1 and survive huge logits', () => {
    const p = softmax(rows([1000, 1000, -1000, 0, Math.log(3), -Infinity], 3));
    expect(Array.from(p.subarray(0, 3))).toEqual([0.5, 0.5, 0]);
    expect(p[3]).toBeCloseTo(0.25, 15);
    expect(p[4]).toBeCloseTo(0.75, 15);
    expect(p[5]).toBe(0);
  });

  it('entropy of a uniform distribution is ln k, of a one-hot 0', () => {
    for (const k of [2, 3, 10]) {
      const h = entropy(rows(new Array(k).fill(1 / k), k));
      expect(h[0]).toBeCloseTo(Math.log(k), 14);
    }
    expect(entropy(rows([0, 1, 0], 3))[0]).toBe(0);
    expect(entropy(rows([0.5, 0.25, 0.25], 3))[0]).toBeCloseTo(1.5 * Math.LN2, 15);
  });

  it('cross-entropy is logsumexp − z_y, stable for large logits; labels may be bigint', () => {
    const ce = crossEntropy(rows([0, 0, 0, 0, 1000, 0, 5, -5, 0], 3), BigInt64Array.from([2n, 1n, 1n]));
    expect(ce[0]).toBeCloseTo(Math.log(3), 15);
    expect(ce[1]).toBeCloseTo(0, 12);
    expect(ce[2]).toBeCloseTo(10 + Math.log(1 + Math.exp(-10) + Math.exp(-5)), 12);
    expect(value(meanCrossEntropy(rows([0, 0, 0, 0], 2), [0, 1]))).toBeCloseTo(Math.LN2, 15);
  });

  it('rejects labels outside the classes and mismatched shapes', () => {
    expect(() => crossEntropy(rows([0, 0], 2), [2])).toThrow(RangeError);
    expect(() => accuracy(rows([0, 0], 2), [0, 1])).toThrow(RangeError);
    expect(() => entropy({ data: new Float64Array(5), dims: [2, 3] })).toThrow(RangeError);
  });

  it('non-finite losses are not computable', () => {
    const r = meanCrossEntropy(rows([NaN, 0], 2), [0]);
    expect(r.ok).toBe(false);
  });
});

describe('accuracy', () => {
  it('breaks argmax ties at the lowest index, as torch.argmax', () => {
    expect(Array.from(argmax(rows([1, 1, 0, 0, 2, 2, 3, 3, 3], 3)))).toEqual([0, 1, 0]);
    // Row 0 ties at 0 (label 0 right), row 1 ties at 1 (label 2 wrong), row 2 ties at 0 (label 0 right).
    expect(value(accuracy(rows([1, 1, 0, 0, 2, 2, 3, 3, 3], 3), [0, 2, 0]))).toBeCloseTo(2 / 3, 15);
  });

  it('takes the first NaN as the maximum, as torch.argmax', () => {
    expect(Array.from(argmax(rows([0, NaN, 5, NaN, 9, NaN], 3)))).toEqual([1, 0]);
  });

  it('an empty set is not computable and says so', () => {
    const r = accuracy({ data: new Float32Array(0), dims: [0, 10] }, []);
    expect(r).toMatchObject({ ok: false, reason: 'no samples', metric: { name: 'accuracy', version: 1 } });
  });
});

describe('distances to the retrained model', () => {
  it('JS of identical distributions is 0, of disjoint one-hots ln 2', () => {
    const p = rows([0.2, 0.3, 0.5, 1, 0, 0], 3);
    expect(value(jsDivergence(p, p))).toBe(0);
    expect(value(jsDivergence(rows([1, 0, 0, 1], 2), rows([0, 1, 1, 0], 2)))).toBeCloseTo(Math.LN2, 15);
  });

  it('JS matches the KL-based definition on a generic pair and is symmetric', () => {
    const p = [0.1, 0.6, 0.3];
    const q = [0.5, 0.25, 0.25];
    const m = p.map((a, i) => (a + q[i]) / 2);
    const kl = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]), 0);
    const expected = 0.5 * kl(p, m) + 0.5 * kl(q, m);
    expect(value(jsDivergence(rows(p, 3), rows(q, 3)))).toBeCloseTo(expected, 15);
    expect(value(jsDivergence(rows(q, 3), rows(p, 3)))).toBeCloseTo(expected, 15);
  });

  it('L1 of disjoint one-hots is 2, averaged over rows', () => {
    expect(value(l1Distance(rows([1, 0, 0, 1], 2), rows([0, 1, 1, 0], 2)))).toBe(2);
    expect(value(l1Distance(rows([1, 0, 0.5, 0.5], 2), rows([0, 1, 0.5, 0.5], 2)))).toBe(1);
  });

  it('shapes must agree; empty sets are not computable', () => {
    expect(() => l1Distance(rows([1, 0], 2), rows([1, 0, 0], 3))).toThrow(RangeError);
    expect(jsDivergence({ data: [], dims: [0, 3] }, { data: [], dims: [0, 3] }).ok).toBe(false);
  });
});

describe('membership inference: degenerate inputs and descriptors', () => {
  const h = (...v: number[]) => Float64Array.from(v);

  it('mia: an empty set is not computable, with the set named', () => {
    const r = miaEntropyFromFeatures(h(0.1, 0.2), h(0.1), h());
    expect(r).toMatchObject({ ok: false, reason: 'the test set is empty' });
    expect(r.metric).toEqual({
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
    });
  });

  it('mia: non-finite probabilities are not computable', () => {
    const ok = rows([0.5, 0.5], 2);
    expect(miaEntropy(ok, ok, rows([NaN, NaN], 2)).ok).toBe(false);
  });

  it('mia: identical entropies everywhere give no signal, and nothing is called a member (sklearn: w = b = 0)', () => {
    const p = rows([1, 0, 0, 1, 1, 0], 2);
    expect(value(miaEntropy(p, p, p))).toBe(0);
  });

  it("mia: notes a collapsed model's near-constant entropies, where sklearn's lbfgs may stop early", () => {
    const retain = Float64Array.from({ length: 50 }, (_, i) => 2.3 - 1e-4 * i);
    const test = Float64Array.from({ length: 50 }, (_, i) => 2.3 - 0.8e-4 * i);
    const r = miaEntropyFromFeatures(retain, h(2.299), test);
    expect(r.ok && r.note).toMatch(/over 100 times its spread/);
    expect(miaEntropyFromFeatures(h(0.1, 0.5, 0.9), h(0.2), h(1, 1.5, 2))).not.toHaveProperty('note');
  });

  it('mia: a perfectly separating feature calls forget samples by where they fall', () => {
    const retain = h(0, 0.01, 0.02, 0.03);
    const test = h(1, 1.1, 1.2, 1.3);
    expect(value(miaEntropyFromFeatures(retain, h(0.01, 0.02, 1.2, 1.3), test))).toBe(0.5);
  });

  it('mia_loss: fewer than 6 of the smaller set is not computable (sklearn raises)', () => {
    const r = miaLoss(h(1, 2, 3, 4, 5), new Float64Array(100).fill(1), 3);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.reason).toMatch(
        /^5 forget and 5 unseen examples .* too few .*\(1 test sample is fewer than the 2 classes\); give larger/,
      );
    expect(r.metric).toEqual({
      name: 'mia_loss',
      version: 1,
      params: {
        feature: 'cross_entropy',
        positive: 'forget',
        negative: 'unseen',
        balance: 'shuffle-truncate',
        splits: 10,
        testSize: 0.1,
        seed: 3,
        prng: 'xoshiro128**',
        C: 1,
        classWeight: null,
        solver: 'newton',
      },
    });
    expect(miaLoss(h(), h(1), 0)).toMatchObject({ ok: false, reason: 'the forget set is empty' });
    expect(miaLoss(h(1, 2, 3, 4, 5, 6), h(1, 2, 3, 4, 5, Infinity)).ok).toBe(false);
  });

  it('mia_loss: same seed, same value; separable sets give 1', () => {
    const forget = Float64Array.from({ length: 200 }, (_, i) => 0.001 * i);
    const unseen = Float64Array.from({ length: 300 }, (_, i) => 5 + 0.01 * i);
    expect(value(miaLoss(forget, unseen, 1))).toBe(1);
    const noisy = Float64Array.from({ length: 300 }, (_, i) => ((i * 0.618) % 1) * 0.5);
    expect(value(miaLoss(forget, noisy, 4))).toBe(value(miaLoss(forget, noisy, 4)));
  });
});
