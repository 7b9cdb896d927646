// Shared by the shape and data-movement rules: opset-aware Pad/Slice forms, zeros of a run-time
// shape, scatter into flat element positions, and the rule of ops that only reshape.
import { DataType, elementBytes, type Attr, type Dim } from '../../graph/ir.js';
import type { GraphBuilder } from '../builder.js';
import type { GradContext, GradRule } from '../registry.js';

/** INT64_MIN is exact as a JS number (INT64_MAX is not): the end of a slice that runs down to index 0. */
export const INT64_MIN = -(2 ** 63);
/** An end past any dimension that survives the trip through a JS number; Slice clamps it. */
export const PAST_END = 2 ** 62;

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function staticDims(dims: readonly Dim[]): number[] | null {
  return dims.every((d) => typeof d === 'number') ? (dims as number[]) : null;
}

/** Shape of x as an int64 tensor: a constant where the probe found it static. */
export function shapeOf(b: GraphBuilder, x: string, dims: readonly Dim[]): string {
  const s = staticDims(dims);
  return s ? b.i64(s) : b.shapeOf(x);
}

/** Zeros of a float type, shaped by the 1-D int64 tensor `shape`. */
export function zerosOfShape(b: GraphBuilder, shape: string, dataType: number): string {
  const value: Attr = {
    type: 'tensor',
    t: { name: '', dataType, dims: [1], bytes: new Uint8Array(elementBytes(dataType)), location: { kind: 'typed' } },
  };
  return b.op('ConstantOfShape', [shape], { value });
}

/** Zeros shaped like x (any float width, unlike GraphBuilder.zerosLike), from a constant shape where static. */
export function zerosLike(b: GraphBuilder, x: string, dims: readonly Dim[], dataType: number): string {
  return zerosOfShape(b, shapeOf(b, x, dims), dataType);
}

/** Forward float type of a value, float32 when the probe did not say. */
export function floatType(ctx: GradContext, name: string): number {
  return ctx.dtype(name) || DataType.FLOAT;
}

/** Zero-filled Pad of x; pads maps an axis to its [before, after] (negative crops). */
export function padZeros(
  b: GraphBuilder,
  x: string,
  rank: number,
  pads: ReadonlyMap<number, readonly [number, number]>,
): string {
  const flat = Array<number>(2 * rank).fill(0);
  for (const [a, [before, after]] of pads) {
    flat[a] = before;
    flat[a + rank] = after;
  }
  if (flat.every((p) => p === 0)) return x;
  if (b.opset >= 11) return b.op('Pad', [x, b.i64(flat)]);
  if (b.opset >= 2) return b.op('Pad', [x], { pads: flat });
  return b.op('Pad', [x], { paddings: flat });
}

/** Slice with constant bounds, in the form of the opset (steps need opset 10). */
export function sliceConst(
  b: GraphBuilder,
  x: string,
  starts: number[],
  ends: number[],
  axes: number[],
  steps?: number[],
): string {
  const unit = !steps || steps.every((s) => s === 1);
  if (b.opset >= 10) {
    const inputs = [x, b.i64(starts), b.i64(ends), b.i64(axes)];
    if (!unit) inputs.push(b.i64(steps!));
    return b.op('Slice', inputs);
  }
  if (!unit) throw new Error(`a Slice with steps needs opset 10; the model is at opset ${b.opset}`);
  return b.op('Slice', [x], { starts, ends, axes });
}

/** An index tensor as int64 (ScatterND and Range-derived arithmetic want int64). */
export function asInt64(ctx: GradContext, name: string): string {
  const t = ctx.dtype(name);
  return t === DataType.INT64 || t === 0 ? name : ctx.b.op('Cast', [name], { to: DataType.INT64 });
}

/** 0..numel(x)-1 shaped like x: moving it as x moves tells where each element came from. */
export function flatIndices(b: GraphBuilder, x: string, dims: readonly Dim[]): string {
  if (b.opset < 11) throw new Error(`this gradient needs Range (opset 11); the model is at opset ${b.opset}`);
  const s = staticDims(dims);
  const n = s ? b.i64([s.reduce((p, q) => p * q, 1)], []) : b.op('Size', [x]);
  const range = b.op('Range', [b.i64([0], []), n, b.i64([1], [])]);
  return b.op('Reshape', [range, shapeOf(b, x, dims)]);
}

/**
 * Zeros shaped like x with dy written (or, with `add`, accumulated) at the flat positions idx,
 * where idx is shaped like dy and holds values from flatIndices(x).
 */
export function scatterFlat(
  b: GraphBuilder,
  x: string,
  dims: readonly Dim[],
  idx: string,
  dy: string,
  dataType: number,
  add: boolean,
): string {
  if (add && b.opset < 16)
    throw new Error(
      `accumulating scatter (ScatterElements reduction='add') needs opset 16; the model is at opset ${b.opset}`,
    );
  const flat = b.i64([-1]);
  const s = staticDims(dims);
  const n = s ? b.i64([s.reduce((p, q) => p * q, 1)]) : b.op('Reshape', [b.op('Size', [x]), b.i64([1])]);
  const zeros = zerosOfShape(b, n, dataType);
  const scattered = b.op('ScatterElements', [zeros, b.op('Reshape', [idx, flat]), b.op('Reshape', [dy, flat])], {
    axis: 0,
    reduction: add ? 'add' : undefined,
  });
  return b.op('Reshape', [scattered, shapeOf(b, x, dims)]);
}

/** Values of an optional int input, or [] for an absent one, or undefined when computed at run time. */
export function constInput(ctx: GradContext, i: number): number[] | undefined {
  const name = ctx.x(i);
  return name ? ctx.constant(name) : [];
}

/** The rule of an op that only changes the shape (Reshape, Flatten, Squeeze, ...): dX is dY in X's shape. */
export function reshapeBack(opType: string, since: number): GradRule {
  return {
    opType,
    since,
    grad(ctx) {
      const x = ctx.x(0);
      const shape = ctx.shape(x);
      const target = shape.every((d) => typeof d === 'number') ? ctx.b.i64(shape as number[]) : ctx.b.shapeOf(x);
      return [ctx.b.op('Reshape', [ctx.dy(0)!, target])];
    },
  };
}

/**
 * The `reduction` of the scatter that undoes a gather: none where the indices are known to be
 * distinct, else 'add' (repeats sum), which ScatterND/ScatterElements take from opset 16: the builder is
 * asked for it (builder.ts need; artifact.ts raises the artifact's opset where the model allows).
 * `op` and `scatter` name the gather and the scatter for the message; `runtime` whether the indices are computed.
 */
export function scatterReduction(
  ctx: GradContext,
  distinct: boolean,
  op: string,
  scatter: string,
  runtime: boolean,
): 'add' | undefined {
  if (distinct) return undefined;
  // Opset of the artifact (ctx.b), not the model's
  ctx.b.need(
    16,
    `gradient of ${op} node ${ctx.node.name || ctx.node.outputs[0]}: the gradient of ${op} with ` +
      `${runtime ? 'run-time' : 'repeated'} indices sums the repeats with ${scatter} reduction='add'`,
  );
  return 'add';
}
