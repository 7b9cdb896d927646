// Dropout as exported for inference is the identity on output 0; the mask gets no gradient.
import type { GradRule } from '../registry.js';

/** Dropout-7/10: ratio is an attribute. */
export const dropout7: GradRule = {
  opType: 'Dropout',
  since: 7,
  grad(ctx) {
    return [ctx.dy(0)];
  },
};

/** Dropout-12/13: ratio and training_mode are optional inputs, and get no gradient. */
export const dropout12: GradRule = {
  opType: 'Dropout',
  since: 12,
  grad(ctx) {
    const mode = ctx.x(2) ? ctx.constant(ctx.x(2)) : undefined;
    if (mode?.some((v) => v !== 0))
      throw new Error('training_mode is true: scrub differentiates the inference graph; export the model in eval mode');
    return [ctx.dy(0), null, null];
  },
};
