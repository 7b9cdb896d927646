// HardSwish-14: Y = X·max(0, min(1, X/6 + 1/2)). Matches PyTorch's hardswish_backward, boundaries
// included: dX = 0 where X < −3, dY·(X/3 + 1/2) where −3 <= X <= 3, dY where X > 3.
import { scalarLike, unaryRule } from './elementwise-util.js';

export const hardSwish = unaryRule('HardSwish', 14, (ctx, dy, x) => {
  const { b } = ctx;
  const s = (v: number) => scalarLike(ctx, v, x);
  const middle = b.op('Mul', [dy, b.op('Add', [b.op('Div', [x, s(3)]), s(0.5)])]);
  const upper = b.op('Where', [b.op('Greater', [x, s(3)]), dy, middle]);
  return b.op('Where', [b.op('Less', [x, s(-3)]), s(0), upper]);
});
