// dX = dY − exp(Y)·Σ dY, the sum over the normalised axes.
import type { GradContext, GradRule } from '../registry.js';
import { softmaxAxes } from './norm-util.js';

function logSoftmaxBack(ctx: GradContext, coerced: boolean): string {
  const { b } = ctx;
  const dy = ctx.dy(0)!;
  const s = b.reduce('ReduceSum', dy, softmaxAxes(ctx, coerced), true);
  return b.op('Sub', [dy, b.op('Mul', [b.op('Exp', [ctx.y(0)]), s])]);
}

/** Input coerced to 2-D at axis (default 1). */
export const logSoftmax1: GradRule = {
  opType: 'LogSoftmax',
  since: 1,
  grad: (ctx) => [logSoftmaxBack(ctx, true)],
};

/** One axis (default -1). */
export const logSoftmax13: GradRule = {
  opType: 'LogSoftmax',
  since: 13,
  grad: (ctx) => [logSoftmaxBack(ctx, false)],
};
