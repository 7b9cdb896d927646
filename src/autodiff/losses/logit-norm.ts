// The mean over the batch of the squared L2 norm of the logits: LF-SSD's loss (Foster et al.,
// "Loss-Free Machine Unlearning", 2024). Takes no labels. Per example ‖zᵢ‖²; seed 2·z / N.
import { DataType } from '../../graph/ir.js';
import { registerLoss } from './registry.js';

export const logitNorm = registerLoss({
  name: 'logit-norm',
  description: 'mean squared L2 norm of the logits (no labels)',
  reduction: 'mean',
  heads: ['logits', 'softmax', 'log-softmax', 'binary', 'multi-label'],
  inputs: [],
  build(b, logits) {
    const perSample = b.reduce('ReduceSum', b.op('Mul', [logits, logits]), [1], false);
    const loss = b.reduce('ReduceMean', perSample, [0], false);
    const n = b.op('Cast', [b.op('Gather', [b.shapeOf(logits), b.i64([0])], { axis: 0 })], { to: DataType.FLOAT });
    const dLogits = b.op('Div', [b.op('Mul', [logits, b.scalar(2)]), n]);
    return { loss, perSample, dLogits };
  },
});
