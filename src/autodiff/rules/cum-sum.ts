// Y = CumSum(X, axis): Y_j = Σ X_i over i ≤ j (i < j with exclusive; i ≥ j, i > j with reverse). So
// dX_i = Σ dY_j over j ≥ i (j > i with exclusive): the cumulative sum of dY in the other direction,
// with the same exclusive flag. The axis input gets no gradient. (14 only adds types.)
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';

export const cumSum: GradRule = {
  opType: 'CumSum',
  since: 11,
  grad(ctx) {
    const { node } = ctx;
    const exclusive = attrInt(node, 'exclusive', 0);
    const reverse = attrInt(node, 'reverse', 0) ? 0 : 1;
    return [ctx.b.op('CumSum', [ctx.dy(0)!, ctx.x(1)], { exclusive, reverse }), null];
  },
};
