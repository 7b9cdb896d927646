// Y = ReduceL2(X) = √(ΣX²) over the reduced axes: dX = X·dY / Y, and 0 where Y = 0 (PyTorch's
// norm(p=2) backward masks a zero norm the same way). With noop_with_empty_axes the same formula holds
// over no axes (Y = |X|).
import type { GradContext, GradRule } from '../registry.js';
import { needFloatEqual, reduction } from './reduce-util.js';
import { floatType } from './shape-util.js';

function back(ctx: GradContext, axesAsInput: boolean): string {
  const { b } = ctx;
  const r = reduction(ctx, axesAsInput);
  needFloatEqual(ctx);
  const x = ctx.x(0);
  const zero = b.scalar(0, floatType(ctx, x));
  const y = r.restore(ctx.y(0));
  const ratio = b.op('Where', [b.op('Equal', [y, zero]), zero, b.op('Div', [r.restore(ctx.dy(0)!), y])]);
  return b.op('Mul', [x, ratio]);
}

/** Axes as an attribute (opsets 1-17). */
export const reduceL21: GradRule = { opType: 'ReduceL2', since: 1, grad: (ctx) => [back(ctx, false)] };

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceL218: GradRule = { opType: 'ReduceL2', since: 18, grad: (ctx) => [back(ctx, true), null] };
