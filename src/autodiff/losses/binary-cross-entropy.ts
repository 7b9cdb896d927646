// Binary cross-entropy with logits (PyTorch's BCEWithLogitsLoss, mean reduction) of one logit per
// example, logits [N, 1], against int64 labels 0/1 [N]: the loss of a single-logit (sigmoid) head.
// Per example ℓᵢ = max(zᵢ, 0) − yᵢ·zᵢ + log(1 + e^−|zᵢ|) (exact, and stable for large |z|);
// seed (σ(z) − y) / N.
import { BadInputError } from '../../core/errors.js';
import { DataType } from '../../graph/ir.js';
import { registerLoss } from './registry.js';

export const binaryCrossEntropy = registerLoss({
  name: 'binary-cross-entropy',
  description: 'mean binary cross-entropy with logits against 0/1 labels (one logit per example)',
  inputs: [{ key: 'labels', dtype: 'int64', shape: 'batch' }],
  build(b, logits, inputs) {
    const y = b.op('Cast', [b.unsqueeze(inputs.labels, [1])], { to: DataType.FLOAT });
    const softplusNeg = b.op('Log', [b.op('Add', [b.scalar(1), b.op('Exp', [b.op('Neg', [b.op('Abs', [logits])])])])]);
    const perExample = b.op('Add', [b.op('Sub', [b.op('Relu', [logits]), b.op('Mul', [y, logits])]), softplusNeg]);
    const perSample = b.squeeze(perExample, [1]);
    const loss = b.reduce('ReduceMean', perSample, [0], false);
    const n = b.op('Cast', [b.shapeOf(inputs.labels)], { to: DataType.FLOAT });
    const dLogits = b.op('Div', [b.op('Sub', [b.op('Sigmoid', [logits]), y]), n]);
    return { loss, perSample, dLogits };
  },
  check(feeds, n, _classes, source, index) {
    const labels = feeds.labels;
    if (!(labels instanceof BigInt64Array)) return; // the caller's shape check names the dtype
    if (labels.length !== n)
      throw new BadInputError(`${source}: ${labels.length} labels for ${n} inputs; they must match one to one.`);
    for (let i = 0; i < labels.length; i++)
      if (labels[i] !== 0n && labels[i] !== 1n)
        throw new BadInputError(
          `${source}: example ${index?.[i] ?? i} has label ${labels[i]}; ` +
            'a single-logit (binary) head takes labels 0 and 1.',
        );
  },
});
