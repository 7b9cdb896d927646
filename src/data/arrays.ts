// Inputs and labels from .npy files, converted to what the model takes.
import { BadInputError } from '../core/errors.js';
import { DataType, DTYPE_NAMES } from '../graph/ir.js';
import type { HostTensor } from '../core/tensor.js';
import { readNpy } from './npy.js';

export interface Converted<T> {
  value: T;
  /** Set when a conversion happened, to tell the user. */
  note?: string;
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

export function loadLabels(path: string): BigInt64Array {
  const a = readNpy(path);
  if (a.shape.length !== 1) throw new BadInputError(`${path}: labels must be a 1-D array, got shape [${a.shape}].`);
  if (a.dtype === 'int64') return a.data;
  if (a.dtype === 'int32' || a.dtype === 'uint8') return BigInt64Array.from(a.data as Int32Array, (v) => BigInt(v));
  throw new BadInputError(`${path}: labels are ${a.dtype}; save them as int64 or int32 class indices.`);
}

export { rows } from '../core/tensor.js';
