// Mish-18: Y = X·tanh(softplus(X)). As PyTorch's mish_backward, with T = tanh(softplus(X)):
// dX = dY·(T + X·sigmoid(X)·(1 − T²)).
import { scalarLike, unaryRule } from './elementwise-util.js';

export const mish = unaryRule('Mish', 18, (ctx, dy, x) => {
  const { b } = ctx;
  const t = b.op('Tanh', [b.op('Softplus', [x])]);
  const sech2 = b.op('Sub', [scalarLike(ctx, 1, x), b.op('Mul', [t, t])]);
  const slope = b.op('Add', [t, b.op('Mul', [b.op('Mul', [x, b.op('Sigmoid', [x])]), sech2])]);
  return b.op('Mul', [dy, slope]);
});
