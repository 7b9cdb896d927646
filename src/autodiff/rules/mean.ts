// Y = Mean(X_0, ..., X_{n-1}) = ΣX_i / n, multidirectional broadcasting from opset 8 (equal shapes at 6,
// for which the same rule holds): dX_i = dY / n, summed down to X_i's shape by the engine.
import type { GradRule } from '../registry.js';
import { scalarLike } from './elementwise-util.js';

export const mean: GradRule = {
  opType: 'Mean',
  since: 6,
  broadcast: true,
  grad(ctx) {
    const n = ctx.node.inputs.length;
    const dy = ctx.dy(0)!;
    const share = n === 1 ? dy : ctx.b.op('Mul', [dy, scalarLike(ctx, 1 / n, ctx.y(0))]);
    return ctx.node.inputs.map((_, i) => (ctx.needs(i) ? share : null));
  },
};
