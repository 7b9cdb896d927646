// GroupNormalization: X [N, C, ...] viewed as [N, G, C/G·spatial]; x̂ = (X − μ)·invstd with μ and σ² per
// (n, group), invstd = 1/sqrt(σ² + ε). The gradient through x̂ is the standardisation's (see
// instance-normalization.ts), taken over each group: dX = invstd·(g − mean(g) − x̂·mean(g·x̂)), g = dY·scale.
// Opset 18: Y = scale_g·x̂ + bias_g with scale and bias per group [G]: dScale = Σ_{n, group} dY·x̂, dBias = Σ dY.
// Opset 21: scale and bias per channel [C] (PyTorch's group_norm): dScale = Σ_{n, spatial} dY·x̂, dBias = Σ dY.
import { attrFloat, attrInt } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import { floatType, shapeOf } from './shape-util.js';
import { standardize, standardizeGrad } from './instance-normalization.js';

function groupNormGrad(ctx: GradContext, perChannel: boolean): (string | null)[] {
  const { b, node } = ctx;
  const [x, scale] = [ctx.x(0), ctx.x(1)];
  const dims = ctx.shape(x);
  const rank = dims.length;
  const groups = attrInt(node, 'num_groups', 0);
  const spatial = Array.from({ length: rank - 2 }, (_, k) => k + 2);
  // Reshape's 0 copies the batch dimension.
  const grouped = (t: string) => b.op('Reshape', [t, b.i64([0, groups, -1])]);
  const { xhat, invstd } = standardize(b, grouped(x), [2], attrFloat(node, 'epsilon', 1e-5), floatType(ctx, x));
  const dy = ctx.dy(0)!;
  const xshape = shapeOf(b, x, dims);
  let dx: string | null = null;
  if (ctx.needs(0)) {
    const g = perChannel
      ? grouped(
          b.op('Mul', [
            dy,
            b.unsqueeze(
              scale,
              spatial.map((a) => a - 1),
            ),
          ]),
        )
      : b.op('Mul', [grouped(dy), b.unsqueeze(scale, [1])]);
    dx = b.op('Reshape', [standardizeGrad(b, g, xhat, invstd, [2]), xshape]);
  }
  const needScale = ctx.needs(1);
  const needBias = ctx.needs(2);
  let dscale: string | null = null;
  let dbias: string | null = null;
  if (perChannel) {
    const axes = [0, ...spatial];
    if (needScale) dscale = b.reduce('ReduceSum', b.op('Mul', [dy, b.op('Reshape', [xhat, xshape])]), axes, false);
    if (needBias) dbias = b.reduce('ReduceSum', dy, axes, false);
  } else {
    const dyg = needScale || needBias ? grouped(dy) : '';
    if (needScale) dscale = b.reduce('ReduceSum', b.op('Mul', [dyg, xhat]), [0, 2], false);
    if (needBias) dbias = b.reduce('ReduceSum', dyg, [0, 2], false);
  }
  return [dx, dscale, dbias];
}

/** Opset 18: scale and bias per group, [num_groups]. */
export const groupNormalization18: GradRule = {
  opType: 'GroupNormalization',
  since: 18,
  grad: (ctx) => groupNormGrad(ctx, false),
};

/** Opset 21: scale and bias per channel, [C]; stash_type (the statistics' precision). */
export const groupNormalization21: GradRule = {
  opType: 'GroupNormalization',
  since: 21,
  grad: (ctx) => groupNormGrad(ctx, true),
};
