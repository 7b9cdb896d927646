// ∇τ's default schedule (schedule.ts defaultSchedule): the reference's batches, learning rate and
// AdamW, with a forget objective that does not vanish on confident predictions. Instead of ascending
// until the forget batch's mean loss reaches L_val (which a few hard examples satisfy while the rest
// stay memorised), every forget example is pulled to a target of its own (targets.ts):
//   - classes with retain examples: the held-out loss of the same rank, refreshed with L_val
//     (every 5 epochs); ranks come from each example's loss when its batch last ran;
//   - classes without: the input model's softmax over the remaining classes.
// One run per step feeds the forget batch and the retain batch together (the 'matched' loss):
//   J = α·mean_F[(G(ℓᵢ) − G(tᵢ))², or the soft cross-entropy] + (1 − α)·mean_R ℓⱼ,  G(ℓ) = ln(e^ℓ − 1)
// (for forgotten classes the trace's forget loss is that soft cross-entropy).
// On a multi-label head the loss is 'matched-multilabel' (ℓ the mean binary cross-entropy over the
// labels, against the example's own multi-hot labels). Labels that forget examples carry and no retain
// example does are forgotten as labels: an example carrying one is steered to the input model's
// sigmoids with those labels at 0 (sigmoidTargetsWithout); every other forget example is pulled to
// the held-out loss of its rank.
// The first DEFAULT_FULL_EPOCHS epochs visit every forget example; each later one the examples of
// forgotten classes and the DEFAULT_FOCUS of the others farthest from their targets in log-odds
// (focusOnFarthest): after two visits most examples sit near their targets (schedule.ts). A
// multi-label head visits every example every epoch.
import type { ExampleSet } from '../../context/index.js';
import { gatherParts } from '../../context/examples.js';
import { Rng } from '../../core/rng.js';
import type { GradientModel } from '../../runtime/gradient.js';
import { AdamW } from '../common/adamw.js';
import { BatchDrawer, isMultiLabel, setOutputs, timed } from '../common/training.js';
import { lossLogOdds, matched, matchedFeeds, type MatchedBatch } from './matched-loss.js';
import { matchedMultiLabel } from './matched-multilabel.js';
import type { GradTauEpoch, GradTauOptions, GradTauResult } from './run.js';
import { defaultEpochSettings, defaultSchedule, defaultVisits, GRADTAU_BATCH } from '../common/schedule.js';
import {
  focusOnFarthest,
  forgottenClasses,
  forgottenLabels,
  rankMatchedTargets,
  sigmoidTargetsWithout,
  softTargetsWithout,
} from './targets.js';

export interface DefaultRunInfo {
  /** Classes with forget and no retain examples (multi-label: labels forget examples carry and retain ones do not). */
  forgottenClasses: number[];
}

function oneHot(y: ArrayLike<bigint>, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) out[i * classes + Number(y[i])] = 1;
  return out;
}

export async function runGradTauDefault(
  gm: GradientModel,
  initial: ReadonlyMap<string, Float32Array>,
  sets: { forget: ExampleSet; retain: ExampleSet; val: ExampleSet },
  opts: GradTauOptions = {},
): Promise<GradTauResult & DefaultRunInfo> {
  const { forget, retain, val } = sets;
  const multiLabel = isMultiLabel(gm);
  if (gm.loss !== (multiLabel ? matchedMultiLabel.name : matched.name))
    throw new Error(`runGradTauDefault needs a model opened with loss '${matched.name}' (${gm.loss} given)`);
  if (val.count < 1) throw new Error('gradtau: the validation set is empty');
  const C = gm.classes;
  if (multiLabel && !(forget.targets && retain.targets))
    throw new Error('runGradTauDefault: a multi-label head needs forget and retain sets with multi-hot targets');
  const batch = GRADTAU_BATCH;
  const schedule = defaultSchedule(forget.count, retain.count, batch);
  const epochs = Math.min(schedule.epochs, opts.maxEpochs ?? schedule.epochs);
  const weights = new Map(gm.params.map((p) => [p.name, initial.get(p.name)!.slice()]));
  const opt = new AdamW({ state: opts.state ?? 'float32' });
  const t0 = performance.now();

  const removed = multiLabel
    ? forgottenLabels(forget.targets!, retain.targets!, C)
    : forgottenClasses(forget.y, retain.y, C);
  const isRemoved = new Uint8Array(C);
  for (const k of removed) isRemoved[k] = 1;
  // whether forget example i belongs to a forgotten class (multi-label: carries a forgotten label)
  const carriesRemoved = (i: number) => removed.some((k) => forget.targets![i * C + k] >= 0.5);
  const removedRow = (i: number) => (multiLabel ? carriesRemoved(i) : isRemoved[Number(forget.y[i])] === 1);
  const start = await timed(opts.timing, 'evaluation', () => setOutputs(gm, forget, weights, { signal: opts.signal }));
  // Fixed soft targets (one-hot for kept classes, the renormalised softmax for removed ones; the
  // multi-hot labels on a multi-label head).
  const targets = multiLabel ? forget.targets!.slice() : oneHot(forget.y, C);
  if (removed.length) {
    const soft = (multiLabel ? sigmoidTargetsWithout : softTargetsWithout)(start.logits, C, removed);
    for (let i = 0; i < forget.count; i++) if (removedRow(i)) targets.set(soft.subarray(i * C, (i + 1) * C), i * C);
  }
  const matchedIdx = Array.from({ length: forget.count }, (_, i) => i).filter((i) => !removedRow(i));
  // Steps of epoch e: every forget example in the first epochs, then the removed classes' and the
  // matched examples farthest from their targets (schedule.ts DEFAULT_FOCUS).
  const visits = (e: number) =>
    defaultVisits(e, matchedIdx.length, forget.count - matchedIdx.length, !multiLabel, batch);
  const stepsIn = (e: number) => Math.ceil(visits(e) / batch);
  let total = 0;
  for (let e = 0; e < epochs; e++) total += stepsIn(e);
  const lastLoss = start.losses.slice();
  const targetLogOdds = new Float32Array(forget.count);

  const draw = new BatchDrawer(new Rng(opts.seed ?? 0), forget.count, retain.count, batch, schedule.retainBatch);
  gm.plan(total, opts.signal);
  let lVal = NaN;
  let done = 0;
  const trace: GradTauEpoch[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const e0 = performance.now();
    const s = defaultEpochSettings(schedule, epoch);
    if (s.recomputeVal) {
      const v = await timed(opts.timing, 'evaluation', () => setOutputs(gm, val, weights, { signal: opts.signal }));
      lVal = v.losses.reduce((a, b) => a + b, 0) / val.count;
      const t = rankMatchedTargets(
        matchedIdx.map((i) => lastLoss[i]),
        v.losses,
      );
      matchedIdx.forEach((i, k) => (targetLogOdds[i] = lossLogOdds(t[k])));
    }
    // the removed classes' examples at an infinite gap: always among the farthest
    const focus =
      visits(epoch) < forget.count
        ? focusOnFarthest(
            Float64Array.from({ length: forget.count }, (_, i) =>
              removedRow(i) ? Infinity : Math.abs(lossLogOdds(lastLoss[i]) - targetLogOdds[i]),
            ),
            visits(epoch),
          )
        : undefined;
    const visited = draw.newEpoch(focus && ((i) => focus[i] === 1));
    const nb = stepsIn(epoch);
    let sumF = 0;
    let sumR = 0;
    let sumObj = 0;
    for (let b = 0; b < nb; b++) {
      opts.signal?.throwIfAborted();
      const { forget: fi, retain: ri } = draw.next(b);
      const nf = fi.length;
      const n = nf + ri.length;
      const m: MatchedBatch = {
        targets: new Float32Array(n * C),
        weights: new Float32Array(n),
        matchWeights: new Float32Array(n),
        targetLogOdds: new Float32Array(n),
      };
      const inputs = await timed(opts.timing, 'data', () => {
        for (let k = 0; k < nf; k++) {
          const i = fi[k];
          m.targets.set(targets.subarray(i * C, (i + 1) * C), k * C);
          if (removedRow(i)) m.weights[k] = s.alpha / nf;
          else {
            m.matchWeights[k] = (2 * s.alpha) / nf;
            m.targetLogOdds[k] = targetLogOdds[i];
          }
        }
        for (let k = 0; k < ri.length; k++) {
          const j = ri[k];
          if (multiLabel) m.targets.set(retain.targets!.subarray(j * C, (j + 1) * C), (nf + k) * C);
          else m.targets[(nf + k) * C + Number(retain.y[j])] = 1;
          m.weights[nf + k] = (1 - s.alpha) / ri.length;
        }
        // every input of the model, forget rows then retain rows
        return gatherParts([
          { set: forget, indices: fi },
          { set: retain, indices: ri },
        ]).inputs;
      });
      const r = await timed(opts.timing, 'gradient', () => gm.run(inputs, matchedFeeds(m), weights));
      await timed(opts.timing, 'optimizer', () => opt.update(weights, r.grads, s.lr));
      let lf = 0;
      let lr = 0;
      for (let k = 0; k < nf; k++) {
        lastLoss[fi[k]] = r.perSample[k];
        lf += r.perSample[k];
      }
      for (let k = nf; k < n; k++) lr += r.perSample[k];
      sumF += lf / nf;
      sumR += lr / ri.length;
      sumObj += r.loss;
      done++;
      opts.onStep?.({
        epoch,
        epochs,
        step: b + 1,
        stepsPerEpoch: nb,
        done,
        total,
        lForget: lf / nf,
        lRetain: lr / ri.length,
      });
    }
    const entry: GradTauEpoch = {
      epoch,
      alpha: s.alpha,
      lr: s.lr,
      lVal,
      lForget: sumF / nb,
      lRetain: sumR / nb,
      objective: sumObj / nb,
      activeSteps: nb,
      steps: nb,
      visited,
      seconds: (performance.now() - e0) / 1000,
    };
    trace.push(entry);
    opts.onEpoch?.(entry);
  }
  return { weights, schedule, trace, steps: done, seconds: (performance.now() - t0) / 1000, forgottenClasses: removed };
}
