// mia and mia_loss against the reference's own functions run with scikit-learn 1.2.1
// (test/fixtures/eval/mia.json, mia_loss.json; written by make_reference.py beside them).
// mia is deterministic, so it must agree exactly. mia_loss shuffles: our seeded stream is not
// numpy's, so for the same seed the values agree only within the spec's ±0.02, and only where the
// value barely moves with the seed; the cross-validation itself is checked exactly on sklearn's
// own splits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crossValidatedAccuracy } from '../src/eval/crossval.js';
import { fitLogistic } from '../src/eval/logistic.js';
import { entropy, miaEntropy, miaEntropyFromFeatures, miaLoss } from '../src/eval/metrics.js';
import type { MetricResult } from '../src/eval/result.js';
import type { Split } from '../src/eval/splits.js';

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/eval/${name}`, import.meta.url), 'utf8')).cases as T;

/** make_reference.py's `synthetic`: shift + scale·Gamma(shape ∈ {1, 2}) from a 32-bit integer hash. */
interface Synthetic {
  n: number;
  stream: number;
  shift: number;
  scale: number;
  shape: 1 | 2;
}

function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const uniform = (stream: number, i: number) => (lowbias32((lowbias32(stream) ^ i) >>> 0) + 0.5) / 2 ** 32;

function synthetic(s: Synthetic): Float64Array {
  return Float64Array.from({ length: s.n }, (_, i) => {
    let g = -Math.log(uniform(s.stream, i));
    if (s.shape === 2) g += -Math.log(uniform(s.stream + 1, i));
    return s.shift + s.scale * g;
  });
}

const value = (r: MetricResult): number => {
  if (!r.ok) throw new Error(`not computable: ${r.reason}`);
  return r.value;
};

describe('mia (entropy attack) equals sklearn', () => {
  interface Explicit {
    name: string;
    classes: number;
    retain: number[];
    forget: number[];
    test: number[];
    mia: number;
    coef: number;
    intercept: number;
  }
  interface Generated {
    name: string;
    retain: Synthetic;
    forget: Synthetic;
    test: Synthetic;
    mia: number;
    coef: number;
    intercept: number;
  }
  const cases = load<{ explicit: Explicit[]; synthetic: Generated[] }>('mia.json');
  const rows = (data: number[], k: number) => ({ data, dims: [data.length / k, k] });

  for (const c of cases.explicit) {
    it(`${c.name}: softmax outputs of ${c.classes} classes`, () => {
      const [r, f, t] = [c.retain, c.forget, c.test].map((d) => rows(d, c.classes));
      expect(value(miaEntropy(r, f, t))).toBe(c.mia);
      const hr = entropy(r);
      const ht = entropy(t);
      const x = Float64Array.from([...hr, ...ht]);
      const y = Uint8Array.from(x, (_, i) => (i < hr.length ? 1 : 0));
      const fit = fitLogistic(x, y, { classWeight: 'balanced' });
      if (!fit.ok) throw new Error(fit.reason);
      expect(Math.abs(fit.value.coef[0] - c.coef)).toBeLessThan(1e-4);
      expect(Math.abs(fit.value.intercept - c.intercept)).toBeLessThan(1e-4);
    });
  }

  for (const c of cases.synthetic) {
    it(`${c.name}: ${c.retain.n} retain, ${c.test.n} test, ${c.forget.n} forget entropies`, () => {
      expect(value(miaEntropyFromFeatures(synthetic(c.retain), synthetic(c.forget), synthetic(c.test)))).toBe(c.mia);
    });
  }
});

describe('mia_loss against sklearn', () => {
  interface Explicit {
    name: string;
    lossForget: number[];
    lossUnseen: number[];
    miaLoss: number;
    x: number[];
    y: number[];
    testIndices: number[][];
    perSplit: number[];
  }
  interface Generated {
    name: string;
    forget: Synthetic;
    unseen: Synthetic;
    miaLoss: number;
    acrossSeeds: { seeds: number; mean: number; std: number };
  }
  const cases = load<{ explicit: Explicit[]; synthetic: Generated[] }>('mia_loss.json');

  for (const c of cases.explicit) {
    it(`${c.name}: on sklearn's own shuffle and splits, the same accuracy in every split`, () => {
      const splits: Split[] = c.testIndices.map((test) => {
        const inTest = new Set(test);
        return { test: Uint32Array.from(test), train: Uint32Array.from(c.y.keys()).filter((i) => !inTest.has(i)) };
      });
      const cv = crossValidatedAccuracy(c.x, c.y, splits);
      if (!cv.ok) throw new Error(cv.reason);
      expect(Array.from(cv.value.perSplit)).toEqual(c.perSplit);
      expect(cv.value.mean).toBeCloseTo(c.miaLoss, 12);
    });
  }

  for (const c of cases.synthetic) {
    const seeds = c.acrossSeeds.seeds;
    let memo: { ours: number[]; mean: number; std: number } | undefined;
    const run = () => {
      if (memo) return memo;
      const lf = synthetic(c.forget);
      const lu = synthetic(c.unseen);
      const ours = Array.from({ length: seeds }, (_, s) => value(miaLoss(lf, lu, s)));
      const mean = ours.reduce((a, b) => a + b) / seeds;
      const std = Math.sqrt(ours.reduce((a, b) => a + (b - mean) ** 2, 0) / seeds);
      return (memo = { ours, mean, std });
    };

    // ±0.02 is the spec's tolerance; it holds for one seed only where the value's spread over
    // seeds is small (the random10-like sizes, 5,500 vs 10,000). At 1,000 unseen (class0-like) the
    // spread is 0.012 and a single seed can miss by more.
    if (c.acrossSeeds.std <= 0.005) {
      it(`${c.name}: seed 0 within ±0.02 of sklearn's seed 0 (${c.miaLoss.toFixed(4)})`, () => {
        expect(Math.abs(run().ours[0] - c.miaLoss)).toBeLessThanOrEqual(0.02);
      });
    }

    const theirMean = c.acrossSeeds.mean.toFixed(4);
    it(`${c.name}: the mean over ${seeds} seeds within 0.01 of sklearn's (${theirMean}), a similar spread`, () => {
      const { mean, std } = run();
      expect(Math.abs(mean - c.acrossSeeds.mean)).toBeLessThanOrEqual(0.01);
      expect(std).toBeLessThanOrEqual(2 * c.acrossSeeds.std + 0.002);
    });
  }
});
