// Y = A/B: dA = dY/B, dB = −dY·A/B² = −(dY/B)·Y, so both share dY/B. The engine sums each down to its
// input's shape.
import type { GradRule } from '../registry.js';

export const div: GradRule = {
  opType: 'Div',
  since: 7,
  broadcast: true,
  grad(ctx) {
    const { b } = ctx;
    if (!ctx.needs(0) && !ctx.needs(1)) return [null, null];
    const q = b.op('Div', [ctx.dy(0)!, ctx.x(1)]);
    const da = ctx.needs(0) ? q : null;
    const db = ctx.needs(1) ? b.op('Neg', [b.op('Mul', [q, ctx.y(0)])]) : null;
    return [da, db];
  },
};
