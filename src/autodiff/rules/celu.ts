// Celu-12: Y = max(0, X) + min(0, alpha·(exp(X/alpha) − 1)) (alpha 1 by default). As PyTorch's
// elu_backward for celu (input scale 1/alpha): dX = dY where X > 0, dY·exp(X/alpha) where X <= 0.
import { attrFloat } from '../../graph/ir.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const celu = unaryRule('Celu', 12, (ctx, dy, x) => {
  const { b, node } = ctx;
  const alpha = attrFloat(node, 'alpha', 1);
  const neg = b.op('Mul', [dy, b.op('Exp', [b.op('Div', [x, scalarLike(ctx, alpha, x)])])]);
  return b.op('Where', [b.op('Greater', [x, scalarLike(ctx, 0, x)]), dy, neg]);
});
