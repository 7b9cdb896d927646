// BatchNormalization: Y = scale·(X − mean)/sqrt(var + eps) + B, per channel (axis 1).
// Inference form: mean and var are inputs (statistics), so they get no gradient.
// Training form (more than one output at opsets 9–13, or training_mode = 1 from 14): ONNX Runtime
// normalises with the batch's statistics, mean and biased variance over every axis but 1, so the
// gradient is the one of those statistics too:
//   x̂ = (X − μ_B)·invstd, g = dY·scale, dX = invstd·(g − mean(g) − x̂·mean(g·x̂)), dScale = Σ dY·x̂, dB = Σ dY.
// The running/saved statistics outputs are updates of the (non-trainable) inputs mean/var; gradient
// flowing into them is refused.
import { attrFloat, attrInt, type Graph, type Node } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

/** Whether ONNX Runtime computes this BatchNormalization node with batch statistics. */
export function isTrainingBatchNorm(node: Node, opset: number): boolean {
  if (node.opType !== 'BatchNormalization' || node.domain) return false;
  // Before 14 the form is told by the optional outputs (as ORT does: their count, named or not).
  return opset >= 14 ? attrInt(node, 'training_mode', 0) === 1 : node.outputs.length > 1;
}

/** The names of the training-form BatchNormalization nodes of a graph (differentiated with batch statistics). */
export function trainingBatchNorms(graph: Graph, opsets: ReadonlyMap<string, number>): string[] {
  const opset = opsets.get('') ?? 0;
  return graph.nodes.filter((n) => isTrainingBatchNorm(n, opset)).map((n) => n.name || n.outputs[0]);
}

/** The note telling that training-form BatchNormalization nodes were differentiated with batch statistics. */
export function trainingBatchNormNote(nodes: readonly string[]): string | undefined {
  if (nodes.length === 0) return undefined;
  const more = nodes.length > 3 ? ` and ${nodes.length - 3} more` : '';
  return (
    `BatchNormalization ${nodes.slice(0, 3).join(', ')}${more} ${nodes.length > 1 ? 'are' : 'is'} in training ` +
    'form: differentiated with the statistics of each batch, as the graph computes them ' +
    '(export in eval mode for the running statistics)'
  );
}

function batchNormBack(ctx: GradContext): (string | null)[] {
  const { b, node } = ctx;
  const training = isTrainingBatchNorm(node, ctx.opset);
  if (node.outputs.slice(1).some((_, k) => ctx.dy(k + 1)))
    throw new Error(
      'gradient flowing into the running/saved statistics outputs of BatchNormalization is not supported',
    );
  const [x, scale, , mean, variance] = [0, 1, 2, 3, 4].map((i) => ctx.x(i));
  const dy = ctx.dy(0)!;
  const rank = ctx.shape(x).length;
  const [tx, ts, tv] = [ctx.dtype(x), ctx.dtype(scale), ctx.dtype(variance)];
  // From opset 15 scale/B (T1) and mean/var (T2) may differ in type from X.
  const cast = (v: string, from: number, to: number) => (from === to || !from || !to ? v : b.op('Cast', [v], { to }));
  const perChannel = (v: string) =>
    rank > 2
      ? b.unsqueeze(
          v,
          Array.from({ length: rank - 2 }, (_, k) => k + 1),
        )
      : v;
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, k) => k + 2)];
  const dbias = ctx.needs(2) ? cast(b.reduce('ReduceSum', dy, axes, false), tx, ts) : null;

  if (training) {
    const eps = b.scalar(attrFloat(node, 'epsilon', 1e-5), tx);
    const centred = b.op('Sub', [x, b.reduce('ReduceMean', x, axes, true)]);
    const batchVar = b.reduce('ReduceMean', b.op('Mul', [centred, centred]), axes, true);
    const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [batchVar, eps])])]);
    const xhat = b.op('Mul', [centred, invstd]);
    let dx: string | null = null;
    if (ctx.needs(0)) {
      const g = b.op('Mul', [dy, perChannel(cast(scale, ts, tx))]);
      const m1 = b.reduce('ReduceMean', g, axes, true);
      const m2 = b.reduce('ReduceMean', b.op('Mul', [g, xhat]), axes, true);
      dx = b.op('Mul', [b.op('Sub', [b.op('Sub', [g, m1]), b.op('Mul', [xhat, m2])]), invstd]);
    }
    const dscale = ctx.needs(1) ? cast(b.reduce('ReduceSum', b.op('Mul', [dy, xhat]), axes, false), tx, ts) : null;
    return [dx, dscale, dbias, null, null];
  }

  const eps = b.scalar(attrFloat(node, 'epsilon', 1e-5), tv);
  const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, eps])])]);

  let dx: string | null = null;
  if (ctx.needs(0)) {
    const k = b.op('Mul', [scale, cast(invstd, tv, ts)]);
    dx = b.op('Mul', [dy, perChannel(cast(k, ts, tx))]);
  }
  let dscale: string | null = null;
  if (ctx.needs(1)) {
    const centred = b.op('Sub', [x, perChannel(cast(mean, tv, tx))]);
    const s = b.reduce('ReduceSum', b.op('Mul', [dy, centred]), axes, false);
    dscale = cast(b.op('Mul', [s, cast(invstd, tv, tx)]), tx, ts);
  }
  return [dx, dscale, dbias, null, null];
}

const form = (since: number): GradRule => ({ opType: 'BatchNormalization', since, grad: batchNormBack });

/** No training_mode attribute: the training form has more than one output. */
export const batchNormalization9 = form(9);
/** training_mode attribute. */
export const batchNormalization14 = form(14);
/** scale/B and mean/var typed separately (T1, T2). */
export const batchNormalization15 = form(15);
