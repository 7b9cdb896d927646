import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/data/npy.js';
import { encodeModel } from '../../src/graph/encode.js';
import type { Tensor } from '../../src/graph/ir.js';
import { loadModel } from '../../src/graph/load.js';

/** Fixtures copied into the project (a fresh clone tests the same). */
export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
/** The shared fixtures beside the checkout (resnet18 lives only there). */
export const SHARED = fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));
export const hasShared = existsSync(`${SHARED}/models/resnet18.onnx`);

export interface OracleParam {
  name: string;
  torchName: string;
  transposed: boolean;
  shape: number[];
  l2: number;
  head: number[];
  file?: string;
}

export interface OracleSummary {
  loss: number;
  parameters: OracleParam[];
}

export function oracle(dir: string): OracleSummary {
  return JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8')) as OracleSummary;
}

export function batch() {
  const x = readNpy(`${FIXTURES}/batch/x.npy`);
  const y = readNpy(`${FIXTURES}/batch/y.npy`);
  return { x: { data: x.data as Float32Array, dims: x.shape }, y: y.data as BigInt64Array };
}

export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] ** 2;
  return Math.sqrt(s);
}

/**
 * Bytes that differ between two files of the same length, counted inside the byte range `loc` (one
 * tensor's data) and outside it: a byte-exact patch changes bytes inside only.
 */
export function changedBytes(
  before: Uint8Array,
  after: Uint8Array,
  loc: { offset: number; length: number },
): { inside: number; outside: number } {
  let inside = 0;
  let outside = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    if (i >= loc.offset && i < loc.offset + loc.length) inside++;
    else outside++;
  }
  return { inside, outside };
}

/**
 * The model at `src` written as `dir`/ext.onnx with every initializer moved to the external data file
 * `dir`/ext.onnx.data (its metadata left out); returns the model's path.
 */
export function externalize(src: string, dir: string): string {
  const m = loadModel(src);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const inits = new Map<string, Tensor>();
  for (const t of m.graph.initializers.values()) {
    inits.set(t.name, { ...t, location: { kind: 'external', file: 'ext.onnx.data', offset, length: t.bytes.length } });
    chunks.push(t.bytes);
    offset += t.bytes.length;
  }
  writeFileSync(join(dir, 'ext.onnx.data'), Buffer.concat(chunks));
  writeFileSync(
    join(dir, 'ext.onnx'),
    encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: { ...m.graph, initializers: inits } }),
  );
  return join(dir, 'ext.onnx');
}
