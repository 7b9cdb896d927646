// Shared by the softmax and reduction rules of the normalisation batch.
import { attrInt, attrInts, DataType } from '../../graph/ir.js';
import type { GradContext } from '../registry.js';

/** Non-negative, sorted axes. */
export function normAxes(axes: readonly number[], rank: number): number[] {
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/**
 * The axes a Softmax/LogSoftmax node normalises over. Before opset 13 the input is coerced
 * to 2-D at `axis` (default 1), so the softmax runs over all of axis..rank-1; from 13 it
 * runs over the one axis (default -1).
 */
export function softmaxAxes(ctx: GradContext, coerced: boolean): number[] {
  const rank = ctx.shape(ctx.x(0)).length;
  const axis = attrInt(ctx.node, 'axis', coerced ? 1 : -1);
  const a = axis < 0 ? axis + rank : axis;
  return coerced ? Array.from({ length: rank - a }, (_, k) => a + k) : [a];
}

/**
 * Gradient of ReduceSum/ReduceMean: dY put back on the reduced axes, scaled by 1/count for the
 * mean, broadcast to X's shape. `axesAsInput` is the form where axes is the optional input 1
 * (with noop_with_empty_axes).
 */
export function reduceBack(ctx: GradContext, mean: boolean, axesAsInput: boolean): string {
  const { b, node } = ctx;
  const x = ctx.x(0);
  const y = ctx.y(0);
  const xs = ctx.shape(x);
  const rank = xs.length;
  const keepdims = attrInt(node, 'keepdims', 1) === 1;
  let g = ctx.dy(0)!;

  let axes: number[] | undefined; // undefined: only known at run time
  if (axesAsInput) {
    const input = ctx.x(1);
    axes = input ? ctx.constant(input) : [];
    if (axes && axes.length === 0 && attrInt(node, 'noop_with_empty_axes', 0) === 1) return g;
  } else axes = attrInts(node, 'axes') ?? [];
  if (axes && axes.length === 0) axes = [...Array(rank).keys()];
  if (axes) axes = normAxes(axes, rank);

  if (mean) {
    const dt = ctx.dtype(y) || DataType.FLOAT;
    const dims = axes?.map((a) => xs[a]);
    if (dims && dims.every((d) => typeof d === 'number')) {
      const count = (dims as number[]).reduce((p, q) => p * q, 1);
      if (count !== 1) g = b.op('Mul', [g, b.scalar(1 / count, dt)]);
    } else {
      // count = |X| / |Y|, whichever dims are dynamic
      const size = (v: string) => b.op('Cast', [b.op('Size', [v])], { to: dt });
      g = b.op('Div', [g, b.op('Div', [size(x), size(y)])]);
    }
  }

  // Without keepdims, dY lacks the reduced axes; Unsqueeze takes them relative to X's rank.
  if (!keepdims) {
    if (axes === undefined) g = b.op('Unsqueeze', [g, ctx.x(1)]);
    else if (axes.length < rank) g = b.unsqueeze(g, axes);
    // all axes reduced: dY is a scalar, which Expand broadcasts as is
  }
  const target = xs.every((d) => typeof d === 'number') ? b.i64(xs as number[]) : b.shapeOf(x);
  return b.op('Expand', [g, target]);
}
