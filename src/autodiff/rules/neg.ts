// Y = −X: dX = −dY.
import { unaryRule } from './elementwise-util.js';

export const neg = unaryRule('Neg', 6, (ctx, dy) => ctx.b.op('Neg', [dy]));
