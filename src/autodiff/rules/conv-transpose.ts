// Y = convTranspose(X, W) + B with X [N, C, S...], W [C, M/group, k...], Y [N, M, O...].
import { attrInts, attrString } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { convTo, convWeightGrad, dilated, groupOf, kernelOf, ncSpatial, type Window } from './conv-util.js';

export const convTranspose: GradRule = {
  opType: 'ConvTranspose',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const [x, w, bias] = [ctx.x(0), ctx.x(1), ctx.x(2)];
    const dy = ctx.dy(0)!;
    const xs = ncSpatial(ctx, x);
    const ys = ncSpatial(ctx, ctx.y(0));
    const kernel = kernelOf(ctx, ctx.shape(w).slice(2) as number[]);
    const r = kernel.length;
    const strides = attrInts(node, 'strides') ?? Array(r).fill(1);
    const dilations = attrInts(node, 'dilations') ?? Array(r).fill(1);
    const outPad = attrInts(node, 'output_padding') ?? Array(r).fill(0);
    const autoPad = attrString(node, 'auto_pad', 'NOTSET');
    const pads = attrInts(node, 'pads');
    // The rows cropped from the full transposed convolution. With output_shape or SAME_*, ONNX Runtime
    // crops the odd row at the end for SAME_UPPER, else at the start (checked against its forward).
    const total = kernel.map(
      (k, i) => (xs.spatial[i] - 1) * strides[i] + dilated(k, dilations[i]) + outPad[i] - ys.spatial[i],
    );
    const begin = total.map((t, i) => {
      if (autoPad === 'NOTSET' && !attrInts(node, 'output_shape')) return pads?.[i] ?? 0;
      return autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2);
    });
    if (begin.some((p) => p < 0))
      throw new Error(`output_shape larger than the full transposed convolution is not supported`);
    const win: Window = { kernel, strides, dilations, begin, end: total.map((t, i) => t - begin[i]) };
    const group = groupOf(ctx);
    // The adjoint of a transposed convolution is the convolution with the same weights.
    const dx = ctx.needs(0) ? convTo(b, dy, ys.spatial, w, kernel, win, xs.spatial, group) : null;
    const dw = ctx.needs(1) ? convWeightGrad(b, dy, ys, x, xs, win, group) : null;
    const db = bias && ctx.needs(2) ? b.reduce('ReduceSum', dy, [0, ...ys.spatial.map((_, i) => i + 2)], false) : null;
    return [dx, dw, db];
  },
};
