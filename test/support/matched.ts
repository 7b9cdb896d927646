// A batch for ∇τ's 'matched' loss mixing its three kinds of rows, for the tests of the loss
// (gradtau.default.test.ts) and of the data-parallel path (gradient.parallel.test.ts).
import { lossLogOdds, type MatchedBatch } from '../../src/methods/gradtau/matched-loss.js';

/** Rows i % 3 = 0: plain descent; 1: soft targets; 2: pulls to a target loss. `C` classes. */
export function mixedMatchedBatch(y: BigInt64Array, C: number): MatchedBatch {
  const n = y.length;
  const m: MatchedBatch = {
    targets: new Float32Array(n * C),
    weights: new Float32Array(n),
    matchWeights: new Float32Array(n),
    targetLogOdds: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const k = Number(y[i]);
    if (i % 3 === 0) {
      m.targets[i * C + k] = 1;
      m.weights[i] = 0.7 / n;
    } else if (i % 3 === 1) {
      m.targets[i * C + ((k + 1) % C)] = 0.6;
      m.targets[i * C + ((k + 2) % C)] = 0.4;
      m.weights[i] = 0.3 / n;
    } else {
      m.targets[i * C + k] = 1;
      m.matchWeights[i] = 0.6 / n;
      m.targetLogOdds[i] = lossLogOdds(0.05 + 0.3 * (i % 7));
    }
  }
  return m;
}
