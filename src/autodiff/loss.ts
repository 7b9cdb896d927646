// Losses appended to the forward graph, each with its gradient seed dL/dlogits written directly.
//   cross-entropy: mean cross-entropy of logits [N, C] against int64 labels [N]; seed (softmax − onehot) / N.
//   logit-norm:    mean over the batch of the squared L2 norm of the logits (LF-SSD); seed 2·z / N.
//   matched:       per-sample cross-entropy ℓᵢ = −Σₖ Tᵢₖ·log pᵢₖ against soft targets T [N, C] (rows sum to
//                  1), summed as Σᵢ wᵢ·ℓᵢ + ½·vᵢ·(G(ℓᵢ) − gᵢ)² with per-sample w, v and target
//                  log-odds g [N], G(ℓ) = ℓ + ln(1 − e^−ℓ + f) (≈ ln(e^ℓ − 1); f = MATCHED_LOSS_FLOOR);
//                  seed (wᵢ + vᵢ·(G(ℓᵢ) − gᵢ)·(1 + f)/(1 − e^−ℓᵢ + f))·(pᵢ − Tᵢ). The pull assumes
//                  one-hot Tᵢ (then 1 − e^−ℓ = 1 − p_y). One batch mixes plain descent (w), soft-target descent
//                  and pulling a loss to a target value (v, t): ∇τ's default objective in one run.
import { DataType } from '../graph/ir.js';
import type { GraphBuilder } from './builder.js';

export type LossKind = 'cross-entropy' | 'logit-norm' | 'matched';
export const LOSS_KINDS: readonly LossKind[] = ['cross-entropy', 'logit-norm', 'matched'];

export interface LossValues {
  loss: string;
  perSample: string;
  dLogits: string;
}

export function crossEntropy(b: GraphBuilder, logits: string, labels: string, classes: number): LossValues {
  const axis = 1;
  const y1 = b.unsqueeze(labels, [1]);
  const logp = b.op('LogSoftmax', [logits], { axis });
  const picked = b.op('GatherElements', [logp, y1], { axis: 1 });
  const perSample = b.op('Neg', [b.squeeze(picked, [1])]);
  const loss = b.reduce('ReduceMean', perSample, [0], false);
  const onehot = b.op('Cast', [b.op('Equal', [y1, b.i64([...Array(classes).keys()])])], { to: DataType.FLOAT });
  const n = b.op('Cast', [b.shapeOf(labels)], { to: DataType.FLOAT });
  const dLogits = b.op('Div', [b.op('Sub', [b.op('Exp', [logp]), onehot]), n]);
  return { loss, perSample, dLogits };
}

export function logitNorm(b: GraphBuilder, logits: string): LossValues {
  const perSample = b.reduce('ReduceSum', b.op('Mul', [logits, logits]), [1], false);
  const loss = b.reduce('ReduceMean', perSample, [0], false);
  const n = b.op('Cast', [b.op('Gather', [b.shapeOf(logits), b.i64([0])], { axis: 0 })], { to: DataType.FLOAT });
  const dLogits = b.op('Div', [b.op('Mul', [logits, b.scalar(2)]), n]);
  return { loss, perSample, dLogits };
}

/** The graph inputs of the 'matched' loss (see the header). */
export interface MatchedInputs {
  targets: string;
  weights: string;
  matchWeights: string;
  targetLogOdds: string;
}

/** Added to 1 − p in G, which then flattens out where float32 cannot resolve 1 − p. */
export const MATCHED_LOSS_FLOOR = 1e-6;

/** G(ℓ) = ℓ + ln(1 − e^−ℓ + floor) ≈ ln(e^ℓ − 1), the log-odds against the target class of a loss ℓ (float64). */
export function lossLogOdds(loss: number): number {
  return loss + Math.log(-Math.expm1(-loss) + MATCHED_LOSS_FLOOR);
}

export function matched(b: GraphBuilder, logits: string, i: MatchedInputs): LossValues {
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
  const gap = b.op('Sub', [b.op('Add', [perSample, b.op('Log', [miss])]), i.targetLogOdds]);
  const plain = b.op('Mul', [i.weights, perSample]);
  const pull = b.op('Mul', [b.op('Mul', [i.matchWeights, b.op('Mul', [gap, gap])]), b.scalar(0.5)]);
  const loss = b.reduce('ReduceSum', b.op('Add', [plain, pull]), [0], false);
  // With one-hot T, miss = 1 − p_y + f and dG/dz = (p − T)·(1 + f)/miss. p − T is taken as
  // p·(1 − T) − T·(1 − p_y): p_y − 1 rounds to 0 in float32 once 1 − p_y < 6e-8, where the pull is strongest.
  const pullCoef = b.op('Div', [
    b.op('Mul', [b.op('Mul', [i.matchWeights, gap]), b.scalar(1 + MATCHED_LOSS_FLOOR)]),
    miss,
  ]);
  const pullDir = b.op('Sub', [off, b.op('Mul', [i.targets, b.unsqueeze(missRaw, [1])])]);
  const dLogits = b.op('Add', [
    b.op('Mul', [b.unsqueeze(i.weights, [1]), b.op('Sub', [p, i.targets])]),
    b.op('Mul', [b.unsqueeze(pullCoef, [1]), pullDir]),
  ]);
  return { loss, perSample, dLogits };
}
