// Y = ReduceProd(X) = ΠX over the reduced axes: dX_i = dY·Π_{j≠i} X_j, exact with zeros in X too (as
// PyTorch's prod backward). With P the product of the slice's nonzero elements and Z its count of zeros:
//   X_i ≠ 0: Π_{j≠i} X_j = P / X_i where Z = 0, else 0
//   X_i = 0: Π_{j≠i} X_j = P where Z = 1 (X_i is the only zero), else 0
// With noop_with_empty_axes (no axes) every product of the others is empty: dX = dY.
import type { GradContext, GradRule } from '../registry.js';
import { needFloatEqual, reduction } from './reduce-util.js';
import { floatType } from './shape-util.js';

function back(ctx: GradContext, axesAsInput: boolean): string {
  const { b } = ctx;
  const r = reduction(ctx, axesAsInput);
  const dy = ctx.dy(0)!;
  if (r.noop) return dy;
  needFloatEqual(ctx);
  const x = ctx.x(0);
  const dt = floatType(ctx, x);
  const [zero, one] = [b.scalar(0, dt), b.scalar(1, dt)];
  const isZero = b.op('Equal', [x, zero]);
  const nonzero = b.op('Where', [isZero, one, x]);
  const p = r.keep('ReduceProd', nonzero);
  const z = r.keep('ReduceSum', b.op('Cast', [isZero], { to: dt }));
  const atZero = b.op('Where', [b.op('Equal', [z, one]), p, zero]);
  const elsewhere = b.op('Where', [b.op('Equal', [z, zero]), b.op('Div', [p, nonzero]), zero]);
  const others = b.op('Where', [isZero, atZero, elsewhere]);
  return b.op('Mul', [others, r.restore(dy)]);
}

/** Axes as an attribute (opsets 1-17). */
export const reduceProd1: GradRule = { opType: 'ReduceProd', since: 1, grad: (ctx) => [back(ctx, false)] };

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceProd18: GradRule = { opType: 'ReduceProd', since: 18, grad: (ctx) => [back(ctx, true), null] };
