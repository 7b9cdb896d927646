import type { GradRule } from '../registry.js';
import { unbroadcast } from './elementwise.js';

// Y = A/B: dA = dY/B, dB = −dY·A/B² = −(dY/B)·Y, so both share dY/B.
export const div: GradRule = {
  opType: 'Div',
  since: 7,
  grad(ctx) {
    const { b } = ctx;
    if (!ctx.needs(0) && !ctx.needs(1)) return [null, null];
    const q = b.op('Div', [ctx.dy(0)!, ctx.x(1)]);
    const da = ctx.needs(0) ? unbroadcast(ctx, q, 0) : null;
    const db = ctx.needs(1) ? b.op('Neg', [unbroadcast(ctx, b.op('Mul', [q, ctx.y(0)]), 1)]) : null;
    return [da, db];
  },
};
