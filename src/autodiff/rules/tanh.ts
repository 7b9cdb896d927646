// dY·(1−Y²), reusing the forward output.
import { scalarLike, unaryRule } from './elementwise-util.js';

export const tanh = unaryRule('Tanh', 6, (ctx, dy, x, y) => {
  const { b } = ctx;
  return b.op('Mul', [dy, b.op('Sub', [scalarLike(ctx, 1, y), b.op('Mul', [y, y])])]);
});
