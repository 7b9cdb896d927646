// Expand broadcasts X to a shape: dX is dY summed down to X's shape (broadcasting's adjoint).
import type { GradRule } from '../registry.js';

export const expand: GradRule = {
  opType: 'Expand',
  since: 8,
  grad(ctx) {
    const x = ctx.x(0);
    const xs = ctx.shape(x);
    const ys = ctx.shape(ctx.y(0));
    const lead = ys.length - xs.length;
    // A shape computed at run time may broadcast an axis the probe saw as 1: sum every size-1 axis of X.
    const runtimeShape = ctx.constant(ctx.x(1)) === undefined;
    const from = ys.map((d, k) => (runtimeShape && k >= lead && xs[k - lead] === 1 ? null : d));
    return [ctx.reduceTo(ctx.dy(0)!, from, x), null];
  },
};
