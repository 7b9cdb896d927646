// The full-data importance, computed once and reused: a file tied to the model's hash and the
// data's manifest (count, batch size, order-sensitive content digest).
//
// Layout: 'SCRUBFI1' | u32 header length | header JSON (UTF-8) | zero padding to 8 bytes |
// per parameter, in header order, the float64 little-endian sums over minibatches of the importance
// (squared gradients of the cross-entropy for kind ssd-importance, |gradients| of the logit norm for
// lf-ssd-importance: a file of one kind is refused where the other is needed).
// Sums and the batch count are stored, not means, so that shards covering consecutive ranges of
// minibatches add up to the single-pass file.
//
// A shard's part file ('SCRUBFP1', same layout) holds the sums over its range of minibatches, a
// header with `shard` and the whole set's manifest but its digest, and after the sums the 32-byte
// digest of each of its examples in order: the set's digest is a running hash over every example
// digest (data/digest.ts), so only the merge, holding them all, can compute it (fisher-merge.ts).
// Its own magic keeps a part from being taken for a whole file, by this scrub or an older one.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../core/atomic.js';
import { BadInputError } from '../../core/errors.js';
import { describeNormalisation, sameNormalisation } from '../../data/convert.js';
import type { Dataset } from '../../data/dataset.js';
import type { ImportanceSums } from './importance.js';

const MAGIC = 'SCRUBFI1';
const PART_MAGIC = 'SCRUBFP1';
const DIGEST_BYTES = 32;
export const FISHER_VERSION = 1;

import type { FisherKind } from './variants.js';
export type { FisherKind } from './variants.js';

/** The loss each kind differentiates, as the header names it. */
export const FISHER_LOSS = {
  'ssd-importance': 'mean-cross-entropy',
  'lf-ssd-importance': 'mean-squared-logit-norm',
} as const;

const KIND_TEXT: Record<FisherKind, { what: string; method: string; make: string }> = {
  'ssd-importance': {
    what: 'SSD importance (squared gradients of the cross-entropy)',
    method: 'ssd',
    make: '`scrub fisher MODEL TRAIN -o FILE`',
  },
  'lf-ssd-importance': {
    what: 'LF-SSD importance (|gradients| of the logit norm)',
    method: 'lf-ssd',
    make: '`scrub fisher MODEL TRAIN --method lf-ssd -o FILE`',
  },
};

export interface FisherHeader {
  version: number;
  kind: FisherKind;
  loss: (typeof FISHER_LOSS)[FisherKind];
  model: { sha256: string; source: string };
  data: {
    description: string;
    count: number;
    digest: string;
    batchSize: number;
    batches: number;
    /** The pixels' normalisation the pass fed (Dataset.normalisation); absent for values taken as stored. */
    normalisation?: { mean: number[]; std: number[] };
  };
  params: { name: string; shape: number[] }[];
  createdBy: string;
}

export interface FisherFile {
  header: FisherHeader;
  sums: Map<string, Float64Array>;
}

/** Which part of a sharded pass a part file holds. */
export interface FisherShard {
  /** K of N, 0-based: shard K of N parts. */
  index: number;
  of: number;
  /** The minibatches [first, end) of the whole pass this part covers. */
  batches: [number, number];
  /** Their examples' positions [first, end) in the set. */
  examples: [number, number];
}

export interface FisherPartHeader extends Omit<FisherHeader, 'data'> {
  /** The whole set's manifest (count, batch size, batches), less the digest only the merge can compute. */
  data: Omit<FisherHeader['data'], 'digest'>;
  shard: FisherShard;
}

export interface FisherPart {
  header: FisherPartHeader;
  /** Sums over the part's minibatches only. */
  sums: Map<string, Float64Array>;
  /** The part's example digests in order, 32 bytes each. */
  exampleDigests: Uint8Array;
}

export function fisherFromSums(
  s: Pick<ImportanceSums, 'sums' | 'count' | 'digest' | 'batchSize' | 'batches'>,
  model: { sha256: string; source: string },
  description: string,
  shapes: { name: string; shape: number[] }[],
  createdBy: string,
  kind: FisherKind = 'ssd-importance',
  normalisation?: FisherHeader['data']['normalisation'],
): FisherFile {
  return {
    header: {
      version: FISHER_VERSION,
      kind,
      loss: FISHER_LOSS[kind],
      model,
      data: {
        description,
        count: s.count,
        digest: s.digest,
        batchSize: s.batchSize,
        batches: s.batches,
        ...(normalisation && { normalisation }),
      },
      params: shapes.map((p) => ({ name: p.name, shape: p.shape })),
      createdBy,
    },
    sums: s.sums,
  };
}

export function writeFisher(path: string, f: FisherFile): void {
  writeAtomic(path, encode(MAGIC, f.header, f.sums));
}

export function writeFisherPart(path: string, f: FisherPart): void {
  writeAtomic(path, encode(PART_MAGIC, f.header, f.sums, f.exampleDigests));
}

function encode(
  magic: string,
  h: FisherHeader | FisherPartHeader,
  sums: Map<string, Float64Array>,
  trailer?: Uint8Array,
): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(h));
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const body = h.params.reduce((a, p) => a + 8 * p.shape.reduce((x, y) => x * y, 1), 0);
  const out = new Uint8Array(start + body + (trailer?.length ?? 0));
  out.set(new TextEncoder().encode(magic));
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = start;
  for (const p of h.params) {
    const v = sums.get(p.name)!;
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  if (trailer) out.set(trailer, offset);
  return out;
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new BadInputError(`${path}: could not write the Fisher file: ${(e as Error).message}`);
  }
}

/** A whole Fisher file; a shard's part is refused (merge the parts first). */
export function readFisher(path: string): FisherFile {
  const f = readFisherOrPart(path);
  if ('shard' in f.header) {
    const { index, of } = f.header.shard;
    throw new BadInputError(
      `${path}: this is part ${index}/${of} of a sharded Fisher file, not a whole one; ` +
        `combine all ${of} parts with \`scrub fisher merge PART... -o FILE\` and use that.`,
    );
  }
  return f as FisherFile;
}

/** A shard's part file; a whole Fisher file is refused. */
export function readFisherPart(path: string): FisherPart {
  const f = readFisherOrPart(path);
  if (!('shard' in f.header))
    throw new BadInputError(
      `${path}: a whole Fisher file, not a part; \`scrub fisher merge\` takes the parts written by ` +
        '`scrub fisher MODEL TRAIN --shard K/N -o FILE`.',
    );
  return f as FisherPart;
}

function readFisherOrPart(path: string): FisherFile | FisherPart {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new BadInputError(`${path}: no such Fisher file. Make one with \`scrub fisher MODEL TRAIN -o ${path}\`.`);
  }
  const magic = buf.subarray(0, 8).toString('latin1');
  if (buf.length < 12 || (magic !== MAGIC && magic !== PART_MAGIC))
    throw new BadInputError(`${path}: not a scrub Fisher file. Make one with \`scrub fisher MODEL TRAIN -o FILE\`.`);
  const len = buf.readUInt32LE(8);
  let header: FisherHeader | FisherPartHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + len).toString('utf8')) as FisherHeader | FisherPartHeader;
  } catch {
    throw new BadInputError(`${path}: the Fisher file's header is damaged; compute it again.`);
  }
  if (header.version !== FISHER_VERSION)
    throw new BadInputError(
      `${path}: Fisher file version ${header.version}; this scrub reads version ${FISHER_VERSION}. Compute it again.`,
    );
  const part = magic === PART_MAGIC;
  if (part !== 'shard' in header)
    throw new BadInputError(`${path}: the Fisher file's header is damaged; compute it again.`);
  let offset = Math.ceil((12 + len) / 8) * 8;
  const sums = new Map<string, Float64Array>();
  for (const p of header.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (offset + 8 * n > buf.length)
      throw new BadInputError(`${path}: the Fisher file is truncated; compute it again.`);
    const v = new Float64Array(n);
    new Uint8Array(v.buffer).set(buf.subarray(offset, offset + 8 * n));
    sums.set(p.name, v);
    offset += 8 * n;
  }
  if (!('shard' in header)) return { header, sums };
  const [first, end] = header.shard.examples;
  if (buf.length !== offset + DIGEST_BYTES * (end - first))
    throw new BadInputError(`${path}: the Fisher part is truncated; compute it again.`);
  return { header, sums, exampleDigests: new Uint8Array(buf.subarray(offset)) };
}

/**
 * Refuses data `set` (read as `spec`) normalised otherwise than the pixels of the pass that made Fisher
 * file `path`: importances of differently scaled inputs are not comparable, and SSD would dampen by the
 * scale. Files from before the header recorded it, and sets of values taken as stored, are not checked.
 */
export function checkFisherNormalisation(path: string, f: FisherFile, set: Dataset, spec: string): void {
  const made = f.header.data.normalisation;
  const now = set.normalisation;
  if (!made || !now || sameNormalisation(made, now)) return;
  throw new BadInputError(
    `${path}: this Fisher file's pass fed pixels normalised with ${describeNormalisation(made)}, and this run ` +
      `normalises ${spec} with ${describeNormalisation(now)} (--mean/--std, else the model's scrub.mean/scrub.std): ` +
      'importances of differently scaled inputs do not compare. Give the same --mean/--std, or compute the Fisher ' +
      'file again.',
  );
}

/** Refuses a Fisher file of another kind, or computed for another model, other parameters or another batch size. */
export function checkFisher(
  path: string,
  f: FisherFile,
  modelSha: string,
  params: { name: string; shape: number[] }[],
  batchSize: number,
  kind: FisherKind = 'ssd-importance',
): void {
  if (f.header.kind !== kind) {
    const have = KIND_TEXT[f.header.kind];
    const want = KIND_TEXT[kind];
    throw new BadInputError(
      `${path}: this Fisher file holds ${have ? have.what : `"${f.header.kind}"`}, ` +
        `but --method ${want.method} compares ${want.what}. ` +
        `${have ? `Pass --method ${have.method} to use it, or compute` : 'Compute'} one with ${want.make}.`,
    );
  }
  if (f.header.model.sha256 !== modelSha)
    throw new BadInputError(
      `${path}: this Fisher file belongs to another model: it was computed on ${f.header.model.source} ` +
        `(SHA-256 of the model file and its external data ${f.header.model.sha256.slice(0, 12)}…, this model's ` +
        `${modelSha.slice(0, 12)}…: another model, or this one since changed). ` +
        'Compute one for this model with `scrub fisher`.',
    );
  const want = params.map((p) => `${p.name}[${p.shape}]`).join(',');
  const have = f.header.params.map((p) => `${p.name}[${p.shape}]`).join(',');
  if (want !== have)
    throw new BadInputError(
      `${path}: the Fisher file covers other parameters than this run; compute it again with the same --params.`,
    );
  if (f.header.data.batchSize !== batchSize)
    throw new BadInputError(
      `${path}: the Fisher file was computed with batch size ${f.header.data.batchSize}, ` +
        `this run uses ${batchSize}; pass --batch-size ${f.header.data.batchSize} or compute it again.`,
    );
}
