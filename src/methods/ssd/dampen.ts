// Selective Synaptic Dampening (Foster et al., AAAI 2024), per parameter element:
// selected where forget > α·full; there w ← w·min(λ·full/forget, 1), in float64, stored as float32.

export interface SsdHyper {
  alpha: number;
  lambda: number;
}

export interface Dampened {
  weights: Float32Array;
  /** Elements where forget > α·full. */
  selected: number;
  /** Selected elements whose value changed (a factor min(λ·full/forget, 1) of 1, or a weight of 0, keeps it). */
  changed: number;
}

export function dampen(
  weights: Float32Array,
  full: Float64Array,
  forget: Float64Array,
  { alpha, lambda }: SsdHyper,
): Dampened {
  if (full.length !== weights.length || forget.length !== weights.length)
    throw new Error(`importance sizes ${full.length}/${forget.length} do not match ${weights.length} weights`);
  const out = Float32Array.from(weights);
  let selected = 0;
  let changed = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!(forget[i] > alpha * full[i])) continue;
    selected++;
    out[i] = weights[i] * Math.min((lambda * full[i]) / forget[i], 1);
    if (out[i] !== weights[i]) changed++;
  }
  return { weights: out, selected, changed };
}

/** acc += g² elementwise, in float64 (float32 sums over ~860 minibatches flip selections). */
export function accumulateSquares(acc: Float64Array, g: Float32Array): void {
  for (let i = 0; i < g.length; i++) acc[i] += g[i] * g[i];
}

/** acc += |g| elementwise: label-free SSD's importance. */
export function accumulateAbs(acc: Float64Array, g: Float32Array): void {
  for (let i = 0; i < g.length; i++) acc[i] += Math.abs(g[i]);
}

/** Divides every accumulator by the number of minibatches. */
export function meanOver(acc: Float64Array, batches: number): Float64Array {
  for (let i = 0; i < acc.length; i++) acc[i] /= batches;
  return acc;
}
