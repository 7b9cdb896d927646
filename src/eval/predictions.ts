// Top-1 predictions from logits, and how many of a batch's are right: pure maths over float32
// logits [n, classes] (row-major). For a multi-label batch (multi-hot targets), an example is right
// where every label is (σ(z) > 0.5 ⇔ z > 0: exact match), and its top class is its highest-scoring label.
import type { Batch } from '../data/dataset.js';
import { argmax } from './metrics.js';

/** The top-1 class of each row of logits [n, classes] (torch.argmax's rules: see metrics.ts). */
export function topClasses(logits: Float32Array, classes: number): Int32Array {
  return argmax({ data: logits, dims: [logits.length / classes, classes] });
}

/**
 * Examples whose top-1 class is their label, or, for multi-hot targets [n·classes], whose labels are
 * all predicted right at 0.5 (exact match); 0 for a batch without labels.
 */
export function countCorrect(
  logits: Float32Array,
  batch: Pick<Batch, 'labelled' | 'y' | 'targets'>,
  classes: number,
): number {
  if (batch.labelled === false) return 0;
  let correct = 0;
  if (batch.targets) {
    const t = batch.targets;
    for (let i = 0; i < t.length / classes; i++) {
      let all = true;
      for (let k = i * classes; k < (i + 1) * classes && all; k++) all = logits[k] > 0 === t[k] >= 0.5;
      if (all) correct++;
    }
    return correct;
  }
  topClasses(logits, classes).forEach((c, i) => {
    if (BigInt(c) === batch.y[i]) correct++;
  });
  return correct;
}
