// Top-1 predictions from logits, and how many of a batch's are right: pure maths over float32
// logits [n, classes] (row-major).
import type { Batch } from '../data/dataset.js';
import { argmax } from './metrics.js';

/** The top-1 class of each row of logits [n, classes] (torch.argmax's rules: see metrics.ts). */
export function topClasses(logits: Float32Array, classes: number): Int32Array {
  return argmax({ data: logits, dims: [logits.length / classes, classes] });
}

/** Examples whose top-1 class is their label; 0 for a batch without labels. */
export function countCorrect(logits: Float32Array, batch: Pick<Batch, 'labelled' | 'y'>, classes: number): number {
  if (batch.labelled === false) return 0;
  let correct = 0;
  topClasses(logits, classes).forEach((c, i) => {
    if (BigInt(c) === batch.y[i]) correct++;
  });
  return correct;
}
