// Y = ReduceL1(X) = Σ|X| over the reduced axes: dX = sign(X)·dY (0 at X = 0, as PyTorch's abs/norm(p=1)
// backward). With noop_with_empty_axes the same formula holds over no axes (Y = |X|).
import type { GradContext, GradRule } from '../registry.js';
import { reduction } from './reduce-util.js';

function back(ctx: GradContext, axesAsInput: boolean): string {
  const r = reduction(ctx, axesAsInput);
  return ctx.b.op('Mul', [ctx.b.op('Sign', [ctx.x(0)]), r.restore(ctx.dy(0)!)]);
}

/** Axes as an attribute (opsets 1-17). */
export const reduceL11: GradRule = { opType: 'ReduceL1', since: 1, grad: (ctx) => [back(ctx, false)] };

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceL118: GradRule = { opType: 'ReduceL1', since: 18, grad: (ctx) => [back(ctx, true), null] };
