// Mean cross-entropy of logits [N, C] against int64 class labels [N]: the loss SSD's importance,
// ∇τ's reference schedule, finetune and `scrub grad` differentiate (PyTorch's F.cross_entropy).
// Per example ℓᵢ = −log softmax(zᵢ)[yᵢ]; seed (softmax − onehot) / N.
import { DataType } from '../../graph/ir.js';
import { checkLabels } from '../../core/labels.js';
import { registerLoss } from './registry.js';

export const crossEntropy = registerLoss({
  name: 'cross-entropy',
  description: 'mean cross-entropy against class labels',
  reduction: 'mean',
  swap: { 'multi-label': 'multi-label-bce' },
  inputs: [{ key: 'labels', dtype: 'int64', shape: 'batch' }],
  build(b, logits, inputs, classes) {
    const y1 = b.unsqueeze(inputs.labels, [1]);
    const logp = b.op('LogSoftmax', [logits], { axis: 1 });
    const picked = b.op('GatherElements', [logp, y1], { axis: 1 });
    const perSample = b.op('Neg', [b.squeeze(picked, [1])]);
    const loss = b.reduce('ReduceMean', perSample, [0], false);
    const onehot = b.op('Cast', [b.op('Equal', [y1, b.i64([...Array(classes).keys()])])], { to: DataType.FLOAT });
    const n = b.op('Cast', [b.shapeOf(inputs.labels)], { to: DataType.FLOAT });
    const dLogits = b.op('Div', [b.op('Sub', [b.op('Exp', [logp]), onehot]), n]);
    return { loss, perSample, dLogits };
  },
  check(feeds, n, classes, source, index) {
    // (labels of another dtype are refused by the caller's shape check)
    if (feeds.labels instanceof BigInt64Array) checkLabels(source, feeds.labels, n, classes, index);
  },
});
