// The forget-set manifest of a record: salted SHA-256 per example and their Merkle root, never raw data.
import type { Batch } from '../data/dataset.js';
import { exampleDigests, hex, merkleRoot } from '../data/digest.js';
import { newSalt } from './record.js';

export class ManifestBuilder {
  readonly salt = newSalt();
  private readonly digests: Uint8Array[] = [];

  add(batch: Batch): void {
    for (const d of exampleDigests(batch, Buffer.from(this.salt, 'hex'))) this.digests.push(d);
  }

  build(source: string): {
    source: string;
    count: number;
    salt: string;
    exampleHashes: string[];
    merkleRoot: string;
    hashing: string;
  } {
    return {
      source,
      count: this.digests.length,
      salt: this.salt,
      exampleHashes: this.digests.map(hex),
      merkleRoot: hex(merkleRoot(this.digests)),
      hashing:
        'SHA-256(salt ‖ label as int64 LE ‖ model input bytes after preprocessing); ' +
        'Merkle root: pairwise SHA-256(left ‖ right), an odd node carried up',
    };
  }
}
