// Y = ReduceLogSumExp(X) = log Σ exp(X) over the reduced axes: dX = dY·exp(X − Y), the softmax of X over
// the reduced axes (PyTorch's logsumexp backward). With noop_with_empty_axes Y = X and dX = dY.
import type { GradContext, GradRule } from '../registry.js';
import { reduction } from './reduce-util.js';

function back(ctx: GradContext, axesAsInput: boolean): string {
  const { b } = ctx;
  const r = reduction(ctx, axesAsInput);
  const dy = ctx.dy(0)!;
  if (r.noop) return dy;
  const softmax = b.op('Exp', [b.op('Sub', [ctx.x(0), r.restore(ctx.y(0))])]);
  return b.op('Mul', [softmax, r.restore(dy)]);
}

/** Axes as an attribute (opsets 1-17). */
export const reduceLogSumExp1: GradRule = {
  opType: 'ReduceLogSumExp',
  since: 1,
  grad: (ctx) => [back(ctx, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceLogSumExp18: GradRule = {
  opType: 'ReduceLogSumExp',
  since: 18,
  grad: (ctx) => [back(ctx, true), null],
};
