// The built-in losses, registered on import. Methods register their own (∇τ's 'matched' loss lives
// beside ∇τ, in src/methods/gradtau/matched-loss.ts).
// (registration order: the first loss taking a set of feeds is the one errors suggest)
export { crossEntropy } from './cross-entropy.js';
export { logitNorm } from './logit-norm.js';
export { multiLabelBinaryCrossEntropy } from './multi-label-bce.js';
export {
  lossDefinition,
  lossInputName,
  lossesTaking,
  lossHeads,
  registerLoss,
  registeredLosses,
  type LossDefinition,
  type LossFeeds,
  type LossInput,
  type LossValues,
} from './registry.js';
