// dY·Y·(1−Y), reusing the forward output.
import { scalarLike, unaryRule } from './elementwise-util.js';

export const sigmoid = unaryRule('Sigmoid', 6, (ctx, dy, x, y) => {
  const { b } = ctx;
  return b.op('Mul', [dy, b.op('Mul', [y, b.op('Sub', [scalarLike(ctx, 1, y), y])])]);
});
