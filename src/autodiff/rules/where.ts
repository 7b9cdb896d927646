// Where(C, X, Y): the condition gets no gradient; X and Y take dY where they were selected.
import type { GradRule } from '../registry.js';
import { scalarLike, unbroadcast } from './elementwise.js';

export const where: GradRule = {
  opType: 'Where',
  since: 9,
  grad(ctx) {
    const { b } = ctx;
    const [c, dy] = [ctx.x(0), ctx.dy(0)!];
    const zero = scalarLike(ctx, 0, ctx.y(0));
    const dx = ctx.needs(1) ? unbroadcast(ctx, b.op('Where', [c, dy, zero]), 1) : null;
    const de = ctx.needs(2) ? unbroadcast(ctx, b.op('Where', [c, zero, dy]), 2) : null;
    return [null, dx, de];
  },
};
