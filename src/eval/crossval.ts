// Held-out accuracy of logistic regression over given splits (sklearn's cross_val_score with
// scoring='accuracy', for a classifier whose fit is deterministic).
import { fitLogistic, type LogisticOptions, predict } from './logistic.js';
import { type Computed, notComputable } from './result.js';
import type { Split } from './splits.js';

export interface CrossValidation {
  readonly mean: number;
  readonly perSplit: Float64Array;
}

/** Fits on each split's train rows of `x` (n × features) and scores top-1 accuracy on its test rows. */
export function crossValidatedAccuracy(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  splits: readonly Split[],
  options: LogisticOptions = {},
): Computed<CrossValidation> {
  const d = options.features ?? 1;
  if (splits.length === 0) return notComputable('no splits');
  const perSplit = new Float64Array(splits.length);
  for (let s = 0; s < splits.length; s++) {
    const { train, test } = splits[s];
    if (test.length === 0) return notComputable(`split ${s} has no test samples`);
    const fit = fitLogistic(take(x, train, d), take(y, train, 1), options);
    if (!fit.ok) return notComputable(`split ${s}: ${fit.reason}`);
    const predicted = predict(fit.value, take(x, test, d));
    let correct = 0;
    for (let i = 0; i < test.length; i++) if (predicted[i] === y[test[i]]) correct++;
    perSplit[s] = correct / test.length;
  }
  let sum = 0;
  for (const a of perSplit) sum += a;
  return { ok: true, value: { mean: sum / splits.length, perSplit } };
}

function take(a: ArrayLike<number>, rows: Uint32Array, width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < width; j++) out[i * width + j] = a[rows[i] * width + j];
  return out;
}
