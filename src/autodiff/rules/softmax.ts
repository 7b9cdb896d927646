// dX = Y·(dY − Σ dY·Y), the sum over the normalised axes.
import type { GradContext, GradRule } from '../registry.js';
import { softmaxAxes } from './norm-util.js';

function softmaxBack(ctx: GradContext, coerced: boolean): string {
  const { b } = ctx;
  const y = ctx.y(0);
  const t = b.op('Mul', [ctx.dy(0)!, y]);
  const s = b.reduce('ReduceSum', t, softmaxAxes(ctx, coerced), true);
  return b.op('Sub', [t, b.op('Mul', [y, s])]);
}

/** Input coerced to 2-D at axis (default 1). */
export const softmax1: GradRule = {
  opType: 'Softmax',
  since: 1,
  grad: (ctx) => [softmaxBack(ctx, true)],
};

/** One axis (default -1). */
export const softmax13: GradRule = {
  opType: 'Softmax',
  since: 13,
  grad: (ctx) => [softmaxBack(ctx, false)],
};
