// Y = exp(X): dX = dY·Y, reusing the forward output.
import { unaryRule } from './elementwise-util.js';

export const exp = unaryRule('Exp', 6, (ctx, dy, x, y) => ctx.b.op('Mul', [dy, y]));
