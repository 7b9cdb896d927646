// Shared by the reduction and selection rules (ReduceMax/Min/L1/L2/LogSumExp/SumSquare/Prod, Max, Min):
// which axes a Reduce* node reduces, dY and Y put back on them, sums over them, and the tie-sharing
// mask of the max/min ops.
import { attrInt, attrInts } from '../../graph/ir.js';
import type { GradContext } from '../registry.js';
import { normAxes } from './norm-util.js';
import { floatType } from './shape-util.js';

/** The reduced axes of a Reduce* node, seen from its gradient. */
export interface Reduction {
  /** The node reduces nothing (empty axes with noop_with_empty_axes = 1). */
  readonly noop: boolean;
  /** A value shaped like Y with the reduced axes put back (as 1s) where keepdims = 0: it broadcasts against X. */
  restore(v: string): string;
  /** `op` (ReduceSum, ReduceProd, ...) of v, shaped like X, over the reduced axes, keeping them. */
  keep(op: string, v: string): string;
}

/**
 * The reduction of a Reduce* node. `axesAsInput`: the form where axes is the optional input 1 (opset 18
 * of most Reduce* ops, 13 of ReduceSum), with noop_with_empty_axes; before, the axes attribute.
 */
export function reduction(ctx: GradContext, axesAsInput: boolean): Reduction {
  const { b, node } = ctx;
  const rank = ctx.shape(ctx.x(0)).length;
  const keepdims = attrInt(node, 'keepdims', 1) === 1;
  const noopAttr = attrInt(node, 'noop_with_empty_axes', 0);
  let axes: number[] | undefined; // undefined: computed at run time, input 1
  if (axesAsInput) {
    const input = ctx.x(1);
    axes = input ? ctx.constant(input) : [];
    if (axes && axes.length === 0 && noopAttr === 1) return { noop: true, restore: (v) => v, keep: (_, v) => v };
  } else axes = attrInts(node, 'axes') ?? [];
  if (axes && axes.length === 0) axes = [...Array(rank).keys()];
  if (axes) axes = normAxes(axes, rank);
  const runtime = ctx.x(1);
  const fixed = axes;
  return {
    noop: false,
    restore(v) {
      if (keepdims) return v;
      if (fixed === undefined) return b.op('Unsqueeze', [v, runtime]);
      // all axes reduced: v is a scalar, which broadcasts as is
      return fixed.length < rank ? b.unsqueeze(v, fixed) : v;
    },
    keep(op, v) {
      const asInput = op === 'ReduceSum' ? b.opset >= 13 : b.opset >= 18;
      // run-time axes, empty ones included: reduced (or not) as the node reduces them
      if (fixed === undefined) return b.op(op, [v, runtime], { keepdims: 1, noop_with_empty_axes: noopAttr });
      if (asInput) return b.op(op, [v, b.i64(fixed)], { keepdims: 1 });
      return b.op(op, [v], { axes: fixed, keepdims: 1 });
    },
  };
}

/** Equal on floats needs opset 11 (Equal-7 compares integers and booleans only). */
export function needFloatEqual(ctx: GradContext): void {
  ctx.b.need(11, `gradient of ${ctx.node.opType} node ${ctx.node.name || ctx.node.outputs[0]}: Equal on floats`);
}

/**
 * Gradient of ReduceMax/ReduceMin: dX = dY·[X = Y] / (number of elements equal to Y in X's reduced
 * slice), ties sharing dY evenly.
 */
export function extremumBack(ctx: GradContext, axesAsInput: boolean): string {
  const { b } = ctx;
  const r = reduction(ctx, axesAsInput);
  const dy = ctx.dy(0)!;
  if (r.noop) return dy;
  needFloatEqual(ctx);
  const x = ctx.x(0);
  const dt = floatType(ctx, x);
  const mask = b.op('Equal', [x, r.restore(ctx.y(0))]);
  const count = r.keep('ReduceSum', b.op('Cast', [mask], { to: dt }));
  return b.op('Where', [mask, b.op('Div', [r.restore(dy), count]), b.scalar(0, dt)]);
}

/**
 * Gradient of variadic Max/Min, in Y's shape (the rules declare `broadcast`): input i takes
 * dY·[X_i = Y] / (number of inputs equal to Y there), ties sharing dY evenly.
 */
export function variadicExtremumBack(ctx: GradContext): (string | null)[] {
  const { b, node } = ctx;
  const y = ctx.y(0);
  const dy = ctx.dy(0)!;
  const n = node.inputs.length;
  if (n === 1) return [ctx.needs(0) ? dy : null];
  needFloatEqual(ctx);
  const dt = floatType(ctx, y);
  const masks = node.inputs.map((x) => b.op('Equal', [x, y]));
  const counts = masks.map((m) => b.op('Cast', [m], { to: dt }));
  const share = b.op('Div', [dy, b.op('Sum', counts)]);
  const zero = b.scalar(0, dt);
  return masks.map((m, i) => (ctx.needs(i) ? b.op('Where', [m, share, zero]) : null));
}
