// Mean binary cross-entropy with logits over every entry (PyTorch's BCEWithLogitsLoss, mean
// reduction) of logits [N, C] against multi-hot targets [N, C] (0 or 1; soft targets in [0, 1] work
// alike): the loss of a multi-label head (graph/head.ts). Per entry
//   ℓᵢₖ = max(zᵢₖ, 0) − tᵢₖ·zᵢₖ + log(1 + e^−|zᵢₖ|)   (exact, and stable for large |z|);
// per example the mean over its C entries, the loss the mean over the N examples (= over all N·C);
// seed (σ(z) − t) / (N·C).
import { BadInputError } from '../../core/errors.js';
import { DataType } from '../../graph/ir.js';
import { registerLoss } from './registry.js';

export const multiLabelBinaryCrossEntropy = registerLoss({
  name: 'multi-label-bce',
  description: 'mean binary cross-entropy with logits over every entry, against multi-hot labels',
  reduction: 'mean',
  heads: ['multi-label'],
  inputs: [{ key: 'targets', dtype: 'float32', shape: 'batch×classes' }],
  build(b, logits, inputs, classes) {
    const t = inputs.targets;
    const softplusNeg = b.op('Log', [b.op('Add', [b.scalar(1), b.op('Exp', [b.op('Neg', [b.op('Abs', [logits])])])])]);
    const entries = b.op('Add', [b.op('Sub', [b.op('Relu', [logits]), b.op('Mul', [t, logits])]), softplusNeg]);
    const perSample = b.reduce('ReduceMean', entries, [1], false);
    const loss = b.reduce('ReduceMean', perSample, [0], false);
    const n = b.op('Cast', [b.op('Gather', [b.shapeOf(logits), b.i64([0])], { axis: 0 })], { to: DataType.FLOAT });
    const dLogits = b.op('Div', [b.op('Sub', [b.op('Sigmoid', [logits]), t]), b.op('Mul', [n, b.scalar(classes)])]);
    return { loss, perSample, dLogits };
  },
  check(feeds, n, classes, source, index) {
    const t = feeds.targets;
    if (!(t instanceof Float32Array)) return; // the caller's shape check names the dtype
    if (t.length !== n * classes)
      throw new BadInputError(
        `${source}: ${t.length / classes} rows of multi-hot labels for ${n} inputs (${classes} labels each); ` +
          'they must match one to one.',
      );
    for (let k = 0; k < t.length; k++)
      if (!(t[k] >= 0 && t[k] <= 1))
        throw new BadInputError(
          `${source}: example ${index?.[Math.floor(k / classes)] ?? Math.floor(k / classes)} has label ` +
            `${t[k]} for class ${k % classes}; multi-hot labels are 0 or 1.`,
        );
  },
});
