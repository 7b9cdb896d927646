// Cos-7: dX = −dY·sin(X).
import { unaryRule } from './elementwise-util.js';

export const cos = unaryRule('Cos', 7, (ctx, dy, x) => ctx.b.op('Neg', [ctx.b.op('Mul', [dy, ctx.b.op('Sin', [x])])]));
