// Seeded randomness and stratified splits (src/eval/splits.ts); split counts against
// scikit-learn 1.2.1's StratifiedShuffleSplit (test/fixtures/eval/splits.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { approximateMode, createPrng, permutation, shuffled, stratifiedShuffleSplits } from '../src/eval/splits.js';

interface SplitCase {
  counts: [number, number];
  testCounts?: [number, number][];
  sklearnError?: string;
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/eval/splits.json', import.meta.url), 'utf8')) as {
  cases: SplitCase[];
};

describe('createPrng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = createPrng(seed);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(0)).toEqual(draw(0));
    expect(draw(0)).not.toEqual(draw(1));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    expect(draw(-1)).not.toEqual(draw(0));
    expect(() => createPrng(0.5)).toThrow(RangeError);
  });

  it('draws look uniform: nextBelow(6) frequencies and nextFloat range', () => {
    const r = createPrng(123);
    const hits = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) hits[r.nextBelow(6)]++;
    for (const h of hits) expect(Math.abs(h - 10000)).toBeLessThan(400); // > 4σ
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });
});

describe('permutation and shuffle', () => {
  it('permutation holds every index once', () => {
    const p = permutation(1000, createPrng(5));
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('shuffled returns a float64 copy, the input untouched', () => {
    const input = Float32Array.from([1, 2, 3, 4, 5]);
    const out = shuffled(input, createPrng(1));
    expect(out).toBeInstanceOf(Float64Array);
    expect(Array.from(input)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(out).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('approximateMode (sklearn.utils._approximate_mode)', () => {
  it("gives sklearn's docstring results where no tie is involved", () => {
    expect(approximateMode([4, 2], 3, createPrng(0))).toEqual([2, 1]);
    expect(approximateMode([5, 2], 4, createPrng(0))).toEqual([3, 1]);
  });

  it('breaks ties at random among the tied classes only', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 50; s++) {
      const m = approximateMode([2, 2, 2, 1], 2, createPrng(s));
      expect(m.reduce((a, b) => a + b)).toBe(2);
      expect(m[3]).toBe(0);
      expect(Math.max(...m)).toBe(1);
      seen.add(m.join());
    }
    expect(seen.size).toBe(3);
  });
});

describe('stratifiedShuffleSplits against sklearn', () => {
  for (const c of cases) {
    const [a, b] = c.counts;
    const outcome = c.sklearnError ? 'not computable, as sklearn raises' : 'per-class test counts sklearn can draw';
    it(`classes of ${a} and ${b}: ${outcome}`, () => {
      const labels = Float64Array.from({ length: a + b }, (_, i) => (i < a ? 0 : 1));
      const r = stratifiedShuffleSplits(labels, createPrng(a * 7 + b));
      if (c.sklearnError) {
        expect(r.ok).toBe(false);
        return;
      }
      if (!r.ok) throw new Error(r.reason);
      expect(r.value).toHaveLength(10);
      const allowed = new Set(c.testCounts!.map((t) => t.join()));
      for (const { train, test } of r.value) {
        const t0 = Array.from(test).filter((i) => i < a).length;
        expect(allowed.has(`${t0},${test.length - t0}`)).toBe(true);
        // train is the complement of test (sklearn's default train_size).
        expect(train.length + test.length).toBe(a + b);
        expect(new Set([...train, ...test]).size).toBe(a + b);
      }
    });
  }

  it('n_test = ceil(0.1·n): 30 samples give 3 test samples, 31 give 4, as sklearn', () => {
    for (const [n, nTest] of [
      [30, 3],
      [31, 4],
      [11000, 1100],
      [10958, 1096],
    ]) {
      const r = stratifiedShuffleSplits(
        Float64Array.from({ length: n }, (_, i) => i % 2),
        createPrng(0),
        { splits: 1 },
      );
      if (!r.ok) throw new Error(r.reason);
      expect(r.value[0].test).toHaveLength(nTest);
    }
  });

  it('splits differ from one another and repeat for the same seed', () => {
    const y = Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 1));
    const a = stratifiedShuffleSplits(y, createPrng(9));
    const b = stratifiedShuffleSplits(y, createPrng(9));
    if (!a.ok || !b.ok) throw new Error('not computable');
    expect(a.value).toEqual(b.value);
    expect(Array.from(a.value[0].test)).not.toEqual(Array.from(a.value[1].test));
  });
});
