import { unaryRule } from './elementwise.js';

export const exp = unaryRule('Exp', 6, (ctx, dy, x, y) => ctx.b.op('Mul', [dy, y]));
