// Y = ln(X): dX = dY/X.
import { unaryRule } from './elementwise-util.js';

export const log = unaryRule('Log', 6, (ctx, dy, x) => ctx.b.op('Div', [dy, x]));
