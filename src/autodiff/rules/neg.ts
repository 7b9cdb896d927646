import { unaryRule } from './elementwise.js';

export const neg = unaryRule('Neg', 6, (ctx, dy) => ctx.b.op('Neg', [dy]));
