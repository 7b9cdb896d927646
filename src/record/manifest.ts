// The forget-set manifest of a record: salted SHA-256 per example and their Merkle root, never raw data.
import type { Batch, SkippedExample } from '../data/dataset.js';
import { exampleDigests, hex, merkleRoot } from '../data/digest.js';
import { newSalt } from './record.js';

export class ManifestBuilder {
  readonly salt = newSalt();
  private readonly digests: Uint8Array[] = [];

  add(batch: Batch): void {
    for (const d of exampleDigests(batch, Buffer.from(this.salt, 'hex'))) this.digests.push(d);
  }

  /**
   * The manifest of the batches added; `skipped`: the examples of the set left out under
   * --on-bad-input skip (the set's skippedExamples), which it names as not forgotten.
   */
  build(
    source: string,
    skipped: readonly SkippedExample[] = [],
  ): {
    source: string;
    count: number;
    skipped: SkippedExample[];
    salt: string;
    exampleHashes: string[];
    merkleRoot: string;
    hashing: string;
  } {
    return {
      source,
      count: this.digests.length,
      skipped: [...skipped],
      salt: this.salt,
      exampleHashes: this.digests.map(hex),
      merkleRoot: hex(merkleRoot(this.digests)),
      hashing:
        'SHA-256(salt ‖ label as int64 LE ‖ model input bytes after preprocessing); ' +
        'Merkle root: pairwise SHA-256(left ‖ right), an odd node carried up',
    };
  }
}
