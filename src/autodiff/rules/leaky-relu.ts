// PyTorch's leaky_relu_backward: dY where X > 0, alpha·dY elsewhere.
import { DataType, attrFloat } from '../../graph/ir.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const leakyRelu = unaryRule('LeakyRelu', 6, (ctx, dy, x) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 0.01);
  const pos = b.op('Greater', [x, scalarLike(ctx, 0, x)]);
  if (ctx.opset >= 9) return b.op('Where', [pos, dy, b.op('Mul', [dy, scalarLike(ctx, alpha, x)])]);
  // No Where before opset 9: dY·(alpha + (1−alpha)·[X > 0]).
  const mask = b.op('Cast', [pos], { to: ctx.dtype(x) || DataType.FLOAT });
  const slope = b.op('Add', [b.op('Mul', [mask, scalarLike(ctx, 1 - alpha, x)]), scalarLike(ctx, alpha, x)]);
  return b.op('Mul', [dy, slope]);
});
