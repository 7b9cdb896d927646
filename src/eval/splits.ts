// Seeded randomness and sklearn's StratifiedShuffleSplit (1.2). The random stream is scrub's own
// (core/rng.ts: xoshiro128** seeded through splitmix32), not numpy's: the same seed gives the same splits here
// every time, but not the splits sklearn draws. The per-class counts follow sklearn's rules exactly;
// only its random tie-breaks (which class gets a leftover sample) and the members drawn differ.
import { Rng } from '../core/rng.js';
import { type Computed, notComputable } from './result.js';

/** The draws the splits and subsamples use: core/rng.ts's generator. */
export type Prng = Pick<Rng, 'nextUint32' | 'nextBelow' | 'nextFloat' | 'shuffle'>;

/** scrub's seeded generator (core/rng.ts) for `seed` (a safe integer). */
export function createPrng(seed: number): Prng {
  return new Rng(seed);
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Prng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  rng.shuffle(p);
  return p;
}

/** A shuffled copy of `values` as float64. */
export function shuffled(values: ArrayLike<number>, rng: Prng): Float64Array {
  const out = Float64Array.from(values);
  rng.shuffle(out);
  return out;
}

export interface Split {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

export interface StratifiedSplitOptions {
  /** Default 10 (sklearn's n_splits). */
  readonly splits?: number;
  /** Fraction of the samples in each test set. Default 0.1 (sklearn's default). */
  readonly testSize?: number;
}

/**
 * sklearn's StratifiedShuffleSplit: n_test = ceil(testSize·n) in float64 as sklearn computes it,
 * n_train = n − n_test; per class the train and test counts are sklearn's
 * `_approximate_mode` of the class counts; within a class the members are a random permutation.
 * Not computable where sklearn raises: a class with fewer than 2 members, or fewer train or test
 * samples than classes.
 */
export function stratifiedShuffleSplits(
  labels: ArrayLike<number>,
  rng: Prng,
  options: StratifiedSplitOptions = {},
): Computed<Split[]> {
  const nSplits = options.splits ?? 10;
  const testSize = options.testSize ?? 0.1;
  if (!Number.isInteger(nSplits) || nSplits < 1)
    throw new RangeError(`splits must be a positive integer, got ${nSplits}`);
  if (!(testSize > 0 && testSize < 1)) throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  const n = labels.length;
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  if (nTrain === 0) return notComputable(`${n} samples leave no training samples with testSize ${testSize}`);

  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const members = classes.map(() => [] as number[]);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) members[classOf.get(labels[i])!].push(i);
  const counts = members.map((m) => m.length);
  const smallest = Math.min(...counts);
  if (smallest < 2)
    return notComputable(`the least populated class has ${smallest} member(s); stratified splits need at least 2`);
  const fewer = (k: number, what: string) =>
    `${k} ${what} ${k === 1 ? 'sample is' : 'samples are'} fewer than the ${classes.length} classes`;
  if (nTrain < classes.length) return notComputable(fewer(nTrain, 'training'));
  if (nTest < classes.length) return notComputable(fewer(nTest, 'test'));

  const out: Split[] = [];
  for (let s = 0; s < nSplits; s++) {
    const trainCounts = approximateMode(counts, nTrain, rng);
    const testCounts = approximateMode(
      counts.map((c, i) => c - trainCounts[i]),
      nTest,
      rng,
    );
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < classes.length; i++) {
      const order = permutation(counts[i], rng);
      for (let k = 0; k < trainCounts[i]; k++) train.push(members[i][order[k]]);
      for (let k = trainCounts[i]; k < trainCounts[i] + testCounts[i]; k++) test.push(members[i][order[k]]);
    }
    const trainIdx = Uint32Array.from(train);
    const testIdx = Uint32Array.from(test);
    rng.shuffle(trainIdx);
    rng.shuffle(testIdx);
    out.push({ train: trainIdx, test: testIdx });
  }
  return { ok: true, value: out };
}

/**
 * sklearn.utils._approximate_mode: how many of `draws` fall in each class, proportional to the
 * class counts, flooring and then handing the leftovers to the largest remainders (ties broken at
 * random). The float64 operations are sklearn's, so the floors and remainders are bit-identical.
 */
export function approximateMode(classCounts: readonly number[], draws: number, rng: Prng): number[] {
  const total = classCounts.reduce((a, b) => a + b, 0);
  const continuous = classCounts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let needToAdd = draws - floored.reduce((a, b) => a + b, 0);
  if (needToAdd > 0) {
    const remainder = continuous.map((c, i) => c - floored[i]);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const tied = remainder.flatMap((r, i) => (r === value ? [i] : []));
      const addNow = Math.min(tied.length, needToAdd);
      rng.shuffle(tied);
      for (let k = 0; k < addNow; k++) floored[tied[k]]++;
      needToAdd -= addNow;
      if (needToAdd === 0) break;
    }
  }
  return floored;
}
