// dY/(2Y), reusing the forward output.
import { scalarLike, unaryRule } from './elementwise-util.js';

export const sqrt = unaryRule('Sqrt', 6, (ctx, dy, x, y) =>
  ctx.b.op('Div', [ctx.b.op('Mul', [dy, scalarLike(ctx, 0.5, y)]), y]),
);
