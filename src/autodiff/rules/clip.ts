// PyTorch's clamp_backward: the gradient passes where min <= X <= max.
import { attrFloat } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { keepWhere, scalarLike } from './elementwise-util.js';

/** Clip-6: min and max are attributes (absent: unbounded). */
export const clip6: GradRule = {
  opType: 'Clip',
  since: 6,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const dy = ctx.dy(0)!;
    // Equal on floats is opset 11+, so test the bounds; only those given.
    const outside: string[] = [];
    if (node.attrs.min) outside.push(b.op('Less', [x, scalarLike(ctx, attrFloat(node, 'min', 0), x)]));
    if (node.attrs.max) outside.push(b.op('Greater', [x, scalarLike(ctx, attrFloat(node, 'max', 0), x)]));
    if (outside.length === 0) return [dy];
    const out = outside.length === 1 ? outside[0] : b.op('Or', outside);
    return [keepWhere(ctx, b.op('Not', [out]), dy)];
  },
};

/** Clip-11/12/13: min and max are optional inputs, and get no gradient. */
export const clip11: GradRule = {
  opType: 'Clip',
  since: 11,
  grad(ctx) {
    const { b } = ctx;
    if (!ctx.x(1) && !ctx.x(2)) return [ctx.dy(0)!];
    // Clip returns X itself exactly where min <= X <= max: one comparison covers both bounds.
    return [b.op('Where', [b.op('Equal', [ctx.x(0), ctx.y(0)]), ctx.dy(0)!, scalarLike(ctx, 0, ctx.y(0))]), null, null];
  },
};
