// PyTorch's clamp_backward: the gradient passes where min <= X <= max. Clip(0, 6) is ReLU6, as
// PyTorch's nn.ReLU6 and TensorFlow's relu6 export it; both their gradients pass strictly inside,
// 0 < X < 6 (hardtanh_backward, Relu6Grad), which differs where X sits exactly on a bound (a zero
// from a dead unit or a zero image: MobileNets). Other bounds keep clamp's convention.
import { attrFloat } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import { keepWhere, scalarLike } from './elementwise-util.js';

/** ReLU6's gradient: dY where 0 < X < 6 (the bounds themselves excluded). */
function relu6Grad(ctx: GradContext, x: string): string {
  const { b } = ctx;
  const inside = b.op('And', [b.op('Greater', [x, scalarLike(ctx, 0, x)]), b.op('Less', [x, scalarLike(ctx, 6, x)])]);
  return keepWhere(ctx, inside, ctx.dy(0)!);
}

/** Clip-6: min and max are attributes (absent: unbounded). */
export const clip6: GradRule = {
  opType: 'Clip',
  since: 6,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const dy = ctx.dy(0)!;
    if (node.attrs.min && node.attrs.max && attrFloat(node, 'min', 0) === 0 && attrFloat(node, 'max', 0) === 6)
      return [relu6Grad(ctx, x)];
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
    const [min, max] = [ctx.x(1), ctx.x(2)].map((v) => (v ? ctx.constant(v) : undefined));
    if (min?.length === 1 && min[0] === 0 && max?.length === 1 && max[0] === 6)
      return [relu6Grad(ctx, ctx.x(0)), null, null];
    // Clip returns X itself exactly where min <= X <= max: one comparison covers both bounds.
    return [b.op('Where', [b.op('Equal', [ctx.x(0), ctx.y(0)]), ctx.dy(0)!, scalarLike(ctx, 0, ctx.y(0))]), null, null];
  },
};
