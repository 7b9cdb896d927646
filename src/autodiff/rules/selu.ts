// Selu-6: Y = gamma·X where X > 0, gamma·alpha·(exp(X) − 1) where X <= 0 (alpha ≈ 1.6733 and
// gamma ≈ 1.0507 by default). As PyTorch's elu_backward for selu: dX = gamma·dY where X > 0,
// dY·gamma·alpha·exp(X) where X <= 0.
import { attrFloat } from '../../graph/ir.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const selu = unaryRule('Selu', 6, (ctx, dy, x) => {
  const { b, node } = ctx;
  b.need(9, `gradient of Selu node ${node.name || node.outputs[0]}: it selects with Where`);
  const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
  const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
  const neg = b.op('Mul', [b.op('Exp', [x]), scalarLike(ctx, gamma * alpha, x)]);
  const slope = b.op('Where', [b.op('Greater', [x, scalarLike(ctx, 0, x)]), scalarLike(ctx, gamma, x), neg]);
  return b.op('Mul', [dy, slope]);
});
