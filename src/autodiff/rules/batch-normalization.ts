// Inference-form BatchNormalization: Y = scale·(X − mean)/sqrt(var + eps) + B, per channel (axis 1).
// The statistics are inputs, so mean and var get no gradient.
import { attrFloat, attrInt } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

function batchNormBack(ctx: GradContext): (string | null)[] {
  const { b, node } = ctx;
  if (attrInt(node, 'training_mode', 0) !== 0)
    throw new Error(
      'BatchNormalization with training_mode=1 is not supported (only the inference form is differentiable)',
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
  const dbias = ctx.needs(2) ? cast(b.reduce('ReduceSum', dy, axes, false), tx, ts) : null;
  return [dx, dscale, dbias, null, null];
}

const form = (since: number): GradRule => ({ opType: 'BatchNormalization', since, grad: batchNormBack });

/** No training_mode attribute. */
export const batchNormalization9 = form(9);
/** training_mode attribute (must be 0 here). */
export const batchNormalization14 = form(14);
/** scale/B and mean/var typed separately (T1, T2). */
export const batchNormalization15 = form(15);
