// Batches as the readers hand them out (dataset.ts, text.ts): multi-hot batches' y (all NO_LABEL by
// design) are remembered, so that checkLabelRange lets them pass.
import type { HostTensor } from '../core/tensor.js';
import { BadInputError } from '../core/errors.js';
import type { Batch, DataNote, SkippedExample } from './types.js';

/** The y of multi-hot batches (all NO_LABEL by design), which checkLabelRange lets pass. */
export const multiHotY = new WeakSet<BigInt64Array>();

export function batchOf(
  x: HostTensor,
  y: BigInt64Array,
  targets: Float32Array | undefined,
  labelled: boolean,
  index: number[],
  inputs?: Record<string, HostTensor>,
): Batch {
  const named = inputs ? { inputs } : {};
  if (!targets) return { x, ...named, y, labelled, index };
  multiHotY.add(y);
  return { x, ...named, y, targets, labelled, index };
}

/**
 * What a reader does with an example it cannot use (`error`): under onBadInput 'stop' a BadInputError
 * that says how to go on; under 'skip' one note per position (`skippedAt` remembers them, with why).
 */
export function badExample(
  error: string,
  position: number,
  stop: boolean,
  skippedAt: Map<number, string>,
  onNote: (note: DataNote) => void,
): void {
  if (stop)
    throw new BadInputError(`${error}. Fix or remove it, or pass --on-bad-input skip to leave such examples out.`);
  if (!skippedAt.has(position)) {
    skippedAt.set(position, error);
    onNote({ kind: 'skip', message: `skipped: ${error}`, position });
  }
}

/** The examples a reader left out (badExample's `skippedAt`), in the order read. */
export function skippedExamples(skippedAt: ReadonlyMap<number, string>): SkippedExample[] {
  return [...skippedAt].map(([position, reason]) => ({ position, reason }));
}
