// dX is dY put back where the slice took it from, zeros elsewhere.
import { attrInts } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import {
  asInt64,
  constInput,
  flatIndices,
  floatType,
  INT64_MIN,
  normAxis,
  padZeros,
  scatterFlat,
  sliceConst,
  staticDims,
  zerosLike,
} from './shape-util.js';

/** Opset 1-9: bounds are attributes, steps are 1. */
export const slice1: GradRule = {
  opType: 'Slice',
  since: 1,
  grad(ctx) {
    const starts = attrInts(ctx.node, 'starts') ?? [];
    const ends = attrInts(ctx.node, 'ends') ?? [];
    const rank = ctx.shape(ctx.x(0)).length;
    const axes = (attrInts(ctx.node, 'axes') ?? starts.map((_, k) => k)).map((a) => normAxis(a, rank));
    const g = staticGrad(
      ctx,
      starts,
      ends,
      axes,
      starts.map(() => 1),
    );
    if (!g)
      throw new Error(
        `Slice over an axis of run-time size needs opset 11 for its gradient; the model is at opset ${ctx.opset}`,
      );
    return [g];
  },
};

/** Opset 10+: starts, ends, axes?, steps? are inputs, constant or computed. */
export const slice10: GradRule = {
  opType: 'Slice',
  since: 10,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const dims = ctx.shape(x);
    const rank = dims.length;
    const starts = ctx.constant(ctx.x(1));
    const ends = ctx.constant(ctx.x(2));
    const axesIn = constInput(ctx, 3);
    const stepsIn = constInput(ctx, 4);
    const n = starts?.length ?? ends?.length ?? ctx.shape(ctx.x(1))[0];
    if (typeof n !== 'number') throw new Error('Slice starts of unknown length');
    const axes = axesIn && (axesIn.length ? axesIn.map((a) => normAxis(a, rank)) : [...Array(n).keys()]);
    const steps = stepsIn && (stepsIn.length ? stepsIn : Array<number>(n).fill(1));

    if (starts && ends && axes && steps) {
      const g = staticGrad(ctx, starts, ends, axes, steps);
      if (g) return [g];
    }
    if (ctx.opset < 11)
      throw new Error(
        `a Slice with run-time bounds or sizes needs opset 11 for its gradient; the model is at opset ${ctx.opset}`,
      );
    if (steps && steps.every((s) => s === 1)) return [runtimePad(ctx, axes)];
    // Steps known only at run time: slice the element positions the same way and scatter dY there.
    const positions = b.op('Slice', [flatIndices(b, x, dims), ...node.inputs.slice(1)]);
    return [scatterFlat(b, x, dims, positions, ctx.dy(0)!, floatType(ctx, x), false)];
  },
};

/**
 * Constant bounds over axes of static size: reverse the negative-step axes, spread the strided
 * axes with zeros (Unsqueeze, Concat, Reshape), then one zero Pad to X's extent. Null when an
 * axis the construction needs has a run-time size.
 */
function staticGrad(
  ctx: GradContext,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[],
): string | null {
  const { b } = ctx;
  const x = ctx.x(0);
  const dims = ctx.shape(x);
  const rank = dims.length;
  const cur = [...dims];
  const spans: { axis: number; dim: number; lo: number; count: number; stride: number }[] = [];
  for (let k = 0; k < axes.length; k++) {
    const a = axes[k];
    const d = dims[a];
    if (typeof d !== 'number') return null;
    const t = steps[k];
    if (t === 0) throw new Error('Slice step 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const s = t > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], 0, d - 1);
    const e = t > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1);
    const count = Math.max(0, Math.ceil((e - s) / t));
    if (count === 0) return zerosLike(b, x, dims, floatType(ctx, x));
    const stride = Math.abs(t);
    spans.push({ axis: a, dim: d, lo: t > 0 ? s : s + (count - 1) * t, count, stride });
    cur[a] = count;
  }
  // Spreading an axis reshapes: every axis after it needs a static size.
  for (const sp of spans) if (sp.stride > 1 && !staticDims(cur.slice(sp.axis + 1))) return null;

  let g = ctx.dy(0)!;
  const reversed = axes.filter((_, k) => steps[k] < 0);
  if (reversed.length)
    g = sliceConst(
      b,
      g,
      reversed.map(() => -1),
      reversed.map(() => INT64_MIN),
      reversed,
      reversed.map(() => -1),
    );
  const pads = new Map<number, [number, number]>();
  for (const { axis, dim, lo, count, stride } of spans) {
    let len = count;
    if (stride > 1) {
      len = count * stride;
      // Concat with zeros, not Pad: ORT pads a size-1 inner axis element by element.
      const u = b.unsqueeze(g, [axis + 1]);
      const z = zerosLike(b, u, [...cur.slice(0, axis + 1), 1, ...cur.slice(axis + 1)], floatType(ctx, x));
      g = b.op('Concat', [u, ...Array<string>(stride - 1).fill(z)], { axis: axis + 1 });
      g = b.op('Reshape', [g, b.i64([...Array<number>(axis).fill(0), len, ...(cur.slice(axis + 1) as number[])])]);
      cur[axis] = len;
    }
    pads.set(axis, [lo, dim - lo - len]);
  }
  return padZeros(b, g, rank, pads);
}

/** Unit steps, bounds or sizes known at run time: the zero pads are computed in the graph. */
function runtimePad(ctx: GradContext, axes: number[] | undefined): string {
  const { b } = ctx;
  const x = ctx.x(0);
  const rank = ctx.shape(x).length;
  const zero = b.i64([0], []);
  const where = (cond: string, p: string, q: string) => b.op('Where', [cond, p, q]);
  const less = (p: string, q: string) => b.op('Less', [p, q]);
  let axesT: string;
  if (axes) axesT = b.i64(axes);
  else {
    const a = asInt64(ctx, ctx.x(3));
    axesT = where(less(a, zero), b.op('Add', [a, b.i64([rank], [])]), a);
  }
  const dimsAt = axes?.map((a) => ctx.shape(x)[a]);
  const dimsT = dimsAt && staticDims(dimsAt) ? b.i64(dimsAt as number[]) : b.op('Gather', [b.shapeOf(x), axesT]);
  const clamp = (v: string) => {
    v = where(less(v, zero), b.op('Add', [v, dimsT]), v);
    v = where(less(v, zero), zero, v);
    return where(less(dimsT, v), dimsT, v);
  };
  const bound = (i: number) => {
    const c = ctx.constant(ctx.x(i));
    return c ? b.i64(c.map((v) => Math.max(Math.min(v, 2 ** 62), -(2 ** 62)))) : asInt64(ctx, ctx.x(i));
  };
  const s = clamp(bound(1));
  let e = clamp(bound(2));
  e = where(less(e, s), s, e);
  const before = s;
  const after = b.op('Sub', [dimsT, e]);
  const dy = ctx.dy(0)!;
  if (b.opset >= 18) return b.op('Pad', [dy, b.op('Concat', [before, after], { axis: 0 }), '', axesT]);
  const at = b.op('Concat', [axesT, b.op('Add', [axesT, b.i64([rank], [])])], { axis: 0 });
  const pads = b.op(
    'ScatterElements',
    [b.i64(Array<number>(2 * rank).fill(0)), at, b.op('Concat', [before, after], { axis: 0 })],
    { axis: 0 },
  );
  return b.op('Pad', [dy, pads]);
}
