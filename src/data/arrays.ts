// Inputs and labels from .npy files, converted to what the model takes.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { DataType, DTYPE_NAMES } from '../graph/ir.js';
import type { HostTensor } from '../core/tensor.js';
import { nonFinite } from './convert.js';
import { readNpy } from './npy.js';

export interface Converted<T> {
  value: T;
  /** Set when a conversion happened, to tell the user. */
  note?: string;
}

/**
 * The inputs of a model from .npy files: `path` is the one input's file, or a folder holding one
 * NAME.npy per graph input (as Hugging Face text models take input_ids, attention_mask, …). Throws
 * BadInputError naming what is missing, or what the model takes.
 */
export function loadNamedInputs(
  path: string,
  inputs: readonly { name: string; dtype: number }[],
  model: string,
): { feeds: Record<string, HostTensor>; notes: string[] } {
  const folder = existsSync(path) && statSync(path).isDirectory();
  if (!folder && inputs.length > 1)
    throw new BadInputError(
      `${model} takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); pass a folder holding ` +
        `${inputs.map((i) => `${i.name}.npy`).join(' and ')}.`,
    );
  const feeds: Record<string, HostTensor> = {};
  const notes: string[] = [];
  for (const i of inputs) {
    // a one-input model's folder may hold x.npy (beside y.npy), as data sets take it
    const one = folder && inputs.length === 1 && !existsSync(join(path, `${i.name}.npy`));
    const file = folder ? join(path, one && existsSync(join(path, 'x.npy')) ? 'x.npy' : `${i.name}.npy`) : path;
    if (folder && !existsSync(file))
      throw new BadInputError(
        `${path}: no ${i.name}.npy; ${model} takes ${inputs.map((s) => s.name).join(', ')}, one NAME.npy each.`,
      );
    const x = loadInputs(file, i.dtype);
    refuseNonFinite(file, x.value);
    feeds[i.name] = x.value;
    if (x.note) notes.push(x.note);
  }
  return { feeds, notes };
}

/**
 * Throws a BadInputError naming the example and element of the first NaN or ±Infinity in float inputs
 * x [N, ...] read from `path`: a loss or gradient from it is meaningless (as data sets refuse it).
 */
function refuseNonFinite(path: string, x: HostTensor): void {
  const per = x.dims.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i * per < x.data.length; i++) {
    const bad = nonFinite(x.data.subarray(i * per, (i + 1) * per), () => `${path}: example ${i}`);
    if (bad)
      throw new BadInputError(`${bad.error}; a loss or gradient from it is meaningless. Fix or remove that example.`);
  }
}

export function loadInputs(path: string, dtype: number): Converted<HostTensor> {
  const a = readNpy(path);
  const dims = a.shape;
  if (dtype === DataType.FLOAT) {
    if (a.dtype === 'float32') return { value: { data: a.data, dims } };
    if (a.dtype === 'float64')
      return { value: { data: Float32Array.from(a.data), dims }, note: `${path}: float64 converted to float32` };
  } else if (dtype === DataType.INT64) {
    if (a.dtype === 'int64') return { value: { data: a.data, dims } };
    if (a.dtype === 'int32')
      return {
        value: { data: BigInt64Array.from(a.data, (v) => BigInt(v)), dims },
        note: `${path}: int32 converted to int64`,
      };
  }
  throw new BadInputError(
    `${path}: holds ${a.dtype}, the model's input takes ${DTYPE_NAMES[dtype]}. Save it as ${DTYPE_NAMES[dtype]}.`,
  );
}

/**
 * The labels of `path` (.npy) as loss feeds: int64 class indices `{ labels }` [N] from a 1-D array, or
 * multi-hot `{ targets }` [N·C] (float32 0/1) from a 2-D array [N, C] of 0/1 (any integer, bool or float
 * dtype). Throws BadInputError for other shapes, dtypes or values.
 */
export function loadLabelFeeds(path: string): { labels: BigInt64Array } | { targets: Float32Array; width: number } {
  const a = readNpy(path);
  if (a.shape.length !== 2) return { labels: loadLabels(path) };
  const targets = Float32Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
  const bad = targets.findIndex((v) => v !== 0 && v !== 1);
  if (bad >= 0)
    throw new BadInputError(
      `${path}: example ${Math.floor(bad / a.shape[1])} has ${targets[bad]} for class ${bad % a.shape[1]}; ` +
        'multi-hot labels [N, C] must be 0 or 1.',
    );
  return { targets, width: a.shape[1] };
}

export function loadLabels(path: string): BigInt64Array {
  const a = readNpy(path);
  if (a.shape.length !== 1)
    throw new BadInputError(
      `${path}: labels must be a 1-D array of class indices, or a 2-D array [N, C] of multi-hot 0/1 labels; ` +
        `got shape [${a.shape}].`,
    );
  if (a.dtype === 'int64') return a.data;
  if (a.dtype === 'int32' || a.dtype === 'uint8') return BigInt64Array.from(a.data as Int32Array, (v) => BigInt(v));
  throw new BadInputError(`${path}: labels are ${a.dtype}; save them as int64 or int32 class indices.`);
}

export { rows } from '../core/tensor.js';
