// Y = ReduceSumSquare(X) = ΣX² over the reduced axes: dX = 2·X·dY. With noop_with_empty_axes the same
// formula holds over no axes (Y = X²).
import type { GradContext, GradRule } from '../registry.js';
import { reduction } from './reduce-util.js';
import { floatType } from './shape-util.js';

function back(ctx: GradContext, axesAsInput: boolean): string {
  const { b } = ctx;
  const r = reduction(ctx, axesAsInput);
  const x = ctx.x(0);
  const twice = b.op('Mul', [x, b.scalar(2, floatType(ctx, x))]);
  return b.op('Mul', [twice, r.restore(ctx.dy(0)!)]);
}

/** Axes as an attribute (opsets 1-17). */
export const reduceSumSquare1: GradRule = {
  opType: 'ReduceSumSquare',
  since: 1,
  grad: (ctx) => [back(ctx, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceSumSquare18: GradRule = {
  opType: 'ReduceSumSquare',
  since: 18,
  grad: (ctx) => [back(ctx, true), null],
};
