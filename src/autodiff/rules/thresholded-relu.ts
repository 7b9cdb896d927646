// ThresholdedRelu-10: Y = X where X > alpha, 0 elsewhere (alpha 1 by default). As PyTorch's
// threshold_backward: dX = dY where X > alpha, 0 elsewhere (at X = alpha too).
import { attrFloat } from '../../graph/ir.js';
import { keepWhere, scalarLike, unaryRule } from './elementwise-util.js';

export const thresholdedRelu = unaryRule('ThresholdedRelu', 10, (ctx, dy, x) => {
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  return keepWhere(ctx, ctx.b.op('Greater', [x, scalarLike(ctx, alpha, x)]), dy);
});
