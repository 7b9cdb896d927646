import { unaryRule } from './elementwise.js';

export const identity = unaryRule('Identity', 1, (ctx, dy) => dy);
