// Y = alpha·A'·B' + beta·C, A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B; C broadcasts to Y's shape, and
// the engine sums dC = beta·dY back down to it.
import { attrFloat, attrInt } from '../../graph/ir.js';
import { float } from '../builder.js';
import type { GradRule } from '../registry.js';

export const gemm: GradRule = {
  opType: 'Gemm',
  since: 11,
  broadcast: [2],
  grad(ctx) {
    const { b, node } = ctx;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const ta = attrInt(node, 'transA', 0);
    const tb = attrInt(node, 'transB', 0);
    const dy = ctx.dy(0)!;
    const [a, bm, c] = [ctx.x(0), ctx.x(1), ctx.x(2)];
    const gemm = (p: string, q: string, transA: number, transB: number) =>
      b.op('Gemm', [p, q], { alpha: float(alpha), transA: transA || undefined, transB: transB || undefined });
    const da = !ctx.needs(0)
      ? null
      : ta === 0
        ? gemm(dy, bm, 0, 1 - tb)
        : tb === 0
          ? gemm(bm, dy, 0, 1)
          : gemm(bm, dy, 1, 1);
    const db = !ctx.needs(1)
      ? null
      : tb === 0
        ? gemm(a, dy, 1 - ta, 0)
        : ta === 0
          ? gemm(dy, a, 1, 0)
          : gemm(dy, a, 1, 1);
    const dc = !c || !ctx.needs(2) ? null : beta === 1 ? dy : b.op('Mul', [dy, b.scalar(beta, ctx.dtype(c))]);
    return [da, db, dc];
  },
};
