// Y = GatherElements(X, I, axis): Y[p] = X[p with p_axis replaced by I[p]]. dX accumulates dY[p] at that
// position: ScatterElements of dY at I, where repeated targets add up (reduction='add', opset 16). Constant
// indices that name every target once scatter without it at 11; otherwise the rule asks for a raised
// artifact opset (builder.ts OpsetTooLowError), as rules/gather.ts does. (13 only adds types.)
import { attrInt, type Dim } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { floatType, normAxis, scatterReduction, staticDims, zerosLike } from './shape-util.js';

/** Whether constant indices `values` (shaped `idx`) name distinct positions of X (shaped `dims`). */
function distinctTargets(values: readonly number[], idx: readonly number[], dims: readonly Dim[], axis: number) {
  const d = dims[axis];
  const inner = idx.slice(axis + 1).reduce((p, q) => p * q, 1);
  const seen = new Set<string>();
  for (let p = 0; p < values.length; p++) {
    let v = values[p];
    if (v < 0) {
      if (typeof d !== 'number') return false;
      v += d;
    }
    // p without its axis coordinate, and the target's axis coordinate v
    const outer = Math.floor(p / (inner * idx[axis]));
    const key = `${outer * inner + (p % inner)}:${v}`;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

export const gatherElements: GradRule = {
  opType: 'GatherElements',
  since: 11,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const idx = ctx.x(1);
    const dims = ctx.shape(x);
    const axis = normAxis(attrInt(node, 'axis', 0), dims.length);
    const values = ctx.constant(idx);
    const idxDims = staticDims(ctx.shape(idx));
    const distinct = values !== undefined && idxDims !== null && distinctTargets(values, idxDims, dims, axis);
    const reduction = scatterReduction(ctx, distinct, 'GatherElements', 'ScatterElements', !values);
    const zeros = zerosLike(b, x, dims, floatType(ctx, x));
    return [b.op('ScatterElements', [zeros, idx, ctx.dy(0)!], { axis, reduction }), null];
  },
};
