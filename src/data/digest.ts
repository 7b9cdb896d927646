// Content digests of examples, for manifests and audit records.
//
// exampleDigest = SHA-256( salt ‖ label as int64 little-endian ‖ the example's model input bytes,
//                          little-endian, in the input's dtype after preprocessing )
//                 multi-hot labels (Batch.targets): SHA-256( salt ‖ int64 LE NO_LABEL (−1) ‖ the
//                 example's C targets as float32 little-endian ‖ input bytes ); class-index and
//                 unlabelled examples have no targets, and their digests are as above.
// setDigest     = SHA-256( d₀ ‖ d₁ ‖ … ) over the example digests in set order: order-sensitive.
// merkleRoot    = pairwise SHA-256(left ‖ right) level by level; an odd last node is carried up
//                 unchanged; one digest is its own root; no digests: SHA-256 of nothing.
//                 Leaves are the (salted) example digests as they are, not hashed again.
import { createHash, type Hash } from 'node:crypto';
import type { TensorData } from '../core/tensor.js';
import type { Batch } from './dataset.js';

const bytesOf = (a: TensorData) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndian(a: TensorData): Uint8Array {
  const b = bytesOf(a);
  if (LITTLE || a.BYTES_PER_ELEMENT === 1) return b;
  const out = new Uint8Array(b.length);
  const k = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < b.length; i += k) for (let j = 0; j < k; j++) out[i + j] = b[i + k - 1 - j];
  return out;
}

const saltBytes = (salt?: Uint8Array | string) => (typeof salt === 'string' ? new TextEncoder().encode(salt) : salt);

/**
 * SHA-256 of one example's canonical bytes, with an optional salt prefix (a string is UTF-8);
 * `targets`: the example's multi-hot labels (its label then NO_LABEL), hashed after the label. `x` is
 * the example's input, or the list of its inputs (a model with several, in the model's order).
 */
export function exampleDigest(
  x: TensorData | readonly TensorData[],
  label: bigint,
  salt?: Uint8Array | string,
  targets?: Float32Array,
): Uint8Array {
  const h = createHash('sha256');
  const s = saltBytes(salt);
  if (s) h.update(s);
  h.update(littleEndian(BigInt64Array.of(label)));
  if (targets) h.update(littleEndian(targets));
  for (const part of Array.isArray(x) ? (x as readonly TensorData[]) : [x as TensorData]) h.update(littleEndian(part));
  return new Uint8Array(h.digest());
}

/**
 * The digest of every example of a batch, in order (with its multi-hot targets where it has them, and
 * every input of a batch of several, Batch.inputs).
 */
export function exampleDigests(batch: Batch, salt?: Uint8Array | string): Uint8Array[] {
  const n = batch.y.length;
  const t = batch.targets;
  const width = t && n ? t.length / n : 0;
  const inputs = Object.values(batch.inputs ?? { x: batch.x });
  const row = (x: Batch['x'], i: number) => {
    const per = n ? x.data.length / n : 0;
    return x.data.subarray(i * per, (i + 1) * per) as TensorData;
  };
  return Array.from({ length: n }, (_, i) =>
    exampleDigest(
      inputs.length === 1 ? row(inputs[0], i) : inputs.map((x) => row(x, i)),
      batch.y[i],
      salt,
      t?.subarray(i * width, (i + 1) * width),
    ),
  );
}

/** Order-sensitive digest of a set, fed one example digest at a time. */
export class SetDigest {
  private readonly hash: Hash = createHash('sha256');
  count = 0;

  add(digest: Uint8Array): this {
    this.hash.update(digest);
    this.count++;
    return this;
  }

  digest(): Uint8Array {
    return new Uint8Array(this.hash.digest());
  }
}

export function setDigest(digests: Iterable<Uint8Array>): Uint8Array {
  const s = new SetDigest();
  for (const d of digests) s.add(d);
  return s.digest();
}

export function merkleRoot(digests: readonly Uint8Array[]): Uint8Array {
  if (!digests.length) return new Uint8Array(createHash('sha256').digest());
  let level = digests;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(
        new Uint8Array(
          createHash('sha256')
            .update(level[i])
            .update(level[i + 1])
            .digest(),
        ),
      );
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

export const hex = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
