// MaxPool: the gradient flows to the element each window picked, as the Indices output of a
// recomputed MaxPool names it (flat over the whole NC... tensor, row-major with storage_order 0). The
// artifact then lets the forward MaxPool give those Indices where it can (artifact.ts shareRecomputedPools).
import { DataType } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import { checkPoolSize, dilated, foldWindows, kernelOf, ncSpatial, readWindow, type Window } from './conv-util.js';

export const maxPool: GradRule = {
  opType: 'MaxPool',
  since: 8,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const xs = ncSpatial(ctx, x);
    const ys = ncSpatial(ctx, ctx.y(0));
    // No window fits (the kernel spans more than the padded input): Y is empty, no gradient flows.
    if (ys.spatial.includes(0)) return [null];
    const win = readWindow(ctx, kernelOf(ctx, []), xs.spatial);
    const dy = ctx.dy(0)!;
    const indices = b.emit('MaxPool', [x], { ...node.attrs, storage_order: undefined }, 2)[1];
    const overlap = win.kernel.some((k, i) => win.strides[i] < dilated(k, win.dilations[i]));
    if (!overlap && ctx.opset >= 9) {
      // Disjoint windows pick distinct elements: MaxUnpool places dY there (faster than ScatterElements).
      // Its pads only keep the size it infers within the input's (ORT checks; each below the kernel).
      const over = win.kernel.map((k, i) => Math.max(0, (ys.spatial[i] - 1) * win.strides[i] + k - xs.spatial[i]));
      const end = over.map((t, i) => Math.min(t, win.kernel[i] - 1));
      const pads = [...over.map((t, i) => t - end[i]), ...end];
      return [b.op('MaxUnpool', [dy, indices, b.shapeOf(x)], { kernel_shape: win.kernel, strides: win.strides, pads })];
    }
    if (ctx.opset >= 16) {
      const flat = b.i64([-1]);
      const zeros = b.op('Reshape', [b.zerosLike(x, ctx.dtype(x)), flat]);
      const scattered = b.op(
        'ScatterElements',
        [zeros, b.op('Reshape', [indices, flat]), b.op('Reshape', [dy, flat])],
        { axis: 0, reduction: 'add' },
      );
      return [b.op('Reshape', [scattered, b.i64([-1, xs.c, ...xs.spatial])])];
    }
    checkPoolSize(ctx, win, xs.spatial, ys.spatial);
    return [foldArgmax(ctx, indices, dy, win, xs.c, xs.spatial, ys.spatial)];
  },
};

/**
 * Overlapping windows without ScatterElements' add (opset < 16), or opset 8: a one-hot over each window's
 * positions marks the picked one, and a ConvTranspose with a one-hot kernel sums the windows back
 * onto the input (overlaps add up), all with ops of opset 8.
 */
function foldArgmax(
  ctx: GradContext,
  indices: string,
  dy: string,
  win: Window,
  c: number,
  spatial: number[],
  out: number[],
): string {
  const { b } = ctx;
  const dtype = ctx.dtype(ctx.x(0)) || DataType.FLOAT;
  const { kernel, strides, dilations, begin } = win;
  const r = spatial.length;
  const int = (v: number) => b.i64([v], []);
  const sub = (p: string, q: string) => b.op('Sub', [p, q]);
  const mul = (p: string, q: string) => b.op('Mul', [p, q]);
  const div = (p: string, q: string) => b.op('Div', [p, q]);
  // Position inside the image, then per axis, then the offset inside the window.
  const plane = spatial.reduce((p, q) => p * q, 1);
  let rest = sub(indices, mul(div(indices, int(plane)), int(plane)));
  let local: string | null = null;
  let kStride = kernel.reduce((p, q) => p * q, 1);
  for (let i = 0; i < r; i++) {
    const step = spatial.slice(i + 1).reduce((p, q) => p * q, 1);
    const coord = i === r - 1 ? rest : div(rest, int(step));
    if (i < r - 1) rest = sub(rest, mul(coord, int(step)));
    const starts = Array.from({ length: out[i] }, (_, o) => o * strides[i] - begin[i]);
    const axisShape = Array.from({ length: r + 2 }, (_, a) => (a === i + 2 ? out[i] : 1));
    let offset = sub(coord, b.i64(starts, axisShape));
    if (dilations[i] !== 1) offset = div(offset, int(dilations[i]));
    kStride /= kernel[i];
    const term = kStride === 1 ? offset : mul(offset, int(kStride));
    local = local ? b.op('Add', [local, term]) : term;
  }
  const k = kernel.reduce((p, q) => p * q, 1);
  const positions = b.i64(Array.from({ length: k }, (_, j) => j));
  const oneHot = b.op('Cast', [b.op('Equal', [b.unsqueeze(local!, [r + 2]), positions])], { to: dtype });
  const cols = mul(oneHot, b.unsqueeze(dy, [r + 2]));
  // [N, C, O..., K] → [N·C, K, O...]: every image channel becomes its own batch item.
  const perm = [0, 1, r + 2, ...Array.from({ length: r }, (_, a) => a + 2)];
  const batched = b.op('Reshape', [b.op('Transpose', [cols], { perm }), b.i64([-1, k, ...out])]);
  const eye = Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? 1 : 0));
  const weight = b.tensor(eye, dtype, [k, 1, ...kernel]);
  const folded = foldWindows(b, batched, weight, win, spatial, out);
  return b.op('Reshape', [folded, b.i64([-1, c, ...spatial])]);
}
