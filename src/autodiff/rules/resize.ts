// Resize in 'nearest' and 'linear' mode is a linear map, separable over the axes: Y = M_H · X · M_Wᵀ per
// image for the last two axes, where M_axis [out, in] holds the interpolation weights ONNX Runtime uses
// (its coordinate transform and rounding, computed in float32 here). So dX = M_Hᵀ · dY · M_W, built as
// MatMuls by constant matrices: the resized axes must have static sizes and the scales or sizes must be
// constants. Linear mode here is PyTorch's interpolate(mode='bilinear'/'linear') backward:
// half_pixel/pytorch_half_pixel (align_corners=False) and align_corners (align_corners=True); nearest is
// PyTorch's interpolate(mode='nearest') backward (asymmetric, nearest_mode 'floor'). Cubic mode,
// antialias, tf_crop_and_resize (the only transform that reads roi) and keep_aspect_ratio_policy other
// than 'stretch' are refused: their weights are not reproduced here.
import { attrInt, attrInts, attrString, type Dim } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import { floatType } from './shape-util.js';

export interface ResizeMode {
  mode: string;
  /** coordinate_transformation_mode */
  ctm: string;
  nearestMode: string;
}

const f = Math.fround;

/** X coordinate of output position x, as ONNX Runtime computes it in float32 (upsamplebase.h). */
function originalCoordinate(ctm: string, x: number, scale: number, inLen: number, outLen: number): number {
  const s = f(scale);
  switch (ctm) {
    case 'half_pixel':
      return f(f(f(x + 0.5) / s) - 0.5);
    case 'pytorch_half_pixel':
      return outLen > 1 ? f(f(f(x + 0.5) / s) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return f(x / s);
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / s);
    case 'half_pixel_symmetric': {
      const adjustment = f(outLen / f(s * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(f(offset + f(f(x + 0.5) / s)) - 0.5);
    }
    default:
      throw new Error(`unknown coordinate_transformation_mode '${ctm}'`);
  }
}

/** C++ std::round: halves away from zero. */
const cppRound = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

function nearestPixel(v: number, nearestMode: string): number {
  switch (nearestMode) {
    case 'round_prefer_floor':
      return v === Math.trunc(v) + 0.5 ? Math.floor(v) : cppRound(v);
    case 'round_prefer_ceil':
      return cppRound(v);
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    default:
      throw new Error(`unknown nearest_mode '${nearestMode}'`);
  }
}

/** The [outLen, inLen] interpolation matrix (row-major) of one axis. */
export function interpolationMatrix(m: ResizeMode, inLen: number, outLen: number, scale: number): number[] {
  const out = Array<number>(outLen * inLen).fill(0);
  for (let x = 0; x < outLen; x++) {
    // ONNX Runtime leaves an axis of scale 1 as it is (the transforms give x there too, except
    // tf_half_pixel_for_nn, whose x + 0.5 nearest_mode 'ceil' would move).
    const c = f(scale) === 1 ? x : originalCoordinate(m.ctm, x, scale, inLen, outLen);
    if (m.mode === 'nearest') {
      const i = Math.min(Math.max(nearestPixel(c, m.nearestMode), 0), inLen - 1);
      out[x * inLen + i] = 1;
    } else {
      const v = Math.max(0, Math.min(c, inLen - 1));
      const i1 = Math.min(Math.trunc(v), inLen - 1);
      const i2 = Math.min(i1 + 1, inLen - 1);
      if (i1 === i2) out[x * inLen + i1] += 1;
      else {
        out[x * inLen + i1] += f(Math.abs(v - i2));
        out[x * inLen + i2] += f(Math.abs(v - i1));
      }
    }
  }
  return out;
}

/** Whether an axis's matrix is the identity. */
function isIdentity(mat: number[], n: number, outLen: number): boolean {
  return outLen === n && mat.every((v, k) => v === (Math.floor(k / n) === k % n ? 1 : 0));
}

/**
 * Per axis of X, the scale the coordinate transform uses: the given scale, or out/in (in float32) where
 * sizes are given; 1 for axes outside `axes` (opset 18).
 */
export function resizeScales(
  inDims: readonly Dim[],
  scales: number[] | undefined,
  sizes: number[] | undefined,
  axes: number[] | undefined,
): number[] {
  const rank = inDims.length;
  const list = (axes ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a));
  const full = Array<number>(rank).fill(1);
  const given = sizes && sizes.length ? sizes : scales;
  if (!given || given.length !== list.length)
    throw new Error(`Resize has ${given?.length ?? 0} scales or sizes for ${list.length} axes`);
  list.forEach((a, k) => {
    if (given === scales) full[a] = f(scales[k]);
    else {
      const d = inDims[a];
      // NaN: the scale of a run-time axis is unknown (the rule refuses it)
      full[a] = typeof d === 'number' ? f(sizes![k] / d) : NaN;
    }
  });
  return full;
}

function resizeGrad(ctx: GradContext, version: number): (string | null)[] {
  const { b, node } = ctx;
  const x = ctx.x(0);
  const inDims = ctx.shape(x);
  const outDims = ctx.shape(ctx.y(0));
  const rank = inDims.length;
  const m: ResizeMode = {
    mode: attrString(node, 'mode', 'nearest'),
    ctm: attrString(node, 'coordinate_transformation_mode', 'half_pixel'),
    nearestMode: attrString(node, 'nearest_mode', 'round_prefer_floor'),
  };
  if (m.mode !== 'nearest' && m.mode !== 'linear')
    throw new Error(`the gradient of Resize with mode '${m.mode}' is not supported (only 'nearest' and 'linear')`);
  const ctms = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
  if (version < 13) ctms.push('tf_half_pixel_for_nn');
  if (version >= 19) ctms.push('half_pixel_symmetric');
  if (!ctms.includes(m.ctm))
    throw new Error(
      `the gradient of Resize with coordinate_transformation_mode '${m.ctm}' is not supported at opset ` +
        `${ctx.opset} (supported: ${ctms.join(', ')})`,
    );
  if (version >= 18 && attrInt(node, 'antialias', 0) !== 0)
    throw new Error('the gradient of Resize with antialias 1 is not supported');
  const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (version >= 18 && policy !== 'stretch')
    throw new Error(`the gradient of Resize with keep_aspect_ratio_policy '${policy}' is not supported`);

  const constant = (i: number) => {
    const name = ctx.x(i);
    if (!name) return undefined;
    const v = ctx.constant(name);
    if (!v) throw new Error(`the gradient of Resize needs constant scales and sizes; input ${i} is computed`);
    return v;
  };
  const scales = constant(2);
  const sizes = constant(3);
  const axes = version >= 18 ? attrInts(node, 'axes') : undefined;
  const perAxis = resizeScales(inDims, scales, sizes, axes);

  const dy = ctx.dy(0)!;
  const dtype = floatType(ctx, x);
  let g = dy;
  for (let a = 0; a < rank; a++) {
    const [n, o] = [inDims[a], outDims[a]];
    if (typeof n !== 'number' || typeof o !== 'number') {
      // ONNX Runtime leaves a run-time axis of scale 1 as it is.
      if (perAxis[a] === 1) continue;
      throw new Error(`the gradient of Resize needs static sizes on resized axes; axis ${a} varies at run time`);
    }
    const mat = interpolationMatrix(m, n, o, perAxis[a]);
    if (isIdentity(mat, n, o)) continue;
    if (a === rank - 1) g = b.op('MatMul', [g, b.tensor(mat, dtype, [o, n])]);
    else if (a === rank - 2) {
      const t = Array.from({ length: n * o }, (_, k) => mat[(k % o) * n + Math.floor(k / o)]);
      g = b.op('MatMul', [b.tensor(t, dtype, [n, o]), g]);
    } else
      throw new Error(
        `the gradient of Resize covers resizing of the last two axes; axis ${a} of rank ${rank} is resized`,
      );
  }
  return [g, null, null, null];
}

/** Opset 11: X, roi, scales, sizes? (roi and scales present, possibly empty); tf_half_pixel_for_nn exists. */
export const resize11: GradRule = { opType: 'Resize', since: 11, grad: (ctx) => resizeGrad(ctx, 11) };
/** Opset 13: roi and scales optional; tf_half_pixel_for_nn removed. */
export const resize13: GradRule = { opType: 'Resize', since: 13, grad: (ctx) => resizeGrad(ctx, 13) };
/** Opset 18: axes, antialias and keep_aspect_ratio_policy. */
export const resize18: GradRule = { opType: 'Resize', since: 18, grad: (ctx) => resizeGrad(ctx, 18) };
/** Opset 19: coordinate_transformation_mode 'half_pixel_symmetric'. */
export const resize19: GradRule = { opType: 'Resize', since: 19, grad: (ctx) => resizeGrad(ctx, 19) };
