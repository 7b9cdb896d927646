// Sin-7: dX = dY·cos(X).
import { unaryRule } from './elementwise-util.js';

export const sin = unaryRule('Sin', 7, (ctx, dy, x) => ctx.b.op('Mul', [dy, ctx.b.op('Cos', [x])]));
