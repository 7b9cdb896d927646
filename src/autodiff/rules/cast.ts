// A float→float cast sends the gradient back in the input's type; to or from a non-float type, none flows.
import { isFloatType } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';

function castRule(since: number): GradRule {
  return {
    opType: 'Cast',
    since,
    grad(ctx) {
      const [x, y] = [ctx.x(0), ctx.y(0)];
      const [tx, ty] = [ctx.dtype(x), ctx.dtype(y)];
      if (!ctx.needs(0) || !isFloatType(tx) || !isFloatType(ty)) return [null];
      const dy = ctx.dy(0)!;
      return [tx === ty ? dy : ctx.b.op('Cast', [dy], { to: tx })];
    },
  };
}

export const cast6 = castRule(6);
export const cast13 = castRule(13);
