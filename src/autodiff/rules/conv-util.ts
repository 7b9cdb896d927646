// Shared pieces of the convolution and pooling rules: window geometry as ONNX Runtime computes it,
// the weight gradient as an im2col GEMM, and the sum of per-window values back onto the input.
import { attrInt, attrInts, attrString } from '../../graph/ir.js';
import type { GraphBuilder } from '../builder.js';
import type { GradContext } from '../registry.js';

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each spatial axis, as the runtime applies it. */
  begin: number[];
  /** Padding after each spatial axis (a pooling divisor may count it). */
  end: number[];
}

/** Channels and spatial dims of an NC... value; all but the batch must be static. */
export function ncSpatial(ctx: GradContext, name: string): { c: number; spatial: number[] } {
  const dims = ctx.shape(name);
  const rest = dims.slice(1);
  if (dims.length < 3 || !rest.every((d): d is number => typeof d === 'number'))
    throw new Error(
      `needs static channel and spatial dimensions, got [${dims.map((d) => d ?? '?').join(', ')}] for ${name}`,
    );
  return { c: rest[0], spatial: rest.slice(1) };
}

export const dilated = (k: number, d: number): number => (k - 1) * d + 1;

/**
 * Strides, dilations and leading pads of a Conv or pooling node over the given input size. For SAME_*
 * ONNX Runtime sizes the padding from the undilated kernel and rounds in C++ integer arithmetic.
 */
export function readWindow(ctx: GradContext, kernel: number[], spatial: number[]): Window {
  const { node } = ctx;
  const r = kernel.length;
  const strides = attrInts(node, 'strides') ?? Array(r).fill(1);
  const dilations = attrInts(node, 'dilations') ?? Array(r).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const pads = attrInts(node, 'pads') ?? Array(2 * r).fill(0);
  if (autoPad === 'NOTSET') return { kernel, strides, dilations, begin: pads.slice(0, r), end: pads.slice(r) };
  if (autoPad === 'VALID') return { kernel, strides, dilations, begin: Array(r).fill(0), end: Array(r).fill(0) };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw new Error(`unknown auto_pad ${autoPad}`);
  const needed = spatial.map((size, k) => (Math.ceil(size / strides[k]) - 1) * strides[k] + kernel[k] - size);
  const begin = needed.map((p) => Math.trunc(autoPad === 'SAME_LOWER' ? (p + 1) / 2 : p / 2));
  // A kernel much smaller than the stride gives ONNX Runtime a negative leading pad (a crop).
  if (begin.some((p) => p < 0))
    throw new Error(`${autoPad} with a kernel smaller than the stride crops the input; its gradient is not supported`);
  return { kernel, strides, dilations, begin, end: needed.map((p, k) => p - begin[k]) };
}

/**
 * Throws where ONNX shape inference may give a pooling output another size than ONNX Runtime's kernel
 * computes (a ceil_mode window starting past the input, SAME_* with dilations or ceil_mode): constants
 * sized by the probed output would then clash with the inferred shapes when the model loads.
 */
export function checkPoolSize(ctx: GradContext, win: Window, spatial: number[], out: number[]): void {
  const autoPad = attrString(ctx.node, 'auto_pad', 'NOTSET');
  const ceil = attrInt(ctx.node, 'ceil_mode', 0) === 1;
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  const bad = spatial.some((size, i) => {
    const [s, dk] = [win.strides[i], dilated(win.kernel[i], win.dilations[i])];
    const sizes = [];
    if (same) {
      const residual = size % s;
      const total = Math.max(0, residual === 0 ? dk - s : dk - residual);
      sizes.push(Math.ceil(size / s), Math.ceil((size + total - dk) / s) + 1);
    } else {
      const span = size + win.begin[i] + win.end[i] - dk;
      sizes.push((ceil ? Math.ceil(span / s) : Math.trunc(span / s)) + 1);
    }
    return sizes.some((n) => n !== out[i]);
  });
  if (bad)
    throw new Error(
      `ONNX shape inference and ONNX Runtime may disagree on the output size [${out}] of this ${ctx.node.opType} ` +
        '(ceil_mode with a window starting past the input, or SAME_* padding with dilations or ceil_mode); ' +
        'its gradient is not supported',
    );
}

/**
 * Throws where a dilated SAME_* window reaches past the input end that ONNX Runtime's negative end
 * padding (a kernel smaller than the stride) cuts off: its kernels then drop taps in ways not modelled here.
 */
export function checkCroppedEnd(ctx: GradContext, win: Window, spatial: number[], out: number[]): void {
  const cut = spatial.some((size, i) => {
    const last = (out[i] - 1) * win.strides[i] - win.begin[i] + dilated(win.kernel[i], win.dilations[i]);
    return win.end[i] < 0 && last > size + win.end[i];
  });
  if (cut)
    throw new Error(
      `auto_pad ${attrString(ctx.node, 'auto_pad', 'NOTSET')} with dilations: a window runs past the input end ` +
        'that ONNX Runtime crops; its gradient is not supported',
    );
}

export function kernelOf(ctx: GradContext, fallback: number[]): number[] {
  return attrInts(ctx.node, 'kernel_shape') ?? fallback;
}

export function groupOf(ctx: GradContext): number {
  return attrInt(ctx.node, 'group', 1);
}

/** Slice in the form valid at the builder's opset. */
export function slice(b: GraphBuilder, x: string, starts: number[], ends: number[], axes: number[]): string {
  if (b.opset >= 10) return b.op('Slice', [x, b.i64(starts), b.i64(ends), b.i64(axes)]);
  return b.op('Slice', [x], { starts, ends, axes });
}

const iota = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** Row-major coordinates of flat index i in dims. */
function unravel(i: number, dims: number[]): number[] {
  const at = Array<number>(dims.length);
  for (let a = dims.length - 1; a >= 0; a--) {
    at[a] = i % dims[a];
    i = Math.floor(i / dims[a]);
  }
  return at;
}

/**
 * A convolution whose output has exactly `target` spatial size: the end padding is what the last
 * output position reads; where the input runs past it, no padding and a slice instead.
 */
export function convTo(
  b: GraphBuilder,
  input: string,
  inSpatial: number[],
  weight: string,
  extent: number[],
  win: Window,
  target: number[],
  group: number,
): string {
  const { strides, dilations, begin } = win;
  const r = target.length;
  const end = target.map((t, i) => (t - 1) * strides[i] + dilated(extent[i], dilations[i]) - inSpatial[i] - begin[i]);
  const y = b.op('Conv', [input, weight], {
    strides,
    dilations,
    pads: [...begin, ...end.map((e) => Math.max(0, e))],
    group: group === 1 ? undefined : group,
  });
  return end.some((e) => e < 0) ? slice(b, y, Array(r).fill(0), target, iota(r, 2)) : y;
}

/**
 * The weight gradient of y = conv(x, w): dW[m, c, k] = Σ_n Σ_o gy[n, m, o] · xpad[n, c, o·s + k·d] within
 * each group, as one GEMM per group over an im2col of x. The im2col is a single Gather of whole batch
 * rows from x laid out [C, position, N] (a zero row appended for taps in the padding) by a constant
 * [taps, O] table of input positions. Returns [M, C/g, k...].
 */
export function convWeightGrad(
  b: GraphBuilder,
  x: string,
  xShape: { c: number; spatial: number[] },
  gy: string,
  gyShape: { c: number; spatial: number[] },
  win: Window,
  group: number,
): string {
  const { kernel, dilations, begin } = win;
  let { strides } = win;
  const r = kernel.length;
  const out = gyShape.spatial;
  let size = xShape.spatial;
  const taps = kernel.reduce((p, q) => p * q, 1);
  const inside = out.every((o, i) => begin[i] === 0 && (o - 1) * strides[i] < size[i]);
  if (taps === 1 && b.opset >= 10 && inside && strides.some((s) => s !== 1)) {
    // A strided 1x1 kernel reads a subsample: take it before the transpose.
    x = b.op('Slice', [
      x,
      b.i64(Array(r).fill(0)),
      b.i64(out.map((o, i) => (o - 1) * strides[i] + 1)),
      b.i64(iota(r, 2)),
      b.i64(strides),
    ]);
    [size, strides] = [out, Array(r).fill(1)];
  }
  const positions = size.reduce((p, q) => p * q, 1);
  const points = out.reduce((p, q) => p * q, 1);
  const table: number[] = [];
  const outCoords = Array.from({ length: points }, (_, o) => unravel(o, out));
  for (let t = 0; t < taps; t++) {
    const k = unravel(t, kernel);
    for (const o of outCoords) {
      const at = o.map((p, i) => p * strides[i] + k[i] * dilations[i] - begin[i]);
      table.push(
        at.every((a, i) => a >= 0 && a < size[i]) ? at.reduce((acc, a, i) => acc * size[i] + a, 0) : positions,
      );
    }
  }
  const [cg, mg] = [xShape.c / group, gyShape.c / group];
  let rows = b.op('Reshape', [
    b.op('Transpose', [b.op('Reshape', [x, b.i64([-1, xShape.c, positions])])], { perm: [1, 2, 0] }),
    b.i64([xShape.c, positions, -1]),
  ]);
  if (table.includes(positions)) rows = pad(b, rows, [0, 0, 0, 0, 1, 0]);
  const col = b.op('Reshape', [
    b.op('Gather', [rows, b.i64(table, [taps, points])], { axis: 1 }),
    b.i64([group, cg * taps, -1]),
  ]);
  const dw = [group * mg, cg, ...kernel];
  if (GY_FIRST_ROWS * points <= cg * taps) {
    // Few output positions against many window rows (resnet18's layer4, 4x4): gy [g, Mg, O·N] times the
    // col transposed, which ONNX Runtime fuses into its GEMM (FusedMatMul): 22 against 28 ms at
    // [512, 1024] x [1024, 4608], the product already in dW's order.
    const gyr = b.op('Transpose', [b.op('Reshape', [gy, b.i64([-1, group, mg, points])])], { perm: [1, 2, 3, 0] });
    const rowsFirst = b.op('Reshape', [gyr, b.i64([group, mg, -1])]);
    const product = b.op('MatMul', [rowsFirst, b.op('Transpose', [col], { perm: [0, 2, 1] })]);
    return b.op('Reshape', [product, b.i64(dw)]);
  }
  // gy [N, g·Mg, O] → [g, O·N, Mg], rows in the col's column order (3-D transposes: ORT's fast ones).
  let gyt = b.op('Transpose', [b.op('Reshape', [gy, b.i64([-1, group * mg, points])])], { perm: [2, 0, 1] });
  if (group === 1) gyt = b.op('Reshape', [gyt, b.i64([1, -1, mg])]);
  else gyt = b.op('Transpose', [b.op('Reshape', [gyt, b.i64([-1, group, mg])])], { perm: [1, 0, 2] });
  const product = b.op('MatMul', [col, gyt]);
  return b.op('Reshape', [b.op('Transpose', [product], { perm: [0, 2, 1] }), b.i64(dw)]);
}

/**
 * The weight gradient's GEMM puts gy first where 128 examples' output positions are at most the col's
 * rows (C/g·taps): measured on 2 cores at batches 16 to 256, that order is faster for resnet18's layer4
 * (4x4 outputs, 2,304 and 4,608 rows) and slower for layers 1 to 3 (28x28 to 7x7).
 */
const GY_FIRST_ROWS = 128;

/** Zero padding in the form valid at the builder's opset (pads: all begins, then all ends). */
export function pad(b: GraphBuilder, x: string, pads: number[]): string {
  if (b.opset >= 11) return b.op('Pad', [x, b.i64(pads)]);
  return b.op('Pad', [x], { pads, mode: 'constant' });
}

/**
 * Sums per-window values back onto the input positions they came from (col2im): a ConvTranspose
 * with the window geometry, sized to the input exactly (the output padding where the windows stop
 * short of the end, the end padding cropping where they run past it).
 */
export function foldWindows(
  b: GraphBuilder,
  cols: string,
  weight: string,
  win: Window,
  inSpatial: number[],
  outSpatial: number[],
  group?: number,
): string {
  const { kernel, strides, dilations, begin } = win;
  const over = kernel.map(
    (k, i) => (outSpatial[i] - 1) * strides[i] + dilated(k, dilations[i]) - begin[i] - inSpatial[i],
  );
  return b.op('ConvTranspose', [cols, weight], {
    strides,
    dilations,
    pads: [...begin, ...over.map((e) => Math.max(0, e))],
    output_padding: over.some((e) => e < 0) ? over.map((e) => Math.max(0, -e)) : undefined,
    group: group && group !== 1 ? group : undefined,
  });
}
