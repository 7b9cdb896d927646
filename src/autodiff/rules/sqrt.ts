import { scalarLike, unaryRule } from './elementwise.js';

// dY/(2Y), reusing the forward output.
export const sqrt = unaryRule('Sqrt', 6, (ctx, dy, x, y) =>
  ctx.b.op('Div', [ctx.b.op('Mul', [dy, scalarLike(ctx, 0.5, y)]), y]),
);
