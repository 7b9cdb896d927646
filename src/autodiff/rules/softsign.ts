// Softsign-1: Y = X/(1 + |X|), dX = dY/(1 + |X|)².
import { scalarLike, unaryRule } from './elementwise-util.js';

export const softsign = unaryRule('Softsign', 1, (ctx, dy, x) => {
  const { b } = ctx;
  const d = b.op('Add', [b.op('Abs', [x]), scalarLike(ctx, 1, x)]);
  return b.op('Div', [dy, b.op('Mul', [d, d])]);
});
