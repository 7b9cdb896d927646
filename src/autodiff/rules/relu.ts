import type { GradRule } from '../registry.js';

// PyTorch's threshold_backward: the gradient passes where the output is positive.
export const relu: GradRule = {
  opType: 'Relu',
  since: 6,
  grad(ctx) {
    const { b } = ctx;
    const y = ctx.y(0);
    const zero = b.scalar(0, ctx.dtype(y));
    return [b.op('Where', [b.op('Greater', [y, zero]), ctx.dy(0)!, zero])];
  },
};
