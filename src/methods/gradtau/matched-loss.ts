// ∇τ's default objective as one loss of the registry ('matched'), so that one gradient run per step
// takes the forget batch and the retain batch together. Per example, against soft targets T [N, C]
// (rows sum to 1): ℓᵢ = −Σₖ Tᵢₖ·log pᵢₖ, summed as
//   L = Σᵢ wᵢ·ℓᵢ + ½·vᵢ·(G(ℓᵢ) − gᵢ)²,   G(ℓ) = ℓ + ln(1 − e^−ℓ + f) ≈ ln(e^ℓ − 1),  f = MATCHED_LOSS_FLOOR
// with per-example weights w, match weights v and target log-odds g [N]; seed
//   (wᵢ + vᵢ·(G(ℓᵢ) − gᵢ)·(1 + f)/(1 − e^−ℓᵢ + f))·(pᵢ − Tᵢ).
// The pull assumes one-hot Tᵢ (then 1 − e^−ℓ = 1 − p_y). One batch mixes plain descent (w),
// soft-target descent and pulling a loss to a target value (v, g).
// On a multi-label head it is swapped for 'matched-multilabel' (matched-multilabel.ts), the same
// objective with the mean binary cross-entropy over the labels as ℓᵢ.
import { registerLoss, type LossFeeds } from '../../autodiff/losses/index.js';
import { BadInputError } from '../../core/errors.js';
import { MATCHED_LOSS_FLOOR, matchedTerms } from './log-odds.js';
import { matchedMultiLabel } from './matched-multilabel.js';

export { lossLogOdds, MATCHED_LOSS_FLOOR } from './log-odds.js';

/** A batch of the 'matched' loss: soft targets [N·C] row-major, and w, v, g [N]. */
export interface MatchedBatch {
  targets: Float32Array;
  weights: Float32Array;
  matchWeights: Float32Array;
  targetLogOdds: Float32Array;
}

/** The feeds of GradientModel.run for a MatchedBatch. */
export function matchedFeeds(m: MatchedBatch): LossFeeds {
  return {
    targets: m.targets,
    weights: m.weights,
    match_weights: m.matchWeights,
    target_log_odds: m.targetLogOdds,
  };
}

export const matched = registerLoss({
  name: 'matched',
  description: "∇τ's default objective: weighted soft-target cross-entropy and a pull of each loss to a target",
  reduction: 'sum',
  swap: { 'multi-label': matchedMultiLabel.name },
  inputs: [
    { key: 'targets', dtype: 'float32', shape: 'batch×classes' },
    { key: 'weights', dtype: 'float32', shape: 'batch' },
    { key: 'match_weights', dtype: 'float32', shape: 'batch' },
    { key: 'target_log_odds', dtype: 'float32', shape: 'batch' },
  ],
  build(b, logits, i) {
    const logp = b.op('LogSoftmax', [logits], { axis: 1 });
    const p = b.op('Exp', [logp]);
    const perSample = b.op('Neg', [b.reduce('ReduceSum', b.op('Mul', [i.targets, logp]), [1], false)]);
    // The pull acts on G(ℓ) = ln(e^ℓ − 1) = ℓ + ln(1 − p_y): like ln ℓ for confident examples (so it does
    // not vanish as ℓ → 0) and like ℓ for hard ones (so the tail, which decides accuracy, is not
    // under-weighted). 1 − p_y is summed from the other classes' probabilities, exact in float32
    // where 1 − e^−ℓ would cancel.
    const off = b.op('Mul', [p, b.op('Sub', [b.scalar(1), i.targets])]);
    const missRaw = b.reduce('ReduceSum', off, [1], false);
    const miss = b.op('Add', [missRaw, b.scalar(MATCHED_LOSS_FLOOR)]);
    const { loss, pullCoef } = matchedTerms(b, i, perSample, miss);
    // With one-hot T, miss = 1 − p_y + f and dG/dz = (p − T)·(1 + f)/miss. p − T is taken as
    // p·(1 − T) − T·(1 − p_y): p_y − 1 rounds to 0 in float32 once 1 − p_y < 6e-8, where the pull is strongest.
    const pullDir = b.op('Sub', [off, b.op('Mul', [i.targets, b.unsqueeze(missRaw, [1])])]);
    const dLogits = b.op('Add', [
      b.op('Mul', [b.unsqueeze(i.weights, [1]), b.op('Sub', [p, i.targets])]),
      b.op('Mul', [b.unsqueeze(pullCoef, [1]), pullDir]),
    ]);
    return { loss, perSample, dLogits };
  },
  check(feeds, n, classes) {
    const bad =
      feeds.targets.length !== n * classes ||
      ['weights', 'match_weights', 'target_log_odds'].some((k) => feeds[k].length !== n);
    if (bad)
      throw new BadInputError(
        `loss matched: a batch of ${n} needs targets of ${n}×${classes} and per-sample arrays of ${n}.`,
      );
  },
});
