// Softplus-1: Y = ln(exp(X) + 1), dX = dY·sigmoid(X) (PyTorch's softplus_backward at beta 1; its
// threshold shortcut to dY above X = 20 agrees with sigmoid(X) in float32).
import { unaryRule } from './elementwise-util.js';

export const softplus = unaryRule('Softplus', 1, (ctx, dy, x) => {
  const { b } = ctx;
  return b.op('Mul', [dy, b.op('Sigmoid', [x])]);
});
