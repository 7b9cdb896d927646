// dX is dY transposed by the inverse permutation.
import { attrInts } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';

export const transpose: GradRule = {
  opType: 'Transpose',
  since: 1,
  grad(ctx) {
    const rank = ctx.shape(ctx.x(0)).length;
    const perm = attrInts(ctx.node, 'perm') ?? [...Array(rank).keys()].reverse();
    const inverse: number[] = [];
    perm.forEach((p, i) => (inverse[p] = i));
    const dy = ctx.dy(0)!;
    if (inverse.every((p, i) => p === i)) return [dy];
    return [ctx.b.op('Transpose', [dy], { perm: inverse })];
  },
};
