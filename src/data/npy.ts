// NumPy .npy files (format 1.0–3.0, little-endian, C order).
import { readFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';

export type NpyArray =
  | { dtype: 'float32'; data: Float32Array; shape: number[] }
  | { dtype: 'float64'; data: Float64Array; shape: number[] }
  | { dtype: 'int64'; data: BigInt64Array; shape: number[] }
  | { dtype: 'int32'; data: Int32Array; shape: number[] }
  | { dtype: 'uint8'; data: Uint8Array; shape: number[] };

const DESCR: Record<string, NpyArray['dtype']> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '<u1': 'uint8',
};
const CTOR = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
};

export function readNpy(path: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new BadInputError(`${path}: cannot read the file. Pass an existing .npy file.`);
  }
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function parseNpy(bytes: Uint8Array, path = '.npy'): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY')
    throw new BadInputError(`${path}: not a NumPy .npy file (bad magic). Save it with numpy.save.`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new BadInputError(`${path}: unreadable .npy header.`);
  if (fortran)
    throw new BadInputError(`${path}: Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray.`);
  const dtype = DESCR[descr];
  if (!dtype)
    throw new BadInputError(`${path}: dtype ${descr} is not supported (float32, float64, int64, int32, uint8).`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const Ctor = CTOR[dtype];
  const need = count * Ctor.BYTES_PER_ELEMENT;
  if (bytes.length - offset < need)
    throw new BadInputError(
      `${path}: truncated (${bytes.length - offset} data bytes, shape [${shape}] needs ${need}).`,
    );
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(offset, offset + need));
  return { dtype, data: new Ctor(copy.buffer), shape } as NpyArray;
}

export function encodeNpy(
  data: Float32Array | Float64Array | BigInt64Array | Int32Array,
  shape: readonly number[],
): Uint8Array {
  const descr =
    data instanceof Float32Array
      ? '<f4'
      : data instanceof Float64Array
        ? '<f8'
        : data instanceof BigInt64Array
          ? '<i8'
          : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
