// The full-data importance, computed once and reused: a file tied to the model's hash and the
// data's manifest (count, batch size, order-sensitive content digest).
//
// Layout: 'SCRUBFI1' | u32 header length | header JSON (UTF-8) | zero padding to 8 bytes |
// per parameter, in header order, the float64 little-endian sums over minibatches of the importance
// (squared gradients of the cross-entropy for kind ssd-importance, |gradients| of the logit norm for
// lf-ssd-importance: a file of one kind is refused where the other is needed).
// Sums and the batch count are stored, not means, so that shards covering consecutive ranges of
// minibatches add up to the single-pass file.
import { readFileSync, renameSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { ScrubError } from '../errors.js';
import type { ImportanceSums } from './importance.js';

const MAGIC = 'SCRUBFI1';
export const FISHER_VERSION = 1;

export type FisherKind = 'ssd-importance' | 'lf-ssd-importance';

/** The loss each kind differentiates, as the header names it. */
export const FISHER_LOSS = { 'ssd-importance': 'mean-cross-entropy', 'lf-ssd-importance': 'mean-squared-logit-norm' } as const;

const KIND_TEXT: Record<FisherKind, { what: string; method: string; make: string }> = {
  'ssd-importance': { what: 'SSD importance (squared gradients of the cross-entropy)', method: 'ssd', make: '`scrub fisher MODEL TRAIN -o FILE`' },
  'lf-ssd-importance': { what: 'LF-SSD importance (|gradients| of the logit norm)', method: 'lf-ssd', make: '`scrub fisher MODEL TRAIN --method lf-ssd -o FILE`' },
};

export interface FisherHeader {
  version: number;
  kind: FisherKind;
  loss: (typeof FISHER_LOSS)[FisherKind];
  model: { sha256: string; source: string };
  data: { description: string; count: number; digest: string; batchSize: number; batches: number };
  params: { name: string; shape: number[] }[];
  createdBy: string;
}

export interface FisherFile {
  header: FisherHeader;
  sums: Map<string, Float64Array>;
}

export function fisherFromSums(
  s: ImportanceSums,
  model: { sha256: string; source: string },
  description: string,
  shapes: { name: string; shape: number[] }[],
  createdBy: string,
  kind: FisherKind = 'ssd-importance',
): FisherFile {
  return {
    header: {
      version: FISHER_VERSION,
      kind,
      loss: FISHER_LOSS[kind],
      model,
      data: { description, count: s.count, digest: s.digest, batchSize: s.batchSize, batches: s.batches },
      params: shapes.map((p) => ({ name: p.name, shape: p.shape })),
      createdBy,
    },
    sums: s.sums,
  };
}

export function writeFisher(path: string, f: FisherFile): void {
  const header = new TextEncoder().encode(JSON.stringify(f.header));
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const total = start + f.header.params.reduce((a, p) => a + 8 * p.shape.reduce((x, y) => x * y, 1), 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = start;
  for (const p of f.header.params) {
    const v = f.sums.get(p.name)!;
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, out);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new ScrubError(`${path}: could not write the Fisher file: ${(e as Error).message}`);
  }
}

export function readFisher(path: string): FisherFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new ScrubError(`${path}: no such Fisher file. Make one with \`scrub fisher MODEL TRAIN -o ${path}\`.`);
  }
  if (buf.length < 12 || buf.subarray(0, 8).toString('latin1') !== MAGIC)
    throw new ScrubError(`${path}: not a scrub Fisher file. Make one with \`scrub fisher MODEL TRAIN -o FILE\`.`);
  const len = buf.readUInt32LE(8);
  let header: FisherHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + len).toString('utf8')) as FisherHeader;
  } catch {
    throw new ScrubError(`${path}: the Fisher file's header is damaged; compute it again.`);
  }
  if (header.version !== FISHER_VERSION) throw new ScrubError(`${path}: Fisher file version ${header.version}; this scrub reads version ${FISHER_VERSION}. Compute it again.`);
  let offset = Math.ceil((12 + len) / 8) * 8;
  const sums = new Map<string, Float64Array>();
  for (const p of header.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (offset + 8 * n > buf.length) throw new ScrubError(`${path}: the Fisher file is truncated; compute it again.`);
    const v = new Float64Array(n);
    new Uint8Array(v.buffer).set(buf.subarray(offset, offset + 8 * n));
    sums.set(p.name, v);
    offset += 8 * n;
  }
  return { header, sums };
}

/** Refuses a Fisher file of another kind, or computed for another model, other parameters or another batch size. */
export function checkFisher(path: string, f: FisherFile, modelSha: string, params: { name: string; shape: number[] }[], batchSize: number, kind: FisherKind = 'ssd-importance'): void {
  if (f.header.kind !== kind) {
    const have = KIND_TEXT[f.header.kind];
    const want = KIND_TEXT[kind];
    throw new ScrubError(
      `${path}: this Fisher file holds ${have ? have.what : `"${f.header.kind}"`}, but --method ${want.method} compares ${want.what}. ` +
        `${have ? `Pass --method ${have.method} to use it, or compute` : 'Compute'} one with ${want.make}.`,
    );
  }
  if (f.header.model.sha256 !== modelSha)
    throw new ScrubError(`${path}: this Fisher file belongs to another model (${f.header.model.source}, sha256 ${f.header.model.sha256.slice(0, 12)}…). Compute one for this model with \`scrub fisher\`.`);
  const want = params.map((p) => `${p.name}[${p.shape}]`).join(',');
  const have = f.header.params.map((p) => `${p.name}[${p.shape}]`).join(',');
  if (want !== have) throw new ScrubError(`${path}: the Fisher file covers other parameters than this run; compute it again with the same --params.`);
  if (f.header.data.batchSize !== batchSize)
    throw new ScrubError(`${path}: the Fisher file was computed with batch size ${f.header.data.batchSize}, this run uses ${batchSize}; pass --batch-size ${f.header.data.batchSize} or compute it again.`);
}
