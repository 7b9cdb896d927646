// The ∇τ reference loop (Trippa et al. 2024; shared/fixtures/README.md "gradtau reference",
// reference.py `gradtau`) on ONNX Runtime gradients:
//
//   retain order ← shuffle(retain); pos ← 0
//   for epoch e in 0 … E−1:
//     if e % 5 == 0: L_val ← mean cross-entropy over val (current weights)
//     α ← α0·(1 − e/E); lr ← 1e-3·(1 − 0.9·e/E)
//     forget order ← shuffle(forget)
//     for each forget batch (256, the last partial):
//       if pos + 256 > |retain|: retain order ← shuffle(retain); pos ← 0
//       retain batch ← the next 256 of the retain order; pos += 256
//       g ← −2α·relu(L_val − L_f)·∇L_f + (1 − α)·∇L_r        (objective.ts)
//       AdamW step at lr (adamw.ts)
//
// The random draws come in the reference's order (retain permutation first, then per epoch the
// forget permutation, a retain reshuffle whenever it runs out), but the generator is not PyTorch's:
// permutations here are Fisher–Yates shuffles driven by xoshiro128** seeded through splitmix32
// from `seed` (see Rng), so the batches differ from the reference's for the same seed. Runs are
// deterministic for a given seed and data.
//
// Data sets are held in memory (ExampleSet; loadExamples reads a Dataset into one), since every
// epoch draws batches in a fresh random order.
import type { Dataset } from '../data/dataset.js';
import { tensorToFloat32, type Model } from '../graph/ir.js';
import type { GradientModel } from '../runtime/gradient.js';
import { topClasses } from '../ssd/importance.js';
import { crossEntropy } from '../eval/metrics.js';
import { AdamW } from './adamw.js';
import { combineGradients, objectiveCoefficients, objectiveValue } from './objective.js';
import { epochSettings, GRADTAU_BATCH, gradTauSchedule, type GradTauSchedule } from './schedule.js';

/** A labelled set in memory: `count` examples of `exampleDims` each, float32, row-major. */
export interface ExampleSet {
  x: Float32Array;
  y: BigInt64Array;
  count: number;
  exampleDims: readonly number[];
}

/** Reads a float32 Dataset into memory (at most `limit` examples, in set order). */
export async function loadExamples(
  ds: Dataset,
  opts: { limit?: number; signal?: AbortSignal } = {},
): Promise<ExampleSet> {
  const limit = Math.min(opts.limit ?? ds.count, ds.count);
  const per = ds.exampleDims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(limit * per);
  const y = new BigInt64Array(limit);
  let n = 0;
  if (limit > 0)
    for await (const b of ds.batches(Math.min(1024, limit))) {
      opts.signal?.throwIfAborted();
      if (!(b.x.data instanceof Float32Array)) throw new Error(`gradtau: ${ds.description}: needs float32 inputs`);
      if (!b.labelled) throw new Error(`gradtau: ${ds.description}: needs labels`);
      const take = Math.min(b.y.length, limit - n);
      x.set(b.x.data.subarray(0, take * per), n * per);
      y.set(b.y.subarray(0, take), n);
      n += take;
      if (n >= limit) break;
    }
  return {
    x: n === limit ? x : x.slice(0, n * per),
    y: n === limit ? y : y.slice(0, n),
    count: n,
    exampleDims: [...ds.exampleDims],
  };
}

/** The examples at `indices` of `set`, as a batch the model takes. */
export function gather(
  set: ExampleSet,
  indices: ArrayLike<number>,
): { x: { data: Float32Array; dims: number[] }; y: BigInt64Array } {
  const per = set.x.length / Math.max(1, set.count);
  const x = new Float32Array(indices.length * per);
  const y = new BigInt64Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(set.x.subarray(i * per, (i + 1) * per), k * per);
    y[k] = set.y[i];
  }
  return { x: { data: x, dims: [indices.length, ...set.exampleDims] }, y };
}

/** The first `n` examples of a set (a view, no copy). */
export function headOf(set: ExampleSet, n: number): ExampleSet {
  const m = Math.min(n, set.count);
  const per = set.x.length / Math.max(1, set.count);
  return { x: set.x.subarray(0, m * per), y: set.y.subarray(0, m), count: m, exampleDims: set.exampleDims };
}

/**
 * Deterministic PRNG: xoshiro128** (Blackman & Vigna) with its 128-bit state filled by splitmix32
 * from a 32-bit seed. `below(n)` maps a 32-bit draw to 0 … n−1 by multiply-shift (floor(u·n / 2³²)),
 * whose bias is below n / 2³² — negligible for data-set sizes.
 */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      this.s[i] = (t ^ (t >>> 16)) >>> 0;
    }
    if (!(this.s[0] | this.s[1] | this.s[2] | this.s[3])) this.s[0] = 1;
  }
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  below(n: number): number {
    return Math.floor((this.nextU32() * n) / 4294967296);
  }
  /** A uniformly random permutation of 0 … n−1 (Fisher–Yates, from the top). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

/**
 * ∇τ's batches in the reference's order of random draws: a retain permutation first, then per epoch
 * a forget permutation, and a fresh retain permutation whenever fewer than a batch remain (retain
 * batches are always full).
 */
export class BatchDrawer {
  private retainOrder: Uint32Array;
  private retainPos = 0;
  private forgetOrder: Uint32Array = new Uint32Array(0);
  private readonly retainBatch: number;
  constructor(
    private readonly rng: Rng,
    private readonly forgetCount: number,
    private readonly retainCount: number,
    private readonly batch: number,
    retainBatch = batch,
  ) {
    this.retainBatch = Math.min(retainBatch, retainCount);
    this.retainOrder = rng.permutation(retainCount);
  }
  newEpoch(): void {
    this.forgetOrder = this.rng.permutation(this.forgetCount);
  }
  /** The b-th forget batch of this epoch and the next retain batch (indices into the sets). */
  next(b: number): { forget: Uint32Array; retain: Uint32Array } {
    const forget = this.forgetOrder.subarray(b * this.batch, (b + 1) * this.batch);
    if (this.retainPos + this.retainBatch > this.retainCount) {
      this.retainOrder = this.rng.permutation(this.retainCount);
      this.retainPos = 0;
    }
    const retain = this.retainOrder.subarray(this.retainPos, this.retainPos + this.retainBatch);
    this.retainPos += this.retainBatch;
    return { forget, retain };
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Copies of the model's values of the parameters `gm` differentiates: the starting weights. */
export function initialWeights(model: Model, gm: Pick<GradientModel, 'params'>): Map<string, Float32Array> {
  return new Map(
    gm.params.map((p) => {
      const t = model.graph.initializers.get(p.name);
      if (!t) throw new Error(`gradtau: ${p.name} is not an initializer of ${model.path}`);
      return [p.name, tensorToFloat32(t).slice()];
    }),
  );
}

/** What a forward pass over a set needs of a gradient model (any loss kind). */
export type Forward = Pick<GradientModel, 'classes' | 'logits'>;

/** Logits and per-example cross-entropy (float64) of `weights` over a whole set: forward passes only. */
export async function setOutputs(
  gm: Forward,
  set: ExampleSet,
  weights?: ReadonlyMap<string, Float32Array>,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<{ logits: Float32Array; losses: Float64Array }> {
  const batch = opts.batch ?? GRADTAU_BATCH;
  const per = set.x.length / Math.max(1, set.count);
  const logits = new Float32Array(set.count * gm.classes);
  for (let s = 0; s < set.count; s += batch) {
    opts.signal?.throwIfAborted();
    const n = Math.min(batch, set.count - s);
    logits.set(
      await gm.logits({ data: set.x.subarray(s * per, (s + n) * per), dims: [n, ...set.exampleDims] }, weights),
      s * gm.classes,
    );
  }
  return { logits, losses: crossEntropy({ data: logits, dims: [set.count, gm.classes] }, set.y) };
}

/** Mean cross-entropy and top-1 accuracy of `weights` on a set. */
export async function evaluateSet(
  gm: Forward,
  set: ExampleSet,
  weights?: ReadonlyMap<string, Float32Array>,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<{ loss: number; accuracy: number }> {
  if (set.count === 0) return { loss: NaN, accuracy: NaN };
  const { logits, losses } = await setOutputs(gm, set, weights, opts);
  const predicted = topClasses(logits, gm.classes);
  let correct = 0;
  for (let i = 0; i < set.count; i++) if (BigInt(predicted[i]) === set.y[i]) correct++;
  return { loss: losses.reduce((a, b) => a + b, 0) / set.count, accuracy: correct / set.count };
}

export interface GradTauOptions {
  /** Seed of the shuffles (Rng). Default 0. */
  seed?: number;
  /** AdamW moment precision (adamw.ts). Default 'float32', PyTorch's. */
  state?: 'float32' | 'float64';
  /** Run only the first `maxEpochs` epochs of the schedule (α and lr still follow the full E). */
  maxEpochs?: number;
  /** Batch for the L_val forward passes (does not change the value). Default 256. */
  valBatch?: number;
  /** Called after every step. */
  onStep?: (p: GradTauStep) => void;
  /** Called after every epoch with its trace entry. */
  onEpoch?: (e: GradTauEpoch) => void;
  /** Checked before every step and every L_val batch; aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Filled with where the time went (seconds), for the bench. */
  timing?: GradTauTiming;
}

/** Seconds spent in gradient runs, optimiser steps, batch assembly and the held-out/forget passes. */
export interface GradTauTiming {
  gradient: number;
  optimizer: number;
  data: number;
  evaluation: number;
}

/** Adds the time `f` takes to `timing[key]` (when timing is given). */
export async function timed<T>(
  timing: GradTauTiming | undefined,
  key: keyof GradTauTiming,
  f: () => T | Promise<T>,
): Promise<T> {
  const t = performance.now();
  try {
    return await f();
  } finally {
    if (timing) timing[key] += (performance.now() - t) / 1000;
  }
}

export interface GradTauStep {
  epoch: number;
  epochs: number;
  /** Step within the epoch, 1 … stepsPerEpoch. */
  step: number;
  stepsPerEpoch: number;
  /** Steps done over the whole run. */
  done: number;
  total: number;
  lForget: number;
  lRetain: number;
}

export interface GradTauEpoch {
  epoch: number;
  alpha: number;
  lr: number;
  /** L_val in force during this epoch (recomputed at epochs 0, 5, 10, …). */
  lVal: number;
  /** Means over the epoch's steps of the batch losses and of the objective. */
  lForget: number;
  lRetain: number;
  objective: number;
  /** Steps where relu(L_val − L_forget) was positive (the forget term acted). */
  activeSteps: number;
  steps: number;
  seconds: number;
}

export interface GradTauResult {
  /** The unlearned weights, by initializer name (the same names as `gm.params`). */
  weights: Map<string, Float32Array>;
  schedule: GradTauSchedule;
  trace: GradTauEpoch[];
  steps: number;
  seconds: number;
}

/**
 * Runs ∇τ from `initial` (not modified; see initialWeights) with forget, retain and val sets in
 * memory. `gm` is a cross-entropy GradientModel of the model.
 */
export async function runGradTau(
  gm: GradientModel,
  initial: ReadonlyMap<string, Float32Array>,
  sets: { forget: ExampleSet; retain: ExampleSet; val: ExampleSet },
  opts: GradTauOptions = {},
): Promise<GradTauResult> {
  const { forget, retain, val } = sets;
  if (val.count < 1) throw new Error('gradtau: the validation set is empty');
  const batch = GRADTAU_BATCH;
  const schedule = gradTauSchedule(forget.count, retain.count, batch);
  const epochs = Math.min(schedule.epochs, opts.maxEpochs ?? schedule.epochs);
  const total = epochs * schedule.forgetBatches;
  const weights = new Map(
    gm.params.map((p) => {
      const w = initial.get(p.name);
      if (!w) throw new Error(`gradtau: no initial weights for ${p.name}`);
      return [p.name, w.slice()];
    }),
  );
  const opt = new AdamW({ state: opts.state ?? 'float32' });
  const draw = new BatchDrawer(new Rng(opts.seed ?? 0), forget.count, retain.count, batch, schedule.retainBatch);
  const t0 = performance.now();
  const trace: GradTauEpoch[] = [];
  let lVal = NaN;
  let done = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const e0 = performance.now();
    const s = epochSettings(schedule, epoch);
    if (s.recomputeVal)
      lVal = (
        await timed(opts.timing, 'evaluation', () =>
          evaluateSet(gm, val, weights, { batch: opts.valBatch, signal: opts.signal }),
        )
      ).loss;
    draw.newEpoch();
    let sumF = 0;
    let sumR = 0;
    let sumObj = 0;
    let active = 0;
    for (let b = 0; b < schedule.forgetBatches; b++) {
      opts.signal?.throwIfAborted();
      const { forget: fi, retain: ri } = draw.next(b);
      const [fb, rb] = await timed(opts.timing, 'data', () => [gather(forget, fi), gather(retain, ri)]);
      const rf = await timed(opts.timing, 'gradient', () => gm.run(fb.x, fb.y, weights));
      const rr = await timed(opts.timing, 'gradient', () => gm.run(rb.x, rb.y, weights));
      const terms = { alpha: s.alpha, lVal, lForget: rf.loss };
      await timed(opts.timing, 'optimizer', () =>
        opt.update(weights, combineGradients(rf.grads, rr.grads, terms), s.lr),
      );
      sumF += rf.loss;
      sumR += rr.loss;
      sumObj += objectiveValue({ ...terms, lRetain: rr.loss });
      if (objectiveCoefficients(terms).forget !== 0) active++;
      done++;
      opts.onStep?.({
        epoch,
        epochs,
        step: b + 1,
        stepsPerEpoch: schedule.forgetBatches,
        done,
        total,
        lForget: rf.loss,
        lRetain: rr.loss,
      });
    }
    const n = schedule.forgetBatches;
    const entry: GradTauEpoch = {
      epoch,
      alpha: s.alpha,
      lr: s.lr,
      lVal,
      lForget: sumF / n,
      lRetain: sumR / n,
      objective: sumObj / n,
      activeSteps: active,
      steps: n,
      seconds: (performance.now() - e0) / 1000,
    };
    trace.push(entry);
    opts.onEpoch?.(entry);
  }
  return { weights, schedule, trace, steps: done, seconds: (performance.now() - t0) / 1000 };
}
