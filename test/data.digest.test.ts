// Content digests: canonical bytes, salt, set digest order, Merkle root; same content, same digest
// whatever file format it came from.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDataset, type Batch } from '../src/data/dataset.js';
import { exampleDigest, exampleDigests, hex, merkleRoot, SetDigest, setDigest } from '../src/data/digest.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const BATCH = new URL('./fixtures/batch/', import.meta.url).pathname;
const input = { dtype: 1, dims: ['batch', 1, 28, 28] };

async function digestsOf(spec: string, mean?: number[], std?: number[], salt?: string) {
  const ds = await openDataset(spec, { input, mean, std });
  const out: Uint8Array[] = [];
  for await (const b of ds.batches(10)) out.push(...exampleDigests(b as Batch, salt));
  return out;
}

describe('digests', () => {
  it('an example digest is SHA-256(salt ‖ int64 LE label ‖ input bytes LE)', () => {
    const x = Float32Array.from([1, -2.5]);
    const bytes = Buffer.alloc(8 + 8);
    bytes.writeBigInt64LE(3n, 0);
    bytes.writeFloatLE(1, 8);
    bytes.writeFloatLE(-2.5, 12);
    expect(hex(exampleDigest(x, 3n))).toBe(hex(sha(bytes)));
    expect(hex(exampleDigest(x, 3n, 'pepper'))).toBe(hex(sha(Buffer.from('pepper'), bytes)));
    expect(hex(exampleDigest(x, 3n, Buffer.from('pepper')))).toBe(hex(sha(Buffer.from('pepper'), bytes)));
    expect(hex(exampleDigest(x, 4n))).not.toBe(hex(exampleDigest(x, 3n)));
    const ids = BigInt64Array.from([7n, 50256n]);
    const idBytes = Buffer.alloc(24);
    idBytes.writeBigInt64LE(1n, 0);
    idBytes.writeBigInt64LE(7n, 8);
    idBytes.writeBigInt64LE(50256n, 16);
    expect(hex(exampleDigest(ids, 1n))).toBe(hex(sha(idBytes)));
  });

  it.skipIf(noFashionMnist)(
    'the same examples from IDX and from x.npy/y.npy have the same digests (after preprocessing)',
    async () => {
      const fromIdx = await digestsOf(`${FM}/t10k-images-idx3-ubyte.gz@0:64`, [0.286], [0.353]);
      const fromNpy = await digestsOf(`${BATCH}x.npy,${BATCH}y.npy`);
      expect(fromIdx.map(hex)).toEqual(fromNpy.map(hex));
      expect(new Set(fromIdx.map(hex)).size).toBe(64);
      const salted = await digestsOf(`${BATCH}x.npy,${BATCH}y.npy`, undefined, undefined, 'audit-salt');
      expect(salted.map(hex)).not.toEqual(fromNpy.map(hex));
      const unnormalised = await digestsOf(`${FM}/t10k-images-idx3-ubyte.gz@0:64`);
      expect(unnormalised[0]).not.toEqual(fromIdx[0]); // the digest covers the preprocessed input
    },
  );

  it('the set digest is SHA-256 over the example digests in order', () => {
    const d = [1, 2, 3].map((i) => sha(Uint8Array.of(i)));
    expect(hex(setDigest(d))).toBe(hex(sha(...d)));
    expect(hex(setDigest([d[1], d[0], d[2]]))).not.toBe(hex(setDigest(d)));
    const s = new SetDigest();
    d.forEach((v) => s.add(v));
    expect(s.count).toBe(3);
    expect(hex(s.digest())).toBe(hex(setDigest(d)));
  });

  it('the Merkle root pairs digests level by level and carries an odd one up', () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((i) => sha(Uint8Array.of(i)));
    expect(hex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(merkleRoot([a])).toEqual(a);
    expect(merkleRoot([a, b])).toEqual(sha(a, b));
    expect(merkleRoot([a, b, c])).toEqual(sha(sha(a, b), c));
    expect(merkleRoot([a, b, c, d])).toEqual(sha(sha(a, b), sha(c, d)));
    expect(merkleRoot([a, b, c, d, e])).toEqual(sha(sha(sha(a, b), sha(c, d)), e));
  });
});
