// The log-odds of a loss that ∇τ's default objective pulls (matched-loss.ts, matched-multilabel.ts):
//   G(ℓ) = ℓ + ln(1 − e^−ℓ + f) ≈ ln(e^ℓ − 1),   f = MATCHED_LOSS_FLOOR,
//   G′(ℓ) = 1 + e^−ℓ/(1 − e^−ℓ + f) = (1 + f)/(1 − e^−ℓ + f).
// Like ln ℓ for confident examples (the pull does not vanish as ℓ → 0), like ℓ for hard ones.
import type { GraphBuilder } from '../../autodiff/builder.js';

/** Added to 1 − e^−ℓ in G, which then flattens out where float32 cannot resolve 1 − e^−ℓ. */
export const MATCHED_LOSS_FLOOR = 1e-6;

/** G(ℓ) = ℓ + ln(1 − e^−ℓ + floor) ≈ ln(e^ℓ − 1), the log-odds of a loss ℓ (float64). */
export function lossLogOdds(loss: number): number {
  return loss + Math.log(-Math.expm1(-loss) + MATCHED_LOSS_FLOOR);
}

/** The graph values of the matched losses' feeds by key: weights, match_weights, target_log_odds (and targets). */
export type MatchedInputs = Readonly<Record<string, string>>;

/**
 * The terms both matched losses share, from per-example losses ℓ [N] and miss = 1 − e^−ℓ + f [N]:
 * the loss L = Σᵢ wᵢ·ℓᵢ + ½·vᵢ·(G(ℓᵢ) − gᵢ)² with G(ℓ) = ℓ + ln(miss), and the pull's coefficient
 * vᵢ·(G(ℓᵢ) − gᵢ)·(1 + f)/missᵢ, by which dG/dℓ scales each example's dℓ/dz.
 */
export function matchedTerms(
  b: GraphBuilder,
  i: MatchedInputs,
  perSample: string,
  miss: string,
): { loss: string; pullCoef: string } {
  const gap = b.op('Sub', [b.op('Add', [perSample, b.op('Log', [miss])]), i.target_log_odds]);
  const plain = b.op('Mul', [i.weights, perSample]);
  const pull = b.op('Mul', [b.op('Mul', [i.match_weights, b.op('Mul', [gap, gap])]), b.scalar(0.5)]);
  const loss = b.reduce('ReduceSum', b.op('Add', [plain, pull]), [0], false);
  const pullCoef = b.op('Div', [
    b.op('Mul', [b.op('Mul', [i.match_weights, gap]), b.scalar(1 + MATCHED_LOSS_FLOOR)]),
    miss,
  ]);
  return { loss, pullCoef };
}
