// Pieces ∇τ and finetune share: the batch order of the ∇τ reference, forward passes over sets in
// memory, and a timing breakdown for the bench.
import type { ExampleSet, RunContext } from '../../context/index.js';
import { exampleDigest, hex } from '../../data/digest.js';
import type { Rng } from '../../core/rng.js';
import { crossEntropy } from '../../eval/metrics.js';
import { topClasses } from '../../eval/predictions.js';
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

function digests(set: ExampleSet): Set<string> {
  const per = set.x.length / Math.max(1, set.count);
  const out = new Set<string>();
  for (let i = 0; i < set.count; i++) out.add(hex(exampleDigest(set.x.subarray(i * per, (i + 1) * per), set.y[i])));
  return out;
}

/** How many examples of `other` are also in `forget` (same input values and label). */
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
