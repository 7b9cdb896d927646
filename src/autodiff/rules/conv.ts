// Y = conv(X, W) + B with X [N, C, S...], W [M, C/group, k...].
import { DataType } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import {
  convTo,
  convWeightGrad,
  dilated,
  foldWindows,
  groupOf,
  kernelOf,
  ncSpatial,
  readWindow,
  type Window,
} from './conv-util.js';

export const conv: GradRule = {
  opType: 'Conv',
  since: 1,
  grad(ctx) {
    const { b } = ctx;
    const [x, w, bias] = [ctx.x(0), ctx.x(1), ctx.x(2)];
    const dy = ctx.dy(0)!;
    const xs = ncSpatial(ctx, x);
    const ys = ncSpatial(ctx, ctx.y(0));
    const kernel = kernelOf(ctx, ctx.shape(w).slice(2) as number[]);
    const win = readWindow(ctx, kernel, xs.spatial);
    const group = groupOf(ctx);
    const dx = ctx.needs(0) ? inputGrad(ctx, dy, w, win, xs, ys.spatial, group) : null;
    const dw = ctx.needs(1) ? convWeightGrad(b, x, xs, dy, ys, win, group) : null;
    const db = bias && ctx.needs(2) ? b.reduce('ReduceSum', dy, [0, ...xs.spatial.map((_, i) => i + 2)], false) : null;
    return [dx, dw, db];
  },
};

/**
 * dX is the transposed convolution of dY with the same weights. With unit strides it is also a plain
 * convolution with the kernels flipped and their channel axes swapped, which runs faster.
 */
function inputGrad(
  ctx: GradContext,
  dy: string,
  w: string,
  win: Window,
  xs: { c: number; spatial: number[] },
  out: number[],
  group: number,
): string {
  const { b } = ctx;
  const { kernel, dilations } = win;
  const begin = kernel.map((k, i) => dilated(k, dilations[i]) - 1 - win.begin[i]);
  if (win.strides.some((s) => s !== 1) || begin.some((p) => p < 0))
    return foldWindows(b, dy, w, win, xs.spatial, out, group);
  const [m, cg] = ctx.shape(w) as number[];
  const taps = kernel.reduce((p, q) => p * q, 1);
  // Reversing every spatial axis reverses the flattened kernel: a product with the exchange matrix.
  let flat = b.op('Reshape', [w, b.i64([m, cg, taps])]);
  if (taps > 1) {
    const exchange = Array.from({ length: taps * taps }, (_, i) =>
      Math.floor(i / taps) + (i % taps) === taps - 1 ? 1 : 0,
    );
    flat = b.op('MatMul', [flat, b.tensor(exchange, ctx.dtype(w) || DataType.FLOAT, [taps, taps])]);
  }
  // [g·Mg, Cg, K] → [g·Cg, Mg, K]
  const swapped =
    group === 1
      ? b.op('Transpose', [flat], { perm: [1, 0, 2] })
      : b.op('Transpose', [b.op('Reshape', [flat, b.i64([group, m / group, cg, taps])])], { perm: [0, 2, 1, 3] });
  const flipped = b.op('Reshape', [swapped, b.i64([xs.c, m / group, ...kernel])]);
  return convTo(b, dy, out, flipped, kernel, { ...win, strides: kernel.map(() => 1), begin }, xs.spatial, group);
}
