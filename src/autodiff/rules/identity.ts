// Identity passes dY through unchanged.
import { unaryRule } from './elementwise-util.js';

export const identity = unaryRule('Identity', 1, (ctx, dy) => dy);
