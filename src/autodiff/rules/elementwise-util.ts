// Shared pieces of the elementwise rules.
import { DataType } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

/** A scalar constant of the element type of forward value `like`. */
export function scalarLike(ctx: GradContext, value: number, like: string): string {
  return ctx.b.scalar(value, ctx.dtype(like) || DataType.FLOAT);
}

/** g where cond holds, 0 elsewhere; Where is opset 9+, so older graphs multiply by the mask. */
export function keepWhere(ctx: GradContext, cond: string, g: string): string {
  const { b } = ctx;
  const like = ctx.y(0);
  if (ctx.opset >= 9) return b.op('Where', [cond, g, scalarLike(ctx, 0, like)]);
  return b.op('Mul', [g, b.op('Cast', [cond], { to: ctx.dtype(like) || DataType.FLOAT })]);
}

/** A rule for a one-input op whose gradient is a function of dY, X and Y. */
export function unaryRule(
  opType: string,
  since: number,
  grad: (ctx: GradContext, dy: string, x: string, y: string) => string | null,
): GradRule {
  return {
    opType,
    since,
    grad(ctx) {
      return [ctx.needs(0) ? grad(ctx, ctx.dy(0)!, ctx.x(0), ctx.y(0)) : null];
    },
  };
}
