// Reciprocal-6 (1 differs only by the legacy consumed_inputs attribute, 13 only adds bfloat16):
// Y = 1/X, dX = −dY·Y², reusing the forward output as PyTorch's reciprocal backward does.
import { unaryRule } from './elementwise-util.js';

export const reciprocal = unaryRule('Reciprocal', 6, (ctx, dy, x, y) => {
  const { b } = ctx;
  return b.op('Neg', [b.op('Mul', [dy, b.op('Mul', [y, y])])]);
});
