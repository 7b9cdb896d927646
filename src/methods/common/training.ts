// Pieces ∇τ and finetune share: the batch order of the ∇τ reference, forward passes over sets in
// memory, and a timing breakdown for the bench. On a multi-label head (graph/head.ts; its sets carry
// multi-hot `targets`) a per-example loss is the mean binary cross-entropy over the labels and
// "accuracy" the exact match at 0.5 (every label right, z > 0 predicting 1): eval/multilabel.ts.
import { BadInputError } from '../../core/errors.js';
import { checkHeadLabels, type ExampleSet, type RunContext } from '../../context/index.js';
import { exampleRows, sliceInputs } from '../../context/examples.js';
import { exampleDigest, hex } from '../../data/digest.js';
import type { Rng } from '../../core/rng.js';
import type { Head } from '../../graph/head.js';
import { crossEntropy } from '../../eval/metrics.js';
import { multiLabelLosses } from '../../eval/multilabel.js';
import { countCorrect, topClasses } from '../../eval/predictions.js';
import type { GradientModel } from '../../runtime/gradient.js';
import { GRADTAU_BATCH } from './schedule.js';

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
  /**
   * A new order of the forget set: a permutation of all of it, or of the examples `visit` keeps (in
   * the permutation's order; the generator draws the same either way). Returns the examples in it.
   */
  newEpoch(visit?: (i: number) => boolean): number {
    const order = this.rng.permutation(this.forgetCount);
    this.forgetOrder = visit ? order.filter(visit) : order;
    return this.forgetOrder.length;
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

/** What a forward pass over a set needs of a gradient model (any loss kind); no head: single-label. */
export type Forward = Pick<GradientModel, 'classes' | 'logits'> &
  Partial<Pick<GradientModel, 'planLogits'>> & { readonly head?: Pick<Head, 'kind'> };

/** Whether `gm`'s head is multi-label (graph/head.ts). */
export function isMultiLabel(gm: { readonly head?: Pick<Head, 'kind'> }): boolean {
  return gm.head?.kind === 'multi-label';
}

/** The set's multi-hot targets [count·C] where `gm`'s head is multi-label; undefined for a single-label head. */
function headTargets(gm: Forward, set: ExampleSet): Float32Array | undefined {
  if (!isMultiLabel(gm)) return undefined;
  if (!set.targets || set.labelWidth !== gm.classes)
    throw new Error(`a multi-label head of ${gm.classes} labels needs a set with multi-hot targets of that width`);
  return set.targets;
}

/**
 * Throws BadInputError, naming `spec`, where the labels of `set` do not fit `gm`'s head: class
 * indices for a multi-label head, multi-hot rows for a single-label one (context/labels.ts), or
 * multi-hot rows of another width than the head's labels.
 */
export function requireHeadLabels(gm: Pick<GradientModel, 'head' | 'classes'>, set: ExampleSet, spec: string): void {
  checkHeadLabels({ targets: set.targets, labelled: true }, spec, isMultiLabel(gm));
  if (set.targets && set.labelWidth !== gm.classes)
    throw new BadInputError(
      `${spec}: ${set.labelWidth} labels per example, and the model's head scores ${gm.classes}; they must match.`,
    );
}

/** How a forward pass over a set runs: batch size, abort signal, and progress (examples done of total). */
export interface SetPassOptions {
  batch?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * evaluateSet of `weights` on a run's forget and retain sets, one after the other, with the run's abort
 * signal and its progress reported as the stages 'forget' and 'retain': a method's before and after.
 */
export async function evaluateForgetRetain(
  ctx: { signal?: AbortSignal; progress(stage: string, done: number, total: number): void },
  gm: Forward,
  sets: { forget: ExampleSet; retain: ExampleSet },
  weights: ReadonlyMap<string, Float32Array>,
): Promise<{ forget: { loss: number; accuracy: number }; retain: { loss: number; accuracy: number } }> {
  const pass = (stage: string): SetPassOptions => ({
    signal: ctx.signal,
    onProgress: (done, total) => ctx.progress(stage, done, total),
  });
  return {
    forget: await evaluateSet(gm, sets.forget, weights, pass('forget')),
    retain: await evaluateSet(gm, sets.retain, weights, pass('retain')),
  };
}

/**
 * Logits and per-example losses (float64) of `weights` over a whole set: forward passes only. The
 * loss is the cross-entropy, or on a multi-label head the mean binary cross-entropy over the labels.
 */
export async function setOutputs(
  gm: Forward,
  set: ExampleSet,
  weights?: ReadonlyMap<string, Float32Array>,
  opts: SetPassOptions = {},
): Promise<{ logits: Float32Array; losses: Float64Array }> {
  const batch = opts.batch ?? GRADTAU_BATCH;
  const logits = new Float32Array(set.count * gm.classes);
  // a long pass measures the threads of its runs (GradientModel.planLogits)
  gm.planLogits?.(Math.ceil(set.count / batch), opts.signal);
  for (let s = 0; s < set.count; s += batch) {
    opts.signal?.throwIfAborted();
    const n = Math.min(batch, set.count - s);
    logits.set(await gm.logits(sliceInputs(set, s, s + n), weights), s * gm.classes);
    opts.onProgress?.(s + n, set.count);
  }
  const targets = headTargets(gm, set);
  if (targets) return { logits, losses: multiLabelLosses(logits, targets, gm.classes) };
  return { logits, losses: crossEntropy({ data: logits, dims: [set.count, gm.classes] }, set.y) };
}

/**
 * Mean loss and accuracy of `weights` on a set: the cross-entropy and top-1 accuracy, or on a
 * multi-label head the mean binary cross-entropy and the exact match at 0.5.
 */
export async function evaluateSet(
  gm: Forward,
  set: ExampleSet,
  weights?: ReadonlyMap<string, Float32Array>,
  opts: SetPassOptions = {},
): Promise<{ loss: number; accuracy: number }> {
  if (set.count === 0) return { loss: NaN, accuracy: NaN };
  const { logits, losses } = await setOutputs(gm, set, weights, opts);
  const targets = headTargets(gm, set);
  if (targets) {
    const exact = countCorrect(logits, { labelled: true, y: set.y, targets }, gm.classes);
    return { loss: losses.reduce((a, b) => a + b, 0) / set.count, accuracy: exact / set.count };
  }
  const predicted = topClasses(logits, gm.classes);
  let correct = 0;
  for (let i = 0; i < set.count; i++) if (BigInt(predicted[i]) === set.y[i]) correct++;
  return { loss: losses.reduce((a, b) => a + b, 0) / set.count, accuracy: correct / set.count };
}

/** Seconds spent in gradient runs, optimiser steps, batch assembly and the held-out/forget passes. */
export interface TrainingTiming {
  gradient: number;
  optimizer: number;
  data: number;
  evaluation: number;
}

/** Adds the time `f` takes to `timing[key]` (when timing is given). */
export async function timed<T>(
  timing: TrainingTiming | undefined,
  key: keyof TrainingTiming,
  f: () => T | Promise<T>,
): Promise<T> {
  const t = performance.now();
  try {
    return await f();
  } finally {
    if (timing) timing[key] += (performance.now() - t) / 1000;
  }
}

/** The digest of every example of `set` (every input, the label and any multi-hot targets: data/digest.ts). */
function digests(set: ExampleSet): Set<string> {
  const c = set.labelWidth ?? 0;
  const out = new Set<string>();
  for (let i = 0; i < set.count; i++) {
    const rows = exampleRows(set, i);
    const targets = set.targets?.subarray(i * c, (i + 1) * c);
    out.add(hex(exampleDigest(rows.length === 1 ? rows[0] : rows, set.y[i], undefined, targets)));
  }
  return out;
}

/** How many examples of `val` are also in `forget` (same values of every input, same labels). */
export function countOverlap(forget: ExampleSet, val: ExampleSet): number {
  const f = digests(forget);
  let n = 0;
  for (const d of digests(val)) if (f.has(d)) n++;
  return n;
}

/** A note when the retain set holds examples of the forget set: descending on them keeps them learnt. */
export function noteRetainOverlap(
  ctx: RunContext,
  forget: ExampleSet,
  retain: ExampleSet,
  spec: string,
  method: string,
): void {
  const n = countOverlap(forget, retain);
  if (n > 0)
    ctx.note(
      `${n} example(s) of --retain ${spec} are also in the forget set: ${method} descends on them, so they stay ` +
        'learnt. Use the training data minus the forget set (e.g. TRAIN@~forget.json).',
    );
}
