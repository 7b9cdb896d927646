// The ∇τ reference loop (Trippa et al. 2024; shared/fixtures/README.md "gradtau reference",
// reference.py `gradtau`) on ONNX Runtime gradients (the loss is the head's: the mean cross-entropy,
// or on a multi-label head the mean binary cross-entropy over every label, fed multi-hot targets):
//
//   retain order ← shuffle(retain); pos ← 0
//   for epoch e in 0 … E−1:
//     if e % 5 == 0: L_val ← mean loss over val (current weights)
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
// from `seed` (core/rng.ts), so the batches differ from the reference's for the same seed. Runs are
// deterministic for a given seed and data.
//
// Data sets are held in memory (ExampleSet; loadExamples reads a Dataset into one), since every
// epoch draws batches in a fresh random order.
import { gather, labelFeeds, type ExampleSet } from '../../context/index.js';
import { Rng } from '../../core/rng.js';
import type { GradientModel } from '../../runtime/gradient.js';
import { AdamW } from '../common/adamw.js';
import { epochSettings, GRADTAU_BATCH, gradTauSchedule, type GradTauSchedule } from '../common/schedule.js';
import { BatchDrawer, evaluateSet, timed, type TrainingTiming } from '../common/training.js';
import { combineGradients, objectiveCoefficients, objectiveValue } from './objective.js';

export type GradTauTiming = TrainingTiming;

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
  /** Forget examples visited in the epoch: all of them, except in the default schedule's later epochs. */
  visited: number;
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
 * memory. `gm` is a cross-entropy GradientModel of the model (multi-label-bce on a multi-label head,
 * whose sets carry multi-hot targets).
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
  gm.plan(2 * total, opts.signal);
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
      const rf = await timed(opts.timing, 'gradient', () => gm.run(fb.inputs, labelFeeds(fb), weights));
      const rr = await timed(opts.timing, 'gradient', () => gm.run(rb.inputs, labelFeeds(rb), weights));
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
      visited: forget.count,
      seconds: (performance.now() - e0) / 1000,
    };
    trace.push(entry);
    opts.onEpoch?.(entry);
  }
  return { weights, schedule, trace, steps: done, seconds: (performance.now() - t0) / 1000 };
}
