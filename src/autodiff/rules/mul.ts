import type { GradRule } from '../registry.js';
import { unbroadcast } from './elementwise.js';

export const mul: GradRule = {
  opType: 'Mul',
  since: 7,
  grad(ctx) {
    const { b } = ctx;
    const dy = ctx.dy(0)!;
    const [a, m] = [ctx.x(0), ctx.x(1)];
    const da = ctx.needs(0) ? unbroadcast(ctx, b.op('Mul', [dy, m]), 0) : null;
    const dm = ctx.needs(1) ? unbroadcast(ctx, b.op('Mul', [dy, a]), 1) : null;
    return [da, dm];
  },
};
