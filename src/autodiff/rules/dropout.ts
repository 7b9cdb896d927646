// Dropout that computes the identity on output 0 (inference, or a zero ratio); the mask gets no gradient.
// In training mode with a ratio above zero the output is random, and the gradient is refused.
import type { GradContext, GradRule } from '../registry.js';

const RANDOM = 'the model is random in training mode; export it in eval mode (model.eval())';

/** Dropout-7/10: ratio is an attribute and there is no training mode; ONNX Runtime runs it as the identity. */
export const dropout7: GradRule = {
  opType: 'Dropout',
  since: 7,
  grad(ctx) {
    return [ctx.dy(0)];
  },
};

/** Whether a Dropout-12/13 node is the identity: training_mode absent or false, or ratio 0. */
function isIdentity(ctx: GradContext): boolean {
  const modeName = ctx.x(2);
  const mode = modeName ? ctx.constant(modeName) : [0];
  if (mode && mode.every((v) => v === 0)) return true;
  // training mode (or one computed at run time): the identity only with a constant zero ratio
  const ratioName = ctx.x(1);
  const ratio = ratioName ? ctx.constant(ratioName) : [0.5];
  if (ratio && ratio.every((v) => v === 0)) return true;
  if (!mode) throw new Error(`training_mode is computed at run time, so the node may be random; ${RANDOM}`);
  if (!ratio) throw new Error(`the ratio is computed at run time; ${RANDOM}`);
  return false;
}

/** Dropout-12/13: ratio (default 0.5) and training_mode (default false) are optional inputs, and get no gradient. */
export const dropout12: GradRule = {
  opType: 'Dropout',
  since: 12,
  grad(ctx) {
    if (isIdentity(ctx)) return [ctx.dy(0), null, null];
    const ratio = ctx.x(1) ? ctx.constant(ctx.x(1))![0] : 0.5;
    throw new Error(`ratio ${Number(ratio.toPrecision(6))} with training_mode true: ${RANDOM}`);
  },
};
