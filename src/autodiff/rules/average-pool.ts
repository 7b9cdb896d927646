// AveragePool: Y[o] = Σ of the window's input elements / divisor[o]. The divisor depends only on the
// static geometry, so dX is a ConvTranspose of dY/divisor with a kernel of ones.
import { attrInt, DataType } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import {
  checkCroppedEnd,
  checkPoolSize,
  foldWindows,
  kernelOf,
  ncSpatial,
  readWindow,
  type Window,
} from './conv-util.js';

export const averagePool: GradRule = {
  opType: 'AveragePool',
  since: 7,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const dtype = ctx.dtype(x) || DataType.FLOAT;
    const xs = ncSpatial(ctx, x);
    const out = ncSpatial(ctx, ctx.y(0)).spatial;
    // No window fits (the kernel spans more than the padded input): Y is empty, no gradient flows.
    if (out.includes(0)) return [null];
    const win = readWindow(ctx, kernelOf(ctx, []), xs.spatial);
    checkPoolSize(ctx, win, xs.spatial, out);
    checkCroppedEnd(ctx, win, xs.spatial, out);
    const includePad = attrInt(node, 'count_include_pad', 0) === 1;
    // ONNX Runtime clips a window at the end padding in its ceil_mode and opset-19 kernels; its
    // other kernel (MLAS) divides by the whole kernel even where the window runs past the padding.
    const clip = ctx.opset >= 19 || attrInt(node, 'ceil_mode', 0) === 1;
    const scale = inverseDivisor(win, xs.spatial, out, includePad ? (clip ? 'clipped' : 'kernel') : 'valid');
    const cols = b.op('Mul', [ctx.dy(0)!, b.tensor(scale, dtype, [1, 1, ...out])]);
    // Every image channel becomes its own batch item, so that one small ones kernel serves all.
    const batched = b.op('Reshape', [cols, b.i64([-1, 1, ...out])]);
    const ones = b.scalar(1, dtype, [1, 1, ...win.kernel]);
    const folded = foldWindows(b, batched, ones, win, xs.spatial, out);
    return [b.op('Reshape', [folded, b.i64([-1, xs.c, ...xs.spatial])])];
  },
};

/**
 * 1/divisor per output position, row-major over the output's spatial dims: the window's taps inside
 * the input ('valid'), inside the padded input ('clipped'), or all of them ('kernel').
 */
function inverseDivisor(
  win: Window,
  spatial: number[],
  out: number[],
  count: 'valid' | 'clipped' | 'kernel',
): number[] {
  const perAxis = out.map((n, i) =>
    Array.from({ length: n }, (_, o) => {
      const start = o * win.strides[i] - win.begin[i];
      let taps = 0;
      for (let a = 0; a < win.kernel[i]; a++) {
        const p = start + a * win.dilations[i];
        if (count === 'kernel' || (count === 'clipped' ? p < spatial[i] + win.end[i] : p >= 0 && p < spatial[i]))
          taps++;
      }
      return taps;
    }),
  );
  let counts = [1];
  for (const axis of perAxis) counts = counts.flatMap((c) => axis.map((a) => c * a));
  return counts.map((c) => (c === 0 ? 0 : 1 / c));
}
