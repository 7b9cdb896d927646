import { unaryRule } from './elementwise.js';

export const log = unaryRule('Log', 6, (ctx, dy, x) => ctx.b.op('Div', [dy, x]));
