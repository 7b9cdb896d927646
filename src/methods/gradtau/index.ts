// ∇τ's row of the method table (Trippa et al. 2024): the sets and the checks (forget larger than
// retain, val overlapping forget, divergence), the run on the context with either schedule, its
// record section and its summary. Single-label and multi-label heads (graph/head.ts): on a
// multi-label one the losses are the mean binary cross-entropy over the labels and the accuracies
// the exact match at 0.5 (common/training.ts).
import type { RunContext } from '../../context/index.js';
import { BadInputError, DivergedError } from '../../core/errors.js';
import { initialWeights } from '../../context/index.js';
import {
  countOverlap,
  evaluateForgetRetain,
  isMultiLabel,
  noteRetainOverlap,
  requireHeadLabels,
} from '../common/training.js';
import { BEFORE_AFTER, COUNT, MODEL, NUMBER, object, PARAMETER_NAMES, SET, STRING } from '../common/report-schema.js';
import { SINGLE_LABEL_HEADS, type MethodInputs, type MethodRun, type UnlearningMethod } from '../types.js';
import { runGradTauDefault } from './default.js';
import { matched } from './matched-loss.js';
import { runGradTau, type GradTauEpoch } from './run.js';
import { forgottenClasses, forgottenLabels } from './targets.js';

export type Schedule = 'default' | 'reference';
export const SCHEDULES: readonly Schedule[] = ['default', 'reference'];

export interface GradTauReport {
  method: 'gradtau';
  schedule: Schedule;
  model: { path: string; sha256: string };
  forget: { source: string; count: number; labelled: true };
  retain: { source: string; count: number };
  val: { source: string; count: number; overlapWithForget: number };
  hyperparameters: {
    epochs: number;
    alpha0: number;
    lr: number;
    weightDecay: number;
    batch: number;
    retainBatch: number;
    seed: number;
  };
  trace: GradTauEpoch[];
  steps: number;
  /** Top-1 accuracy; on a multi-label head the exact match at 0.5 (every label right). */
  forgetAccuracy: { before: number; after: number };
  /** As forgetAccuracy, on the retain set. */
  retainAccuracy: { before: number; after: number };
  parameters: { name: string; torchName?: string }[];
  seconds: number;
}

/**
 * ∇τ on `ctx`: adaptive gradient ascent on the forget set and descent on the retain set, stopped by
 * the held-out set's loss. Throws BadInputError without --retain/--val, for an unknown schedule, a
 * forget set larger than the retain set or unlabelled sets; DivergedError when the losses blow up.
 */
async function runGradTauMethod(
  ctx: RunContext,
  o: MethodInputs & { schedule?: string },
): Promise<MethodRun<GradTauReport>> {
  const t0 = performance.now();
  if (!o.retain)
    throw new BadInputError(
      '∇τ descends on the retain set: pass --retain DATA (the training data minus the forget set).',
    );
  if (!o.val)
    throw new BadInputError(
      '∇τ needs a held-out set the model never trained on: pass --val DATA. The ascent on the forget set stops at ' +
        'the loss of unseen data (L_val), so without it scrub cannot tell when the forget set looks unseen.',
    );
  const schedule = (o.schedule ?? 'default') as Schedule;
  if (!SCHEDULES.includes(schedule))
    throw new BadInputError(
      `--schedule ${o.schedule}: expected default (targets from the held-out losses; see README) or reference ` +
        "(Trippa et al.'s schedule as published).",
    );
  const seed = o.seed;
  const gm = await ctx.gradientModel(schedule === 'default' ? matched : 'cross-entropy');
  const forget = await ctx.loadSet(o.forget, 'forget', '∇τ');
  const retain = await ctx.loadSet(o.retain, 'retain', '∇τ');
  const val = await ctx.loadSet(o.val, 'val', '∇τ');
  requireHeadLabels(gm, forget, o.forget);
  requireHeadLabels(gm, retain, o.retain);
  requireHeadLabels(gm, val, o.val);
  const multiLabel = isMultiLabel(gm);
  if (forget.count > retain.count)
    throw new BadInputError(
      `${o.forget}: the forget set (${forget.count} examples) is larger than the retain set (${retain.count}); ` +
        "∇τ's schedule assumes forgetting a minority. Retrain from scratch instead.",
    );
  noteRetainOverlap(ctx, forget, retain, o.retain, '∇τ');
  const overlap = countOverlap(forget, val);
  if (overlap > 0)
    ctx.note(
      `${overlap} example(s) of --val ${o.val} are also in the forget set: L_val (and the default schedule's ` +
        "held-out targets) are then lower than unseen data's, and ∇τ forgets less. Use a held-out set disjoint " +
        'from the training data.',
    );

  const removed =
    schedule !== 'default'
      ? []
      : multiLabel
        ? forgottenLabels(forget.targets!, retain.targets!, gm.classes)
        : forgottenClasses(forget.y, retain.y, gm.classes);
  if (removed.length)
    ctx.note(
      multiLabel
        ? `label(s) ${removed.join(', ')} of the forget set are carried by no retain example: ∇τ forgets them as ` +
            "labels (the examples carrying them are steered to the model's other labels)."
        : `class(es) ${removed.join(', ')} of the forget set have no retain examples: ∇τ forgets them as classes ` +
            "(their examples are steered to the model's other classes).",
    );

  const w0 = initialWeights(ctx.model, gm);
  const before = await evaluateForgetRetain(ctx, gm, { forget, retain }, w0);
  // chance level: the loss of the uniform prediction, ln C, or on a multi-label head ln 2 (σ = ½ on
  // every label). A model already at or above it (untrained, or miscalibrated: e.g. a text model's
  // fixture) cannot collapse further: only non-finite losses stop its run.
  const chance = multiLabel ? Math.LN2 : Math.log(gm.classes);
  const chanceWords = multiLabel
    ? `ln 2 = ${chance.toFixed(3)}, the loss of σ = ½ on every label`
    : `ln ${gm.classes} = ${chance.toFixed(3)}`;
  const collapseCheck = before.retain.loss < chance;
  if (!collapseCheck)
    ctx.note(
      `the input model's mean retain loss ${before.retain.loss.toFixed(3)} is already at or above chance level ` +
        `(${chanceWords}): ∇τ stops only on non-finite losses.`,
    );
  const run = schedule === 'default' ? runGradTauDefault : runGradTau;
  const result = await run(
    gm,
    w0,
    { forget, retain, val },
    {
      seed,
      signal: ctx.signal,
      onStep: (p) => {
        if (!Number.isFinite(p.lForget) || !Number.isFinite(p.lRetain))
          throw new DivergedError(
            `∇τ diverged at epoch ${p.epoch}, step ${p.step}: the forget loss is ${p.lForget} and the retain loss ` +
              `${p.lRetain}. The input model is untouched; nothing was written.`,
          );
        ctx.progress('gradtau', p.done, p.total);
      },
      onEpoch: (e) => {
        if (collapseCheck && e.lRetain > chance)
          throw new DivergedError(
            `∇τ diverged at epoch ${e.epoch}: the mean retain loss ${e.lRetain.toFixed(3)} is above chance level ` +
              `(${chanceWords}); retain accuracy has collapsed. The input model is ` +
              'untouched; nothing was written.',
          );
      },
    },
  );
  const after = await evaluateForgetRetain(ctx, gm, { forget, retain }, result.weights);
  const s = result.schedule;
  const report: GradTauReport = {
    method: 'gradtau',
    schedule,
    model: { path: ctx.modelPath, sha256: ctx.sha256 },
    forget: { source: o.forget, count: forget.count, labelled: true },
    retain: { source: o.retain, count: retain.count },
    val: { source: o.val, count: val.count, overlapWithForget: overlap },
    hyperparameters: {
      epochs: s.epochs,
      alpha0: s.alpha0,
      lr: 1e-3,
      weightDecay: 0.01,
      batch: s.batch,
      retainBatch: s.retainBatch,
      seed,
    },
    trace: result.trace,
    steps: result.steps,
    forgetAccuracy: { before: before.forget.accuracy, after: after.forget.accuracy },
    retainAccuracy: { before: before.retain.accuracy, after: after.retain.accuracy },
    parameters: gm.params.map((p) => ({ name: p.name, torchName: p.torchName })),
    seconds: 0,
  };
  return { weights: result.weights, finish: () => ({ ...report, seconds: (performance.now() - t0) / 1000 }) };
}

const ACCURACY = 'Top-1 accuracy before and after; on a multi-label head the exact match at 0.5 (every label right).';

const GRADTAU_PROPERTIES: Record<string, unknown> = {
  schedule: { enum: SCHEDULES },
  model: MODEL,
  forget: object({ source: STRING, count: COUNT, labelled: { const: true } }),
  retain: SET,
  val: object({ source: STRING, count: COUNT, overlapWithForget: COUNT }),
  hyperparameters: {
    type: 'object',
    properties: {
      epochs: COUNT,
      alpha0: NUMBER,
      lr: NUMBER,
      weightDecay: NUMBER,
      batch: COUNT,
      seed: COUNT,
      retainBatch: {
        type: 'integer',
        minimum: 1,
        description: 'Retain examples per step (∇τ): the forget batch, less where the default schedule adds epochs.',
      },
    },
    required: ['batch', 'seed'],
  },
  trace: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        epoch: COUNT,
        alpha: NUMBER,
        lr: NUMBER,
        lVal: NUMBER,
        lForget: NUMBER,
        lRetain: NUMBER,
        objective: NUMBER,
        activeSteps: COUNT,
        steps: COUNT,
        visited: {
          ...COUNT,
          description: 'Forget examples visited in the epoch (the default schedule: a focus after its first ones).',
        },
      },
      required: ['epoch', 'lForget', 'lRetain', 'steps'],
    },
  },
  steps: COUNT,
  forgetAccuracy: { ...BEFORE_AFTER, description: ACCURACY },
  retainAccuracy: { ...BEFORE_AFTER, description: ACCURACY },
  parameters: PARAMETER_NAMES,
  seconds: NUMBER,
};

/** ∇τ (Trippa et al. 2024): for random subsets; needs --retain and a held-out --val. */
export const gradtau: UnlearningMethod<GradTauReport> = {
  name: 'gradtau',
  title: '∇τ',
  summary:
    'ascent on the forget set, descent on the retain set, stopped by the held-out set V; forgets random ' +
    'subsets as well as classes.',
  options: [
    {
      key: 'schedule',
      flag: 'schedule',
      kind: 'choice',
      arg: 'S',
      choices: SCHEDULES,
      default: 'default',
      help: "default (per-example targets from the held-out losses) or reference (Trippa et al.'s schedule)",
    },
  ],
  sets: { retain: 'required', val: 'required' },
  heads: [...SINGLE_LABEL_HEADS, 'multi-label'],
  run: (ctx, o) => runGradTauMethod(ctx, o as MethodInputs & { schedule?: string }),
  record: (r) => ({
    name: 'gradtau',
    hyperparameters: {
      schedule: r.schedule,
      epochs: r.hyperparameters.epochs,
      alpha0: r.hyperparameters.alpha0,
      lr: r.hyperparameters.lr,
      weightDecay: r.hyperparameters.weightDecay,
      retainBatch: r.hyperparameters.retainBatch,
    },
    batchSize: r.hyperparameters.batch,
    seed: r.hyperparameters.seed,
    details: { retain: r.retain, val: r.val, steps: r.steps, trace: r.trace },
  }),
  summaryLines(r) {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    const n = (v: number) => v.toLocaleString('en-US');
    const h = r.hyperparameters;
    return [
      `∇τ (${r.schedule} schedule: ${h.epochs} epochs, α0 ${h.alpha0.toFixed(4)}, ${r.steps} steps) on ${r.model.path}`,
      `  forget set       ${r.forget.source}: ${n(r.forget.count)} examples`,
      `  retain / val     ${n(r.retain.count)} / ${n(r.val.count)} examples`,
      `  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`,
      `  retain accuracy  ${pct(r.retainAccuracy.before)} → ${pct(r.retainAccuracy.after)}`,
    ];
  },
  reportSchema: { properties: GRADTAU_PROPERTIES, required: Object.keys(GRADTAU_PROPERTIES) },
};
