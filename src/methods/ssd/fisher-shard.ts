// Sharding the importance pass: shard K of N takes the K-th contiguous range of minibatches, so
// that N parts computed anywhere add up, by `scrub fisher merge`, to the single-pass file.
// With B minibatches, shard K covers [⌊K·B/N⌋, ⌊(K+1)·B/N⌋): every batch once, sizes within one.
import { BadInputError } from '../../core/errors.js';
import type { FisherShard } from './fisher-file.js';

/** K/N, 0-based as Kubernetes' JOB_COMPLETION_INDEX. */
export interface ShardSpec {
  index: number;
  of: number;
}

export const SHARD_FORM =
  "K/N with 0 ≤ K < N, K 0-based (Kubernetes' $JOB_COMPLETION_INDEX), e.g. --shard 0/4 for the first of four parts";

export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new BadInputError(`--shard ${text}: expected ${SHARD_FORM}.`);
  const index = Number(m[1]);
  const of = Number(m[2]);
  if (!Number.isSafeInteger(of) || of < 1)
    throw new BadInputError(`--shard ${text}: N must be a positive number of parts; expected ${SHARD_FORM}.`);
  if (!Number.isSafeInteger(index) || index >= of)
    throw new BadInputError(
      `--shard ${text}: K must be between 0 and ${of - 1} (K is 0-based); expected ${SHARD_FORM}.`,
    );
  return { index, of };
}

/** The minibatches and example positions shard K/N covers in a set of `count` examples. */
export function shardRange(count: number, batchSize: number, s: ShardSpec): FisherShard {
  const total = Math.ceil(count / batchSize);
  const first = Math.floor((s.index * total) / s.of);
  const end = Math.floor(((s.index + 1) * total) / s.of);
  return {
    index: s.index,
    of: s.of,
    batches: [first, end],
    examples: [Math.min(first * batchSize, count), Math.min(end * batchSize, count)],
  };
}

/** "batches 286–571", for messages. */
export function batchSpan([first, end]: readonly [number, number]): string {
  if (end - first === 1) return `batch ${first}`;
  return end > first ? `batches ${first}–${end - 1}` : 'no batches';
}
