// IDX files (MNIST, Fashion-MNIST, …), gzipped or not, streamed record by record.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { ByteReader } from './bytes.js';
import { toLabel, type Values } from './convert.js';
import { runs, type Example, type Source } from './source.js';
import type { IndexSet } from './select.js';

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

export interface IdxHeader {
  path: string;
  type: number;
  dims: number[];
  /** Bytes before the first record. */
  offset: number;
}

export async function readIdxHeader(path: string): Promise<IdxHeader> {
  if (!existsSync(path)) throw new BadInputError(`${path}: no such file.`);
  const r = new ByteReader(path);
  try {
    const magic = await r.read(4);
    if (!magic || magic[0] !== 0 || magic[1] !== 0 || !TYPES[magic[2]] || magic[3] === 0)
      throw new BadInputError(`${path}: not an IDX file (bad magic number). Pass MNIST-style *-idx3-ubyte[.gz] files.`);
    const type = magic[2];
    const rank = magic[3];
    const raw = await r.read(4 * rank);
    if (!raw) throw new BadInputError(`${path}: truncated IDX header.`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const dims = Array.from({ length: rank }, (_, i) => dv.getUint32(4 * i, false));
    return { path, type, dims, offset: 4 + 4 * rank };
  } finally {
    r.close();
  }
}

/** The labels file named like an images file: *-images-idx3-ubyte[.gz] → *-labels-idx1-ubyte[.gz]. */
export function pairedLabelsPath(images: string): string {
  const name = basename(images);
  if (!name.includes('images'))
    throw new BadInputError(
      `${images}: cannot tell which file holds its labels (the name has no "images"). Pass IMAGES,LABELS.`,
    );
  const base = name.replace(/images/g, 'labels').replace(/idx\d+/g, 'idx1');
  const stem = base.replace(/\.gz$/, '');
  for (const candidate of [base, stem, `${stem}.gz`])
    if (existsSync(join(dirname(images), candidate))) return join(dirname(images), candidate);
  throw new BadInputError(
    `${images}: no labels file beside it (looked for ${stem}[.gz]). Pass IMAGES,LABELS to name it.`,
  );
}

function decoder(h: IdxHeader): (b: Uint8Array) => Values {
  const { size } = TYPES[h.type];
  if (h.type === 0x08) return (b) => b;
  if (h.type === 0x09) return (b) => new Int8Array(b.buffer, b.byteOffset, b.length);
  return (b) => {
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const n = b.length / size;
    if (h.type === 0x0b) return Int16Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, false));
    if (h.type === 0x0c) return Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, false));
    if (h.type === 0x0d) return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, false));
    return Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, false));
  };
}

/** An images file and its labels file; labels found by name when not given. */
export async function openIdx(imagesPath: string, labelsPath?: string): Promise<Source> {
  const images = await readIdxHeader(imagesPath);
  if (images.dims.length < 2)
    throw new BadInputError(
      `${imagesPath}: a 1-D IDX file holds labels, not inputs. Pass the images file (e.g. *-images-idx3-ubyte.gz).`,
    );
  const labels = await readIdxHeader(labelsPath ?? pairedLabelsPath(imagesPath));
  if (labels.dims.length !== 1 || labels.type === 0x0d || labels.type === 0x0e)
    throw new BadInputError(
      `${labels.path}: labels must be a 1-D integer IDX file (*-labels-idx1-ubyte), ` +
        `got ${TYPES[labels.type].name} [${labels.dims}].`,
    );
  const count = images.dims[0];
  if (labels.dims[0] !== count)
    throw new BadInputError(
      `${imagesPath} holds ${count} examples but ${labels.path} holds ${labels.dims[0]} labels. ` +
        `Pass the matching pair as IMAGES,LABELS.`,
    );
  const shape = images.dims.slice(1);
  const xBytes = shape.reduce((a, b) => a * b, 1) * TYPES[images.type].size;
  const yBytes = TYPES[labels.type].size;
  const decodeX = decoder(images);
  const decodeY = decoder(labels);
  return {
    format: 'idx',
    count,
    shape,
    encoding: images.type === 0x08 ? 'pixel' : 'number',
    stored: TYPES[images.type].name,
    labelled: true,
    description: `IDX ${imagesPath} + ${basename(labels.path)}`,
    async *read(set: IndexSet): AsyncGenerator<Example> {
      const xr = new ByteReader(imagesPath);
      const yr = new ByteReader(labels.path);
      const truncated = (i: number, r: ByteReader): never => {
        throw new BadInputError(
          `${r.path}: the file ends before example ${i}, though its header says ${count}. ` +
            `The file is incomplete; download it again.`,
        );
      };
      try {
        await xr.skip(images.offset);
        await yr.skip(labels.offset);
        let at = 0;
        for (const [start, end] of runs(set, Infinity)) {
          if (start > at) {
            if (!(await xr.skip((start - at) * xBytes))) truncated(start, xr);
            if (!(await yr.skip((start - at) * yBytes))) truncated(start, yr);
          }
          for (let i = start; i < end; i++) {
            const x = (await xr.read(xBytes)) ?? truncated(i, xr);
            const y = (await yr.read(yBytes)) ?? truncated(i, yr);
            const label = toLabel(decodeY(y)[0]);
            yield typeof label === 'string'
              ? { error: `${labels.path}: example ${i}: ${label}` }
              : { values: decodeX(x), label };
          }
          at = end;
        }
      } finally {
        xr.close();
        yr.close();
      }
    },
  };
}
