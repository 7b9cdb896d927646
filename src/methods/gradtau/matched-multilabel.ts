// ∇τ's default objective on a multi-label head ('matched-multilabel'; the 'matched' loss swaps to it
// there, matched-loss.ts): the same feeds and the same sum, with the head's own loss per example.
// Against targets T [N, C] (multi-hot, or soft in [0, 1]), per example the mean over its C labels of
// the binary cross-entropy with logits (BCEWithLogitsLoss, as multi-label-bce and eval/multilabel.ts)
//   ℓᵢ = (1/C)·Σₖ [max(zᵢₖ, 0) − Tᵢₖ·zᵢₖ + ln(1 + e^−|zᵢₖ|)],
// summed with per-example weights w, match weights v and target log-odds g [N] as
//   L = Σᵢ wᵢ·ℓᵢ + ½·vᵢ·(G(ℓᵢ) − gᵢ)²,   G(ℓ) = ℓ + ln(1 − e^−ℓ + f),  f = MATCHED_LOSS_FLOOR (log-odds.ts)
// (e^−ℓᵢ is the geometric mean over the labels of the likelihood of Tᵢ, so G is the log-odds of
// missing it, as the softmax form's ln((1 − p_y)/p_y)). With ∂ℓᵢ/∂zᵢₖ = (σ(zᵢₖ) − Tᵢₖ)/C and
//   G′(ℓ) = 1 + e^−ℓ/(1 − e^−ℓ + f) = (1 + f)/(1 − e^−ℓ + f),
// the seed is
//   ∂L/∂zᵢₖ = (wᵢ + vᵢ·(G(ℓᵢ) − gᵢ)·(1 + f)/(1 − e^−ℓᵢ + f))·(σ(zᵢₖ) − Tᵢₖ)/C.
// Unlike the softmax form this holds for any Tᵢ (1 − e^−ℓ is taken from ℓ itself, not from the
// probabilities of the other classes). A row fed zeros (w = v = g = 0, T = 0) adds 0 to L and to the
// seed: ℓ and G stay finite (1 − e^−ℓ + f ≥ f), so a fixed batch's padded rows add nothing.
//
// Float32, for confident examples (where the pull matters most, every |z| large and ℓ → 0):
//   - ln(1 + u), u = e^−|z|, is taken as u·ln(1 + u)/((1 + u) − 1), and u where 1 + u rounds to 1:
//     ln(1 + u) alone gives 0 once u < 6e-8 (|z| > 16.6), and ℓ would vanish with the pull's signal;
//   - 1 − e^−ℓ = −expm1(−ℓ): 1 − q with q = e^−ℓ rounded carries q's absolute error (up to 3e-8), 3% of
//     the floor f, and is 0 once ℓ < 3e-8 (q rounds to 1). It is taken as
//     (1 − q)·ℓ/(−ln q) (the error of q cancels in the ratio, to a few ulps), ℓ where q rounds to 1,
//     and 1 − q where ℓ > ½ (no cancellation there; ln q would be −∞ once q underflows, ℓ > 103);
//   - σ(z) − T is taken as (1 − T)·σ(z) − T·σ(−z) with σ(±|z|) = (1 or u)/(1 + u): σ(z) − 1 rounds to 0
//     once z > 17, and ONNX Runtime's Sigmoid is accurate in absolute terms only (4e-8 off at σ(−12) =
//     6e-6, 0.6%), where u/(1 + u) keeps a few ulps.
// Beyond that G flattens at ln f as 1 − e^−ℓ falls below f = 1e-6, as in the softmax form.
import { registerLoss } from '../../autodiff/losses/index.js';
import { BadInputError } from '../../core/errors.js';
import { MATCHED_LOSS_FLOOR, matchedTerms } from './log-odds.js';

export const matchedMultiLabel = registerLoss({
  name: 'matched-multilabel',
  description:
    "∇τ's default objective on a multi-label head: weighted mean binary cross-entropy over the labels " +
    'and a pull of each loss to a target',
  reduction: 'sum',
  heads: ['multi-label'],
  inputs: [
    { key: 'targets', dtype: 'float32', shape: 'batch×classes' },
    { key: 'weights', dtype: 'float32', shape: 'batch' },
    { key: 'match_weights', dtype: 'float32', shape: 'batch' },
    { key: 'target_log_odds', dtype: 'float32', shape: 'batch' },
  ],
  build(b, z, i, classes) {
    const t = i.targets;
    const one = b.scalar(1);
    const zero = b.scalar(0);
    // ln(1 + e^−|z|), exact to a few ulps however small e^−|z| is
    const u = b.op('Exp', [b.op('Neg', [b.op('Abs', [z])])]);
    const w1 = b.op('Add', [one, u]);
    const d = b.op('Sub', [w1, one]);
    const softplus = b.op('Where', [
      b.op('Equal', [d, zero]),
      u,
      b.op('Div', [b.op('Mul', [u, b.op('Log', [w1])]), d]),
    ]);
    const entries = b.op('Add', [b.op('Sub', [b.op('Relu', [z]), b.op('Mul', [t, z])]), softplus]);
    const perSample = b.reduce('ReduceMean', entries, [1], false);
    // 1 − e^−ℓ = −expm1(−ℓ), to a few ulps (see above)
    const q = b.op('Exp', [b.op('Neg', [perSample])]);
    const oneMinusQ = b.op('Sub', [one, q]);
    const ratio = b.op('Div', [b.op('Mul', [oneMinusQ, perSample]), b.op('Neg', [b.op('Log', [q])])]);
    const small = b.op('Where', [b.op('Equal', [q, one]), perSample, ratio]);
    const missRaw = b.op('Where', [b.op('Greater', [perSample, b.scalar(0.5)]), oneMinusQ, small]);
    const miss = b.op('Add', [missRaw, b.scalar(MATCHED_LOSS_FLOOR)]);
    const { loss, pullCoef } = matchedTerms(b, i, perSample, miss);
    // (wᵢ + vᵢ·gapᵢ·(1 + f)/missᵢ)/C per row, times σ(z) − T = (1 − T)·σ(z) − T·σ(−z)
    const coef = b.op('Div', [b.op('Add', [i.weights, pullCoef]), b.scalar(classes)]);
    // σ(z) = a/(1 + u) and σ(−z) = b/(1 + u), with (a, b) = (1, u) where z > 0, else (u, 1)
    const pos = b.op('Greater', [z, zero]);
    const a = b.op('Where', [pos, one, u]);
    const bb = b.op('Where', [pos, u, one]);
    const dir = b.op('Div', [b.op('Sub', [b.op('Mul', [b.op('Sub', [one, t]), a]), b.op('Mul', [t, bb])]), w1]);
    const dLogits = b.op('Mul', [b.unsqueeze(coef, [1]), dir]);
    return { loss, perSample, dLogits };
  },
  check(feeds, n, classes, source) {
    const bad =
      feeds.targets.length !== n * classes ||
      ['weights', 'match_weights', 'target_log_odds'].some((k) => feeds[k].length !== n);
    if (bad)
      throw new BadInputError(
        `loss matched-multilabel: a batch of ${n} needs targets of ${n}×${classes} and per-sample arrays of ${n}.`,
      );
    const t = feeds.targets;
    for (let k = 0; k < t.length; k++)
      if (!(Number(t[k]) >= 0 && Number(t[k]) <= 1))
        throw new BadInputError(
          `${source}: example ${Math.floor(k / classes)} has target ${t[k]} for label ${k % classes}; ` +
            'targets of a multi-label head lie in [0, 1].',
        );
  },
});
