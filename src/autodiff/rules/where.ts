// Where(C, X, Y): the condition gets no gradient; X and Y take dY where they were selected, summed
// down to their shapes by the engine.
import type { GradRule } from '../registry.js';
import { scalarLike } from './elementwise-util.js';

export const where: GradRule = {
  opType: 'Where',
  since: 9,
  broadcast: true,
  grad(ctx) {
    const { b } = ctx;
    const [c, dy] = [ctx.x(0), ctx.dy(0)!];
    const zero = scalarLike(ctx, 0, ctx.y(0));
    const dx = ctx.needs(1) ? b.op('Where', [c, dy, zero]) : null;
    const de = ctx.needs(2) ? b.op('Where', [c, zero, dy]) : null;
    return [null, dx, de];
  },
};
