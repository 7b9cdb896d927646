// The log-odds of a loss that ∇τ's default objective pulls (matched-loss.ts, matched-multilabel.ts):
//   G(ℓ) = ℓ + ln(1 − e^−ℓ + f) ≈ ln(e^ℓ − 1),   f = MATCHED_LOSS_FLOOR,
//   G′(ℓ) = 1 + e^−ℓ/(1 − e^−ℓ + f) = (1 + f)/(1 − e^−ℓ + f).
// Like ln ℓ for confident examples (the pull does not vanish as ℓ → 0), like ℓ for hard ones.

/** Added to 1 − e^−ℓ in G, which then flattens out where float32 cannot resolve 1 − e^−ℓ. */
export const MATCHED_LOSS_FLOOR = 1e-6;

/** G(ℓ) = ℓ + ln(1 − e^−ℓ + floor) ≈ ln(e^ℓ − 1), the log-odds of a loss ℓ (float64). */
export function lossLogOdds(loss: number): number {
  return loss + Math.log(-Math.expm1(-loss) + MATCHED_LOSS_FLOOR);
}
