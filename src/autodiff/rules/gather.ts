// dX accumulates each dY slice at the position its index picked (repeated ids add up). Repeated or
// run-time ids need ScatterND reduction='add' (opset 16): below it the rule asks for a raised artifact
// opset (builder.ts OpsetTooLowError), which artifact.ts grants where no op of the model changes meaning.
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import {
  asInt64,
  floatType,
  normAxis,
  padZeros,
  scatterReduction,
  staticDims,
  zerosLike,
  zerosOfShape,
} from './shape-util.js';

export const gather: GradRule = {
  opType: 'Gather',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const idx = ctx.x(1);
    const dims = ctx.shape(x);
    const rank = dims.length;
    const axis = normAxis(attrInt(node, 'axis', 0), rank);
    const idxDims = ctx.shape(idx);
    const q = idxDims.length;
    const dy = ctx.dy(0)!;
    const dtype = floatType(ctx, x);
    const d = dims[axis];
    const values = ctx.constant(idx);
    const norm =
      values &&
      (typeof d === 'number'
        ? values.map((v) => (v < 0 ? v + d : v))
        : values.every((v) => v >= 0)
          ? values
          : undefined);

    // A constant scalar or run of consecutive indices (e.g. the q/k/v picks of a fused projection) is a zero Pad.
    if (norm && norm.length > 0 && q <= 1 && typeof d === 'number' && norm.every((v, k) => v === norm[0] + k)) {
      const g = q === 0 ? b.unsqueeze(dy, [axis]) : dy;
      return [padZeros(b, g, rank, new Map([[axis, [norm[0], d - norm[0] - norm.length]]])), null];
    }

    const unique = norm !== undefined && new Set(norm).size === norm.length;
    const reduction = scatterReduction(ctx, unique, 'Gather', 'ScatterND', !values);
    if (unique && b.opset < 11)
      throw new Error(
        `the gradient of Gather scatters with ScatterND, which needs opset 11; the model is at opset ${ctx.opset}`,
      );

    let ind: string;
    if (norm) ind = b.i64(norm, [...(idxDims as number[]), 1]);
    else {
      const i64 = asInt64(ctx, idx);
      const size = typeof d === 'number' ? b.i64([d], []) : b.op('Gather', [b.shapeOf(x), b.i64([axis], [])]);
      const wrapped = b.op('Where', [b.op('Less', [i64, b.i64([0], [])]), b.op('Add', [i64, size]), i64]);
      ind = b.unsqueeze(wrapped, [q]);
    }
    if (axis === 0) return [b.op('ScatterND', [zerosLike(b, x, dims, dtype), ind, dy], { reduction }), null];

    // ScatterND indexes leading axes: bring the gathered axis (and in dY the index axes) to the front.
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    const dyPerm = [...range(axis, axis + q), ...range(0, axis), ...range(axis + q, rank - 1 + q)];
    const updates = dyPerm.every((p, k) => p === k) ? dy : b.op('Transpose', [dy], { perm: dyPerm });
    const xPerm = [axis, ...range(0, axis), ...range(axis + 1, rank)];
    const s = staticDims(dims);
    const zshape = s ? b.i64(xPerm.map((p) => s[p])) : b.op('Gather', [b.shapeOf(x), b.i64(xPerm)]);
    const scattered = b.op('ScatterND', [zerosOfShape(b, zshape, dtype), ind, updates], { reduction });
    const back: number[] = [];
    xPerm.forEach((p, k) => (back[p] = k));
    return [b.op('Transpose', [scattered], { perm: back }), null];
  },
};
