import type { GradRule } from '../registry.js';

export const add: GradRule = {
  opType: 'Add',
  since: 7,
  grad(ctx) {
    const dy = ctx.dy(0)!;
    const ys = ctx.shape(ctx.y(0));
    return [0, 1].map((i) => (ctx.needs(i) ? ctx.reduceTo(dy, ys, ctx.x(i)) : null));
  },
};
