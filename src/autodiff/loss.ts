// Mean cross-entropy of logits [N, C] against int64 labels [N], appended to the forward graph,
// with its gradient written directly: dL/dlogits = (softmax − onehot) / N.
import { DataType } from '../graph/ir.js';
import type { GraphBuilder } from './builder.js';

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
