// Fine-tuning on the retain set: the baseline every unlearning paper reports (e.g. Golatkar et al.
// 2020; Kurmanji et al. 2023, "finetune"). Plain descent on the mean cross-entropy of retain
// minibatches, nothing done with the forget set beyond sizing the schedule, so that the forget set is
// forgotten only as far as catastrophic forgetting takes it. Settings are the ∇τ reference's
// (Trippa et al. 2024; common/schedule.ts): AdamW (β 0.9/0.999, ε 1e-8, weight decay 0.01) at
// lr 1e-3·(1 − 0.9·e/E) in epoch e, retain batches of 256 drawn in the reference's order, and as many
// steps as the reference makes: E epochs of ⌈|forget| / 256⌉ steps, each with one retain batch.
// On a multi-label head (graph/head.ts) the loss is the head's, the mean binary cross-entropy over
// every label against the multi-hot targets, and the accuracies are the exact match at 0.5.
import { BadInputError, DivergedError } from '../../core/errors.js';
import { gather, initialWeights, labelFeeds, type RunContext } from '../../context/index.js';
import { Rng } from '../../core/rng.js';
import { AdamW } from '../common/adamw.js';
import { GRADTAU_BATCH, gradTauSchedule, lrAt } from '../common/schedule.js';
import { BatchDrawer, evaluateForgetRetain, noteRetainOverlap, requireHeadLabels } from '../common/training.js';
import { BEFORE_AFTER, COUNT, MODEL, NUMBER, object, PARAMETER_NAMES, SET, STRING } from '../common/report-schema.js';
import { SINGLE_LABEL_HEADS, type MethodInputs, type MethodRun, type UnlearningMethod } from '../types.js';

export interface FinetuneEpoch {
  epoch: number;
  lr: number;
  /** Mean over the epoch's steps of the retain batch loss. */
  lRetain: number;
  steps: number;
  seconds: number;
}

export interface FinetuneReport {
  method: 'finetune';
  model: { path: string; sha256: string };
  forget: { source: string; count: number; labelled: true };
  retain: { source: string; count: number };
  hyperparameters: {
    epochs: number;
    steps: number;
    lr: number;
    lrSchedule: string;
    weightDecay: number;
    beta1: number;
    beta2: number;
    eps: number;
    batch: number;
    /** Passes over the retain set: steps · batch / |retain|. */
    retainPasses: number;
    seed: number;
  };
  trace: FinetuneEpoch[];
  /** Mean cross-entropy on the whole retain set, before and after (multi-label: mean binary cross-entropy). */
  retainLoss: { before: number; after: number };
  /** Top-1 accuracy; on a multi-label head the exact match at 0.5 (every label right). */
  forgetAccuracy: { before: number; after: number };
  /** As forgetAccuracy, on the retain set. */
  retainAccuracy: { before: number; after: number };
  parameters: { name: string; torchName?: string }[];
  seconds: number;
}

async function runFinetune(ctx: RunContext, o: MethodInputs): Promise<MethodRun<FinetuneReport>> {
  const t0 = performance.now();
  if (!o.retain)
    throw new BadInputError(
      'finetune descends on the retain set: pass --retain DATA (the training data minus the forget set).',
    );
  const gm = await ctx.gradientModel('cross-entropy');
  const forget = await ctx.loadSet(o.forget, 'forget', 'finetune');
  const retain = await ctx.loadSet(o.retain, 'retain', 'finetune');
  requireHeadLabels(gm, forget, o.forget);
  requireHeadLabels(gm, retain, o.retain);
  noteRetainOverlap(ctx, forget, retain, o.retain, 'finetune');
  const schedule = gradTauSchedule(forget.count, retain.count, GRADTAU_BATCH);
  // retain batches are full: the schedule's batch, or the whole retain set where it is smaller
  const batch = Math.min(schedule.batch, retain.count);
  const steps = schedule.epochs * schedule.forgetBatches;
  const w0 = initialWeights(ctx.model, gm);
  const before = await evaluateForgetRetain(ctx, gm, { forget, retain }, w0);
  const weights = new Map([...w0].map(([k, v]) => [k, v.slice()]));
  const opt = new AdamW();
  const draw = new BatchDrawer(new Rng(o.seed), forget.count, retain.count, schedule.batch);
  const trace: FinetuneEpoch[] = [];
  gm.plan(steps, ctx.signal);
  let done = 0;
  for (let epoch = 0; epoch < schedule.epochs; epoch++) {
    const e0 = performance.now();
    const lr = lrAt(schedule, epoch);
    draw.newEpoch();
    let sum = 0;
    for (let b = 0; b < schedule.forgetBatches; b++) {
      ctx.throwIfAborted();
      const batch = gather(retain, draw.next(b).retain);
      const r = await gm.run(batch.inputs, labelFeeds(batch), weights);
      if (!Number.isFinite(r.loss))
        throw new DivergedError(
          `finetune diverged at epoch ${epoch}, step ${b + 1}: the retain loss is ${r.loss}. The input model is ` +
            'untouched; nothing was written.',
        );
      opt.update(weights, r.grads, lr);
      sum += r.loss;
      ctx.progress('finetune', ++done, steps);
    }
    trace.push({
      epoch,
      lr,
      lRetain: sum / schedule.forgetBatches,
      steps: schedule.forgetBatches,
      seconds: (performance.now() - e0) / 1000,
    });
  }
  const after = await evaluateForgetRetain(ctx, gm, { forget, retain }, weights);
  const report: FinetuneReport = {
    method: 'finetune',
    model: { path: ctx.modelPath, sha256: ctx.sha256 },
    forget: { source: o.forget, count: forget.count, labelled: true },
    retain: { source: o.retain, count: retain.count },
    hyperparameters: {
      epochs: schedule.epochs,
      steps,
      lr: 1e-3,
      lrSchedule: '1e-3·(1 − 0.9·epoch/epochs)',
      weightDecay: opt.weightDecay,
      beta1: opt.beta1,
      beta2: opt.beta2,
      eps: opt.eps,
      batch,
      retainPasses: (steps * batch) / retain.count,
      seed: o.seed,
    },
    trace,
    retainLoss: { before: before.retain.loss, after: after.retain.loss },
    forgetAccuracy: { before: before.forget.accuracy, after: after.forget.accuracy },
    retainAccuracy: { before: before.retain.accuracy, after: after.retain.accuracy },
    parameters: gm.params.map((p) => ({ name: p.name, torchName: p.torchName })),
    seconds: 0,
  };
  return { weights, finish: () => ({ ...report, seconds: (performance.now() - t0) / 1000 }) };
}

const ACCURACY = 'Top-1 accuracy before and after; on a multi-label head the exact match at 0.5 (every label right).';

const FINETUNE_PROPERTIES: Record<string, unknown> = {
  model: MODEL,
  forget: object({ source: STRING, count: COUNT, labelled: { const: true } }),
  retain: SET,
  hyperparameters: object({
    epochs: COUNT,
    steps: COUNT,
    lr: NUMBER,
    lrSchedule: STRING,
    weightDecay: NUMBER,
    beta1: NUMBER,
    beta2: NUMBER,
    eps: NUMBER,
    batch: COUNT,
    retainPasses: NUMBER,
    seed: COUNT,
  }),
  trace: { type: 'array', items: object({ epoch: COUNT, lr: NUMBER, lRetain: NUMBER, steps: COUNT, seconds: NUMBER }) },
  retainLoss: {
    ...BEFORE_AFTER,
    description: 'Mean loss on the whole retain set: cross-entropy, or on a multi-label head binary cross-entropy.',
  },
  forgetAccuracy: { ...BEFORE_AFTER, description: ACCURACY },
  retainAccuracy: { ...BEFORE_AFTER, description: ACCURACY },
  parameters: PARAMETER_NAMES,
  seconds: NUMBER,
};

/** Fine-tuning on the retain set (the baseline of the unlearning literature). */
export const finetune: UnlearningMethod<FinetuneReport> = {
  name: 'finetune',
  title: 'finetune',
  summary:
    "the baseline: descent on the retain set only (AdamW, batch 256, the ∇τ reference's learning rate and " +
    'step count); forgets only what training on the rest overwrites.',
  baseline: true,
  options: [],
  sets: { retain: 'required' },
  heads: [...SINGLE_LABEL_HEADS, 'multi-label'],
  run: runFinetune,
  record: (r) => {
    const { batch, seed, ...hyperparameters } = r.hyperparameters;
    return {
      name: 'finetune',
      hyperparameters,
      batchSize: batch,
      seed,
      details: { retain: r.retain, retainLoss: r.retainLoss, trace: r.trace },
    };
  },
  summaryLines(r) {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    const n = (v: number) => v.toLocaleString('en-US');
    const h = r.hyperparameters;
    return [
      `finetune (${h.epochs} epoch${h.epochs === 1 ? '' : 's'}, ${h.steps} steps of ${h.batch}, ` +
        `${h.retainPasses.toFixed(2)} passes over the ` +
        `retain set) on ${r.model.path}`,
      `  forget set       ${r.forget.source}: ${n(r.forget.count)} examples`,
      `  retain set       ${n(r.retain.count)} examples`,
      `  retain loss      ${r.retainLoss.before.toFixed(4)} → ${r.retainLoss.after.toFixed(4)}`,
      `  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`,
      `  retain accuracy  ${pct(r.retainAccuracy.before)} → ${pct(r.retainAccuracy.after)}`,
    ];
  },
  reportSchema: { properties: FINETUNE_PROPERTIES, required: Object.keys(FINETUNE_PROPERTIES) },
};
