// HardSigmoid-6: Y = max(0, min(1, alpha·X + beta)), alpha 0.2 and beta 0.5 by default. dX = alpha·dY
// where 0 < alpha·X + beta < 1 strictly, and 0 elsewhere, at both boundaries too: PyTorch's convention,
// whose hardsigmoid_backward (alpha 1/6, beta 1/2) passes the gradient only where −3 < X < 3. Y equals
// alpha·X + beta exactly inside, so the mask reads the forward output.
import { attrFloat } from '../../graph/ir.js';
import { keepWhere, scalarLike, unaryRule } from './elementwise-util.js';

export const hardSigmoid = unaryRule('HardSigmoid', 6, (ctx, dy, x, y) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 0.2);
  const inside = b.op('And', [b.op('Greater', [y, scalarLike(ctx, 0, y)]), b.op('Less', [y, scalarLike(ctx, 1, y)])]);
  return keepWhere(ctx, inside, b.op('Mul', [dy, scalarLike(ctx, alpha, x)]));
});
