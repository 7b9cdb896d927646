// dY·(2/√π)·exp(−X²), with the factor folded into the exponent: exp(ln(2/√π) − X²).
import { scalarLike, unaryRule } from './elementwise-util.js';

export const erf = unaryRule('Erf', 9, (ctx, dy, x) => {
  const { b } = ctx;
  const arg = b.op('Sub', [scalarLike(ctx, Math.log(2 / Math.sqrt(Math.PI)), x), b.op('Mul', [x, x])]);
  return b.op('Mul', [dy, b.op('Exp', [arg])]);
});
