// numpy matmul: batched, broadcasting, 1-D operands promoted and demoted.
import type { Dim } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

interface Shaped {
  name: string;
  dims: Dim[];
}

export const matmul: GradRule = {
  opType: 'MatMul',
  since: 9,
  grad(ctx) {
    const { b } = ctx;
    const [a0, m0] = [ctx.x(0), ctx.x(1)];
    let a: Shaped = { name: a0, dims: ctx.shape(a0) };
    let m: Shaped = { name: m0, dims: ctx.shape(m0) };
    let dy: Shaped = { name: ctx.dy(0)!, dims: ctx.shape(ctx.y(0)) };
    // Promote 1-D operands as numpy does, and give dY the axes that were dropped.
    if (a.dims.length === 1) {
      a = { name: b.unsqueeze(a.name, [0]), dims: [1, a.dims[0]] };
      const at = dy.dims.length - (m.dims.length === 1 ? 0 : 1);
      dy = { name: b.unsqueeze(dy.name, [at]), dims: [...dy.dims.slice(0, at), 1, ...dy.dims.slice(at)] };
    }
    if (m.dims.length === 1) {
      m = { name: b.unsqueeze(m.name, [1]), dims: [m.dims[0], 1] };
      dy = { name: b.unsqueeze(dy.name, [dy.dims.length]), dims: [...dy.dims, 1] };
    }
    const da = ctx.needs(0) ? backTo(ctx, gradLeft(ctx, dy, m), a, a0) : null;
    const dm = ctx.needs(1) ? backTo(ctx, gradRight(ctx, dy, a, m), m, m0) : null;
    return [da, dm];
  },
};

/** Sums broadcast batch axes away, then undoes a 1-D promotion. */
function backTo(ctx: GradContext, g: Shaped, promoted: Shaped, original: string): string {
  const summed = ctx.b.reduceTo(g.name, g.dims, promoted.name, promoted.dims);
  const orig = ctx.shape(original);
  if (orig.length === promoted.dims.length) return summed;
  return ctx.b.op('Reshape', [summed, ctx.b.i64(orig.map((d) => (typeof d === 'number' ? d : -1)))]);
}

function transposeLast(ctx: GradContext, x: Shaped): Shaped {
  const r = x.dims.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return { name: ctx.b.op('Transpose', [x.name], { perm }), dims: perm.map((p) => x.dims[p]) };
}

function matmulShape(p: Dim[], q: Dim[]): Dim[] {
  const batchRank = Math.max(p.length, q.length) - 2;
  const batch: Dim[] = [];
  for (let k = 0; k < batchRank; k++) {
    const pd = p[p.length - 2 - batchRank + k] ?? 1;
    const qd = q[q.length - 2 - batchRank + k] ?? 1;
    batch.push(pd === 1 ? qd : pd);
  }
  return [...batch, p[p.length - 2], q[q.length - 1]];
}

/** dA = dY · Bᵀ. */
function gradLeft(ctx: GradContext, dy: Shaped, m: Shaped): Shaped {
  const { b } = ctx;
  if (m.dims.length === 2 && dy.dims.length === 2)
    return { name: b.op('Gemm', [dy.name, m.name], { transB: 1 }), dims: [dy.dims[0], m.dims[0]] };
  const mt = transposeLast(ctx, m);
  return { name: b.op('MatMul', [dy.name, mt.name]), dims: matmulShape(dy.dims, mt.dims) };
}

/** dB = Aᵀ · dY; for a 2-D B every batch row folds into one GEMM. */
function gradRight(ctx: GradContext, dy: Shaped, a: Shaped, m: Shaped): Shaped {
  const { b } = ctx;
  const k = a.dims[a.dims.length - 1];
  const n = dy.dims[dy.dims.length - 1];
  const sameBatch = a.dims.length === dy.dims.length && a.dims.slice(0, -2).every((d, i) => d === dy.dims[i]);
  if (m.dims.length === 2 && sameBatch && typeof k === 'number' && typeof n === 'number') {
    const a2 = a.dims.length === 2 ? a.name : b.op('Reshape', [a.name, b.i64([-1, k])]);
    const d2 = dy.dims.length === 2 ? dy.name : b.op('Reshape', [dy.name, b.i64([-1, n])]);
    return { name: b.op('Gemm', [a2, d2], { transA: 1 }), dims: [k, n] };
  }
  const at = transposeLast(ctx, a);
  return { name: b.op('MatMul', [at.name, dy.name]), dims: matmulShape(at.dims, dy.dims) };
}
