// Elu-6: Y = X where X > 0, alpha·(exp(X) − 1) elsewhere (alpha 1 by default). As PyTorch's
// elu_backward on the input: dX = dY where X > 0, dY·alpha·exp(X) where X <= 0.
import { attrFloat } from '../../graph/ir.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const elu = unaryRule('Elu', 6, (ctx, dy, x) => {
  const { b, node } = ctx;
  b.need(9, `gradient of Elu node ${node.name || node.outputs[0]}: it selects with Where`);
  const alpha = attrFloat(node, 'alpha', 1);
  const neg = b.op('Mul', [dy, b.op('Mul', [b.op('Exp', [x]), scalarLike(ctx, alpha, x)])]);
  return b.op('Where', [b.op('Greater', [x, scalarLike(ctx, 0, x)]), dy, neg]);
});
