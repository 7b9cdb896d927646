// PRelu-7 (slope broadcasts unidirectionally to X; 9 and 16 only add types): Y = X where X >= 0,
// slope·X elsewhere. As PyTorch's prelu backward: dX = dY where X > 0, slope·dY elsewhere;
// dSlope = dY·min(X, 0), in X's shape, which the engine sums down to the slope's shape.
import type { GradRule } from '../registry.js';
import { scalarLike } from './elementwise-util.js';

export const prelu: GradRule = {
  opType: 'PRelu',
  since: 7,
  broadcast: [1],
  grad(ctx) {
    const { b, node } = ctx;
    b.need(9, `gradient of PRelu node ${node.name || node.outputs[0]}: it selects with Where`);
    const [x, slope] = [ctx.x(0), ctx.x(1)];
    const dy = ctx.dy(0)!;
    const pos = b.op('Greater', [x, scalarLike(ctx, 0, x)]);
    const dx = ctx.needs(0) ? b.op('Where', [pos, dy, b.op('Mul', [dy, slope])]) : null;
    const dslope = ctx.needs(1) ? b.op('Mul', [dy, b.op('Min', [x, scalarLike(ctx, 0, x)])]) : null;
    return [dx, dslope];
  },
};
