// What the forget set should look like after unlearning, taken from the data alone (∇τ's default
// schedule). Pure functions over typed arrays.
//
// A retrained model never saw the forget set, so:
//   - an example of a class that still has retain examples should be as familiar as held-out data:
//     its loss is pulled to the held-out (val) loss of the same rank (rankMatchedTargets);
//   - an example of a class with no retain examples left (the class itself is forgotten) should be
//     classed as the model would class it without that class: its target is the model's softmax
//     over the remaining classes, renormalised (softTargetsWithout).

/** Classes that have forget examples and no retain examples: the classes being forgotten. */
export function forgottenClasses(forget: BigInt64Array, retain: BigInt64Array, classes: number): number[] {
  const inRetain = new Uint8Array(classes);
  for (const y of retain) inRetain[Number(y)] = 1;
  const out = new Set<number>();
  for (const y of forget) if (!inRetain[Number(y)]) out.add(Number(y));
  return [...out].sort((a, b) => a - b);
}

/** The q-quantile (0 ≤ q ≤ 1) of ascending `sorted`, linearly interpolated (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty set');
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Per-example target losses: the example of rank r (0-based, ascending loss; ties by index) among
 * the n `losses` gets the held-out loss at quantile (r + ½)/n. The forget set's loss distribution
 * becomes the held-out one, with each example keeping its place in it.
 */
export function rankMatchedTargets(losses: ArrayLike<number>, heldOut: ArrayLike<number>): Float32Array {
  const n = losses.length;
  const sorted = Float64Array.from(heldOut).sort();
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => losses[a] - losses[b] || a - b);
  const out = new Float32Array(n);
  order.forEach((i, r) => {
    out[i] = quantile(sorted, (r + 0.5) / n);
  });
  return out;
}

/**
 * The `count` examples farthest from their targets: a mask [n] with 1 on the `count` largest `gaps`
 * (ties by lower index). ∇τ's default schedule visits these in each epoch after its first ones
 * (schedule.ts DEFAULT_FOCUS), the gap being |G(ℓ) − G(t)| in log-odds, ℓ the example's loss when its
 * batch last ran. Throws RangeError for a count outside 0 … n.
 */
export function focusOnFarthest(gaps: ArrayLike<number>, count: number): Uint8Array {
  const n = gaps.length;
  if (!Number.isInteger(count) || count < 0 || count > n)
    throw new RangeError(`focusOnFarthest: count ${count} outside 0 … ${n}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => gaps[b] - gaps[a] || a - b);
  const mask = new Uint8Array(n);
  for (let r = 0; r < count; r++) mask[order[r]] = 1;
  return mask;
}

/** softmax(logits) over the classes not in `removed`, zero on the removed ones; rows of `classes`. */
export function softTargetsWithout(logits: Float32Array, classes: number, removed: readonly number[]): Float32Array {
  const out = new Float32Array(logits.length);
  const keep = Array.from({ length: classes }, (_, k) => !removed.includes(k));
  for (let r = 0; r < logits.length / classes; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    let max = -Infinity;
    for (let k = 0; k < classes; k++) if (keep[k] && row[k] > max) max = row[k];
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += keep[k] ? Math.exp(row[k] - max) : 0;
    for (let k = 0; k < classes; k++) out[r * classes + k] = keep[k] ? Math.exp(row[k] - max) / sum : 0;
  }
  return out;
}

/**
 * Labels of multi-hot sets (rows of `classes`, 0/1) that forget examples carry and no retain example
 * does: the labels being forgotten (every "love" comment of GoEmotions' label18 scenario).
 */
export function forgottenLabels(forget: Float32Array, retain: Float32Array, classes: number): number[] {
  const inRetain = new Uint8Array(classes);
  for (let k = 0; k < retain.length; k++) if (retain[k] >= 0.5) inRetain[k % classes] = 1;
  const out = new Set<number>();
  for (let k = 0; k < forget.length; k++) if (forget[k] >= 0.5 && !inRetain[k % classes]) out.add(k % classes);
  return [...out].sort((a, b) => a - b);
}

/**
 * σ(logits) on the labels not in `removed`, 0 on the removed ones; rows of `classes`: what a model
 * without the removed labels would answer, the multi-label counterpart of softTargetsWithout.
 */
export function sigmoidTargetsWithout(logits: Float32Array, classes: number, removed: readonly number[]): Float32Array {
  const out = new Float32Array(logits.length);
  const gone = new Uint8Array(classes);
  for (const k of removed) gone[k] = 1;
  for (let k = 0; k < logits.length; k++) out[k] = gone[k % classes] ? 0 : 1 / (1 + Math.exp(-logits[k]));
  return out;
}
