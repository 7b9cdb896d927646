// Losses appended to the forward graph, each with its gradient seed dL/dlogits written directly.
//   cross-entropy: mean cross-entropy of logits [N, C] against int64 labels [N]; seed (softmax − onehot) / N.
//   logit-norm:    mean over the batch of the squared L2 norm of the logits (LF-SSD); seed 2·z / N.
import { DataType } from '../graph/ir.js';
import type { GraphBuilder } from './builder.js';

export type LossKind = 'cross-entropy' | 'logit-norm';
export const LOSS_KINDS: readonly LossKind[] = ['cross-entropy', 'logit-norm'];

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
