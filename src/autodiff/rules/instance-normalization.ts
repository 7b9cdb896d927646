// InstanceNormalization: Y = scale_c·x̂ + B_c, x̂ = (X − μ)·invstd, μ and σ² per (n, c) over the spatial axes,
// invstd = 1/sqrt(σ² + ε) (biased variance). With g = dY·scale_c:
// dX = invstd·(g − mean(g) − x̂·mean(g·x̂)) (means over the spatial axes), dScale = Σ_{n, spatial} dY·x̂,
// dB = Σ_{n, spatial} dY — PyTorch's instance_norm backward (batch_norm backward per (n, c)).
import { attrFloat } from '../../graph/ir.js';
import type { GraphBuilder } from '../builder.js';
import type { GradRule } from '../registry.js';
import { floatType } from './shape-util.js';

/** x̂ and invstd of x standardised over `axes` (kept as size 1 in invstd). */
export function standardize(
  b: GraphBuilder,
  x: string,
  axes: number[],
  epsilon: number,
  dtype: number,
): { xhat: string; invstd: string } {
  const centred = b.op('Sub', [x, b.reduce('ReduceMean', x, axes, true)]);
  const variance = b.reduce('ReduceMean', b.op('Mul', [centred, centred]), axes, true);
  const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, b.scalar(epsilon, dtype)])])]);
  return { xhat: b.op('Mul', [centred, invstd]), invstd };
}

/** dX of x̂ = standardize(X) given g = dL/dx̂: invstd·(g − mean(g) − x̂·mean(g·x̂)). */
export function standardizeGrad(b: GraphBuilder, g: string, xhat: string, invstd: string, axes: number[]): string {
  const m1 = b.reduce('ReduceMean', g, axes, true);
  const m2 = b.reduce('ReduceMean', b.op('Mul', [g, xhat]), axes, true);
  return b.op('Mul', [b.op('Sub', [b.op('Sub', [g, m1]), b.op('Mul', [xhat, m2])]), invstd]);
}

export const instanceNormalization: GradRule = {
  opType: 'InstanceNormalization',
  since: 6,
  grad(ctx) {
    const { b, node } = ctx;
    const [x, scale] = [ctx.x(0), ctx.x(1)];
    const rank = ctx.shape(x).length;
    const spatial = Array.from({ length: rank - 2 }, (_, k) => k + 2);
    const { xhat, invstd } = standardize(b, x, spatial, attrFloat(node, 'epsilon', 1e-5), floatType(ctx, x));
    const dy = ctx.dy(0)!;
    const perChannel = [0, ...spatial];
    let dx: string | null = null;
    if (ctx.needs(0)) {
      const g = b.op('Mul', [
        dy,
        b.unsqueeze(
          scale,
          spatial.map((a) => a - 1),
        ),
      ]);
      dx = standardizeGrad(b, g, xhat, invstd, spatial);
    }
    const dscale = ctx.needs(1) ? b.reduce('ReduceSum', b.op('Mul', [dy, xhat]), perChannel, false) : null;
    const dbias = ctx.needs(2) ? b.reduce('ReduceSum', dy, perChannel, false) : null;
    return [dx, dscale, dbias];
  },
};
