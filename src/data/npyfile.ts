// A pair of .npy files (inputs x, labels y) read by position, a run of records at a time, so the
// arrays never sit in memory whole (npy.ts reads whole small arrays).
// Labels: y of shape [N] holds class indices (integers); y of shape [N, C] holds multi-hot labels,
// C independent 0/1 labels an example (any integer dtype, bool or float, every value 0 or 1).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { toLabel, type Values } from './convert.js';
import { NO_LABEL, runs, type Example, type Source } from './source.js';
import type { IndexSet } from './select.js';

const DESCR: Record<
  string,
  {
    name: string;
    ctor:
      | Int8ArrayConstructor
      | Uint8ArrayConstructor
      | Int16ArrayConstructor
      | Int32ArrayConstructor
      | Float32ArrayConstructor
      | Float64ArrayConstructor
      | BigInt64ArrayConstructor;
  }
> = {
  '<f4': { name: 'float32', ctor: Float32Array },
  '<f8': { name: 'float64', ctor: Float64Array },
  '<i8': { name: 'int64', ctor: BigInt64Array },
  '<i4': { name: 'int32', ctor: Int32Array },
  '<i2': { name: 'int16', ctor: Int16Array },
  '|i1': { name: 'int8', ctor: Int8Array },
  '|u1': { name: 'uint8', ctor: Uint8Array },
  '<u1': { name: 'uint8', ctor: Uint8Array },
  '|b1': { name: 'bool', ctor: Uint8Array },
};

export interface NpyHeader {
  path: string;
  dtype: string;
  shape: number[];
  itemSize: number;
  offset: number;
}

export function readNpyHeader(path: string): NpyHeader {
  if (!existsSync(path)) throw new BadInputError(`${path}: no such file.`);
  const fd = openSync(path, 'r');
  try {
    const pre = Buffer.alloc(12);
    readSync(fd, pre, 0, 12, 0);
    if (pre.toString('latin1', 0, 6) !== '\x93NUMPY')
      throw new BadInputError(`${path}: not a NumPy .npy file (bad magic). Save it with numpy.save.`);
    const major = pre[6];
    const len = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const head = Buffer.alloc(len);
    readSync(fd, head, 0, len, start);
    const header = head.toString('latin1');
    const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
    if (!descr || shapeText === undefined) throw new BadInputError(`${path}: unreadable .npy header.`);
    if (/'fortran_order':\s*True/.test(header))
      throw new BadInputError(`${path}: Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray.`);
    const type = DESCR[descr];
    if (!type)
      throw new BadInputError(
        `${path}: dtype ${descr} is not supported ` +
          '(little-endian float32, float64, int64, int32, int16, int8, uint8; bool for multi-hot labels).',
      );
    const shape = shapeText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    const offset = start + len;
    const need = shape.reduce((a, b) => a * b, 1) * type.ctor.BYTES_PER_ELEMENT;
    const have = statSync(path).size - offset;
    if (have < need)
      throw new BadInputError(`${path}: truncated (${have} data bytes, shape [${shape}] needs ${need}).`);
    return { path, dtype: type.name, shape, itemSize: type.ctor.BYTES_PER_ELEMENT, offset };
  } finally {
    closeSync(fd);
  }
}

/** The labels file named like an inputs file: x.npy → y.npy, train_x.npy → train_y.npy, x_train.npy → y_train.npy. */
export function pairedYPath(x: string): string {
  const name = basename(x);
  const y = name.replace(/(^|[^a-zA-Z0-9])x(?=[^a-zA-Z0-9])/, '$1y');
  if (y === name)
    throw new BadInputError(
      `${x}: cannot tell which file holds its labels (name it x.npy, *_x.npy or x_*.npy, or pass X.npy,Y.npy).`,
    );
  const path = join(dirname(x), y);
  if (!existsSync(path))
    throw new BadInputError(
      `${x}: no labels file ${path} beside it. Pass X.npy,Y.npy to name it ` +
        `(a set without labels is an x.npy with no y.npy beside it).`,
    );
  return path;
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let got = 0; got < into.length;) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) throw new BadInputError(`a .npy file ended early; was it changed while being read?`);
    got += n;
  }
}

function ctorOf(dtype: string) {
  return Object.values(DESCR).find((d) => d.name === dtype)!.ctor;
}

/** Inputs and their labels (class indices [N] or multi-hot [N, C]); without `yPath`, a set without labels. */
export function openNpyPair(xPath: string, yPath?: string): Source {
  const x = readNpyHeader(xPath);
  const y = yPath === undefined ? undefined : readNpyHeader(yPath);
  if (x.shape.length < 1)
    throw new BadInputError(`${xPath}: a 0-d array holds no examples; the first axis must index examples.`);
  if (x.dtype === 'bool')
    throw new BadInputError(`${xPath}: inputs are bool; save them as float32, float64 or an integer type.`);
  const count = x.shape[0];
  // C for multi-hot labels [N, C]; undefined for class indices [N]
  let width: number | undefined;
  if (y) {
    if (y.shape.length === 2 && y.shape[0] === count) {
      width = y.shape[1];
      if (width < 1)
        throw new BadInputError(`${yPath}: multi-hot labels of shape [${y.shape}] hold no classes; C must be ≥ 1.`);
    } else if (y.shape.length !== 1)
      throw new BadInputError(
        `${yPath}: labels must be a 1-D array of class indices, got shape [${y.shape}]; ` +
          `multi-hot labels are a 2-D array [${count}, C] of 0/1, one row per example of ${xPath}.`,
      );
    else if (y.dtype.startsWith('float') || y.dtype === 'bool')
      throw new BadInputError(`${yPath}: labels are ${y.dtype}; save them as int64 or int32 class indices.`);
    else if (y.shape[0] !== count)
      throw new BadInputError(
        `${xPath} holds ${count} examples but ${yPath} holds ${y.shape[0]} labels. They must have the same length.`,
      );
  }
  const shape = x.shape.slice(1);
  const per = shape.reduce((a, b) => a * b, 1);
  const XCtor = ctorOf(x.dtype);
  const xBytes = per * x.itemSize;
  const yRowBytes = width === undefined ? 0 : width * y!.itemSize;
  const maxRun = Math.max(1, Math.floor((4 << 20) / Math.max(1, xBytes, yRowBytes)));
  const labelsText = !y
    ? 'no labels'
    : width === undefined
      ? basename(y.path)
      : `${basename(y.path)} (multi-hot, C=${width})`;
  return {
    format: 'npy',
    count,
    shape,
    encoding: x.dtype === 'uint8' ? 'pixel' : 'number',
    stored: x.dtype,
    labelled: y !== undefined,
    ...(width === undefined ? {} : { labelWidth: width }),
    description: `npy ${xPath} (${x.dtype} [${x.shape}]) + ${labelsText}`,
    async *read(set: IndexSet): AsyncGenerator<Example> {
      const xfd = openSync(xPath, 'r');
      const labels = y && { header: y, fd: openSync(y.path, 'r'), Ctor: ctorOf(y.dtype) };
      const row = width ?? 1;
      try {
        for (const [start, end] of runs(set, maxRun)) {
          const n = end - start;
          const xb = new Uint8Array(n * xBytes);
          readFully(xfd, xb, x.offset + start * xBytes);
          const xs = new XCtor(xb.buffer);
          let ys: ArrayLike<number | bigint> | undefined;
          if (labels) {
            const rowBytes = row * labels.header.itemSize;
            const yb = new Uint8Array(n * rowBytes);
            readFully(labels.fd, yb, labels.header.offset + start * rowBytes);
            ys = new labels.Ctor(yb.buffer);
          }
          for (let i = 0; i < n; i++) {
            const values = xs.subarray(i * per, (i + 1) * per) as Values;
            if (width !== undefined) {
              const targets = multiHot(ys!, i * width, width);
              yield typeof targets === 'string'
                ? { error: `${yPath}: example ${start + i}: ${targets}` }
                : { values, label: NO_LABEL, targets };
              continue;
            }
            const label = ys ? toLabel(ys[i]) : NO_LABEL;
            yield typeof label === 'string' ? { error: `${yPath}: example ${start + i}: ${label}` } : { values, label };
          }
        }
      } finally {
        closeSync(xfd);
        if (labels) closeSync(labels.fd);
      }
    },
  };
}

/** The `width` labels at `at` as float32 0/1, or why they are not multi-hot labels. */
function multiHot(ys: ArrayLike<number | bigint>, at: number, width: number): Float32Array | string {
  const out = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const v = ys[at + j];
    if (v === 1 || v === 1n) out[j] = 1;
    else if (v !== 0 && v !== 0n)
      return `multi-hot labels must be 0 or 1, got ${typeof v === 'bigint' ? v : String(v)} at class ${j}`;
  }
  return out;
}
