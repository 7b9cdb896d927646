// The labels a batch feeds the loss its model's head calls for: class indices (`labels`) for a
// single-label head, multi-hot rows (`targets`) for a multi-label one (graph/head.ts); a set whose
// labels do not fit the head is refused in one line that says what to do.
import { BadInputError } from '../core/errors.js';
import type { Batch } from '../data/dataset.js';
import type { LossFeeds } from '../runtime/gradient.js';

/**
 * Throws BadInputError where a batch's labels do not fit the head: multi-hot labels for a single-label
 * head, or class indices (or none) for a multi-label one. `source` names the set.
 */
export function checkHeadLabels(batch: Pick<Batch, 'targets' | 'labelled'>, source: string, multiLabel: boolean): void {
  if (multiLabel && !batch.targets)
    throw new BadInputError(
      `${source}: a multi-label head needs multi-hot labels [N, C] (y.npy of shape [N, C], or JSON Lines ` +
        `"y": [0, 1, …]); this set has ${batch.labelled ? 'class indices' : 'no labels'}.`,
    );
  if (!multiLabel && batch.targets)
    throw new BadInputError(
      `${source}: the labels are multi-hot [N, C], and the model's head is single-label; pass --multi-label if ` +
        'the model scores each label with its own sigmoid.',
    );
}

/** The loss feeds of a batch's labels: `{ targets }` (multi-hot, [n·C]) where it has them, else `{ labels }`. */
export function labelFeeds(batch: Pick<Batch, 'targets' | 'y'>): LossFeeds {
  return batch.targets ? { targets: batch.targets } : { labels: batch.y };
}
