import type { GradRule } from '../registry.js';
import { unbroadcast } from './elementwise.js';

export const sub: GradRule = {
  opType: 'Sub',
  since: 7,
  grad(ctx) {
    const dy = ctx.dy(0)!;
    const da = ctx.needs(0) ? unbroadcast(ctx, dy, 0) : null;
    // Negate after the reduction: fewer elements.
    const db = ctx.needs(1) ? ctx.b.op('Neg', [unbroadcast(ctx, dy, 1)]) : null;
    return [da, db];
  },
};
