// Batches as the readers hand them out (dataset.ts, text.ts): multi-hot batches' y (all NO_LABEL by
// design) are remembered, so that checkLabelRange lets them pass.
import type { HostTensor } from '../core/tensor.js';
import type { Batch } from './types.js';

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
