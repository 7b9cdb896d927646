// From stored example values to the model's input: shape matching, dtype, pixel scaling.
import { BadInputError } from '../core/errors.js';
import { DataType, DTYPE_NAMES } from '../graph/ir.js';
import type { TensorData } from '../core/tensor.js';

/** The model input a dataset feeds: ONNX element type and dims (dim 0 the batch axis). */
export interface InputSpec {
  dtype: number;
  dims: readonly (number | string | null)[];
  /** For token ids: the rows of the embedding table they index (valid ids 0 … idRows − 1). */
  idRows?: number;
}

/**
 * Why an example's integer values do not fit the embedding table of `rows` rows (the first one out of
 * range, as 'id V at element K'), or undefined where they all do.
 */
export function idOutOfRange(values: ArrayLike<number | bigint>, rows: number | undefined): string | undefined {
  if (rows === undefined) return undefined;
  for (let k = 0; k < values.length; k++) {
    const v = Number(values[k]);
    if (!(v >= 0 && v < rows))
      return `id ${v} at element ${k} is outside the model's embedding table of ${rows} rows (ids 0 to ${rows - 1})`;
  }
  return undefined;
}

/** How stored values become model values: 'pixel' = 8-bit values scaled by 1/255 then normalised. */
export type Encoding = 'pixel' | 'number';

export type Values =
  Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array | readonly number[];

export const SUPPORTED_DTYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32];

export function isFloatInput(dtype: number): boolean {
  return dtype === DataType.FLOAT || dtype === DataType.DOUBLE;
}

export function allocate(dtype: number, n: number): TensorData {
  switch (dtype) {
    case DataType.FLOAT:
      return new Float32Array(n);
    case DataType.DOUBLE:
      return new Float64Array(n);
    case DataType.INT64:
      return new BigInt64Array(n);
    case DataType.INT32:
      return new Int32Array(n);
  }
  throw new BadInputError(
    `the model's input takes ${DTYPE_NAMES[dtype] ?? `type ${dtype}`}; ` +
      `scrub's data readers feed float32, float64, int64 or int32 inputs.`,
  );
}

const fixed = (d: number | string | null): d is number => typeof d === 'number' && d > 0;

export function showDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (fixed(d) ? d : typeof d === 'string' && d ? d : '?')).join(',')}]`;
}

/**
 * The per-example dims fed to the model for examples stored with `shape`. Fixed model dims must
 * hold the same number of values (a reshape, e.g. IDX [28,28] into [1,28,28] or [784]); symbolic
 * ones take the stored extent.
 */
export function fitExample(shape: readonly number[], input: InputSpec, where: string): number[] {
  const model = input.dims.slice(1);
  if (input.dims.length === 0)
    throw new BadInputError(`the model's input is a scalar; it cannot take batches of examples.`);
  const have = shape.reduce((a, b) => a * b, 1);
  const fail = (why: string): never => {
    throw new BadInputError(
      `${where}: each example has shape [${shape}] (${have} values), ` +
        `which cannot fit the model's input ${showDims(input.dims)}: ${why}.`,
    );
  };
  const open = model.filter((d) => !fixed(d)).length;
  if (open === 0) {
    const want = (model as number[]).reduce((a, b) => a * b, 1);
    if (want !== have) fail(`it takes ${want} values per example`);
    return model as number[];
  }
  if (model.length === shape.length) {
    return model.map((d, i) => {
      if (fixed(d) && d !== shape[i]) fail(`axis ${i + 1} must be ${d}, not ${shape[i]}`);
      return fixed(d) ? d : shape[i];
    });
  }
  if (open === 1) {
    const known = model.filter(fixed).reduce((a, b) => a * b, 1);
    if (have % known !== 0) fail(`${have} is not a multiple of ${known}`);
    return model.map((d) => (fixed(d) ? d : have / known));
  }
  return fail(`its rank differs and more than one axis is symbolic`);
}

/** Channels of an image-shaped per-example dims: [C,H,W] (channels first) or [H,W,C]. */
export interface Geometry {
  layout: 'chw' | 'hwc';
  c: number;
  h: number;
  w: number;
}

export function imageGeometry(example: readonly number[]): Geometry | undefined {
  if (example.length !== 3) return undefined;
  const [a, b, c] = example;
  if (a === 1 || a === 3) return { layout: 'chw', c: a, h: b, w: c };
  if (c === 1 || c === 3) return { layout: 'hwc', c, h: a, w: b };
  return undefined;
}

export interface Normalisation {
  mean?: readonly number[];
  std?: readonly number[];
}

/**
 * An example holding NaN or ±Infinity is bad input: a loss or gradient from it is meaningless.
 * `what()` names the example in the error (called only for a bad one).
 */
export function nonFinite(values: Values, what: () => string): { error: string } | undefined {
  if (values instanceof BigInt64Array) return undefined;
  for (let k = 0; k < values.length; k++)
    if (!Number.isFinite(values[k]))
      return { error: `${what()} has a non-finite value (${values[k]}) at element ${k}` };
  return undefined;
}

/**
 * Whether two pixel normalisations give the same values: per channel, a single value standing for
 * every channel (as the pixel writer reads it).
 */
export function sameNormalisation(a: Required<Normalisation>, b: Required<Normalisation>): boolean {
  const n = Math.max(a.mean.length, a.std.length, b.mean.length, b.std.length);
  const at = (v: readonly number[], c: number) => v[v.length === 1 ? 0 : c];
  for (let c = 0; c < n; c++) if (at(a.mean, c) !== at(b.mean, c) || at(a.std, c) !== at(b.std, c)) return false;
  return true;
}

/** "mean 0.286, std 0.353" (channel values joined by commas). */
export function describeNormalisation(n: Required<Normalisation>): string {
  return `mean ${n.mean.join(',')}, std ${n.std.join(',')}`;
}

/** Writes one example's stored values into a batch buffer at `offset`, converting as the model needs. */
export type Writer = (values: Values, out: TensorData, offset: number) => void;

export function makeWriter(
  dtype: number,
  example: readonly number[],
  encoding: Encoding,
  norm: Normalisation,
  where: string,
): Writer {
  allocate(dtype, 0);
  if (encoding === 'pixel' && isFloatInput(dtype)) return pixelWriter(dtype, example, norm, where);
  if (isFloatInput(dtype))
    return (v, out, off) => {
      const o = out as Float32Array | Float64Array;
      if (v instanceof BigInt64Array) for (let i = 0; i < v.length; i++) o[off + i] = Number(v[i]);
      else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) o[off + i] = v[i];
      else o.set(v as Float32Array, off);
    };
  if (dtype === DataType.INT64)
    return (v, out, off) => {
      const o = out as BigInt64Array;
      if (v instanceof BigInt64Array) o.set(v, off);
      else for (let i = 0; i < v.length; i++) o[off + i] = BigInt(v[i] as number);
    };
  return (v, out, off) => {
    const o = out as Int32Array;
    for (let i = 0; i < v.length; i++) o[off + i] = Number(v[i]);
  };
}

/**
 * Pixel p in channel c becomes (p/255 − mean[c]) / std[c], each step rounded to the model's float
 * type: in float32 that is what `(u8.astype(float32) / 255 − mean) / std` gives in NumPy, and what
 * torchvision's ToTensor + Normalize give. Tabulated: 256 values per channel.
 */
function pixelWriter(dtype: number, example: readonly number[], norm: Normalisation, where: string): Writer {
  const mean = norm.mean ?? [0];
  const std = norm.std ?? [1];
  const geo = imageGeometry(example);
  const channels = Math.max(mean.length, std.length);
  for (const [name, v] of [
    ['--mean', mean],
    ['--std', std],
  ] as const) {
    if (v.length !== 1 && v.length !== channels)
      throw new BadInputError(
        `${name} has ${v.length} values and the other ${channels}; give one value, or one per channel for both.`,
      );
    if (v.some((x) => !Number.isFinite(x)))
      throw new BadInputError(`${name} ${v.join(',')}: every value must be a finite number.`);
  }
  if (std.some((s) => s <= 0)) {
    const why = std.includes(0) ? 'a standard deviation of 0 divides by zero' : 'a standard deviation is positive';
    throw new BadInputError(
      `--std ${std.join(',')}: ${why}; give each channel's standard deviation (the model's transforms.Normalize std).`,
    );
  }
  if (channels > 1 && (!geo || geo.c !== channels))
    throw new BadInputError(
      `${where}: ${channels} --mean/--std values given, but the model's per-example input [${example}] ` +
        `does not have ${channels} channels. Give one value for all${geo ? `, or ${geo.c}, one per channel` : ''}.`,
    );
  const f = dtype === DataType.FLOAT ? Math.fround : (x: number) => x;
  const luts = Array.from({ length: channels }, (_, c) => {
    const m = f(mean[mean.length === 1 ? 0 : c]);
    const s = f(std[std.length === 1 ? 0 : c]);
    const lut = new Float64Array(256);
    for (let p = 0; p < 256; p++) lut[p] = f(f(f(p / 255) - m) / s);
    return lut;
  });
  if (channels === 1) {
    const lut = luts[0];
    return (v, out, off) => {
      const o = out as Float32Array | Float64Array;
      for (let i = 0; i < v.length; i++) o[off + i] = lut[v[i] as number];
    };
  }
  const { layout, h, w } = geo!;
  const plane = h * w;
  return (v, out, off) => {
    const o = out as Float32Array | Float64Array;
    for (let i = 0; i < v.length; i++)
      o[off + i] = luts[layout === 'chw' ? Math.floor(i / plane) : i % channels][v[i] as number];
  };
}

/** A label as a non-negative int64, or why it is not one. */
export function toLabel(v: unknown): bigint | string {
  if (typeof v === 'bigint') return v >= 0n ? v : `label ${v} is negative`;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `label ${JSON.stringify(v)} is not an integer class index`;
  if (v < 0) return `label ${v} is negative`;
  return BigInt(v);
}
