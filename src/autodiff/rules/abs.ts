// dY·sign(X), 0 at 0 as in PyTorch. Sign is opset 9+; before it, sign = (X > 0) − (X < 0).
import { DataType } from '../../graph/ir.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const abs = unaryRule('Abs', 6, (ctx, dy, x) => {
  const { b } = ctx;
  if (ctx.opset >= 9) return b.op('Mul', [dy, b.op('Sign', [x])]);
  const zero = scalarLike(ctx, 0, x);
  const to = ctx.dtype(x) || DataType.FLOAT;
  const sign = b.op('Sub', [
    b.op('Cast', [b.op('Greater', [x, zero])], { to }),
    b.op('Cast', [b.op('Less', [x, zero])], { to }),
  ]);
  return b.op('Mul', [dy, sign]);
});
