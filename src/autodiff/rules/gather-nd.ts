// Y = GatherND(X, I, batch_dims b): each index tuple I[..., :] (of length m) picks the slice
// X[batch..., I[..., 0], ..., I[..., m-1]], searching within its own batch item of the leading b axes.
// dX accumulates each dY slice at the slice it was read from: ScatterND of dY at the full index tuples
// (batch coordinates, then I's), where repeated tuples add up (reduction='add', opset 16). Constant
// tuples that are all distinct scatter without it at 11; otherwise the rule asks for a raised artifact
// opset (builder.ts OpsetTooLowError), as rules/gather.ts does. 11 has no batch_dims (0); 12 adds it.
import { attrInt, type Dim } from '../../graph/ir.js';
import type { GraphBuilder } from '../builder.js';
import type { GradContext, GradRule } from '../registry.js';
import { floatType, scatterReduction, sliceConst, staticDims, zerosLike } from './shape-util.js';

/** The full index tuples of constant indices, negatives wrapped; undefined where a dimension they need is dynamic. */
function constantTuples(values: readonly number[], idx: readonly number[], dims: readonly Dim[], bd: number) {
  const m = idx[idx.length - 1];
  const count = values.length / m;
  const perBatch = count / idx.slice(0, bd).reduce((p, q) => p * q, 1);
  const tuples: number[][] = [];
  for (let t = 0; t < count; t++) {
    const batch: number[] = [];
    let rest = Math.floor(t / perBatch);
    for (let a = bd - 1; a >= 0; a--) {
      batch.unshift(rest % idx[a]);
      rest = Math.floor(rest / idx[a]);
    }
    const tuple = [...batch];
    for (let k = 0; k < m; k++) {
      let v = values[t * m + k];
      if (v < 0) {
        const d = dims[bd + k];
        if (typeof d !== 'number') return undefined;
        v += d;
      }
      tuple.push(v);
    }
    tuples.push(tuple);
  }
  return tuples;
}

/** Run-time indices: negatives wrapped and, with batch_dims, each tuple prefixed with its batch coordinates. */
function runtimeTuples(ctx: GradContext, b: GraphBuilder, bd: number, m: number): string {
  const x = ctx.x(0);
  const idx = ctx.x(1);
  const dims = ctx.shape(x);
  const idxDims = ctx.shape(idx);
  const q = idxDims.length;
  const dimOf = (a: number) => {
    const d = dims[a];
    return typeof d === 'number' ? b.i64([d], []) : b.op('Gather', [b.shapeOf(x), b.i64([a], [])]);
  };
  const sizes = staticDims(dims.slice(bd, bd + m));
  const size = sizes ? b.i64(sizes) : sliceConst(b, b.shapeOf(x), [bd], [bd + m], [0]);
  const wrapped = b.op('Where', [b.op('Less', [idx, b.i64([0], [])]), b.op('Add', [idx, size]), idx]);
  if (bd === 0) return wrapped;
  const lead = staticDims(idxDims.slice(0, q - 1));
  const leadShape = lead ? b.i64(lead) : sliceConst(b, b.shapeOf(idx), [0], [q - 1], [0]);
  const coords = Array.from({ length: bd }, (_, a) => {
    const range = b.op('Range', [b.i64([0], []), dimOf(a), b.i64([1], [])]);
    const along = Array.from({ length: q - 1 }, (_, k) => (k === a ? -1 : 1));
    const grid = b.op('Expand', [b.op('Reshape', [range, b.i64(along)]), leadShape]);
    return b.unsqueeze(grid, [q - 1]);
  });
  return b.op('Concat', [...coords, wrapped], { axis: q - 1 });
}

export const gatherND: GradRule = {
  opType: 'GatherND',
  since: 11,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const idx = ctx.x(1);
    const dims = ctx.shape(x);
    const bd = attrInt(node, 'batch_dims', 0);
    const idxDims = ctx.shape(idx);
    const m = idxDims[idxDims.length - 1];
    if (typeof m !== 'number') throw new Error('the length of the index tuples is not known');
    const values = ctx.constant(idx);
    const staticIdx = staticDims(idxDims);
    const tuples = values && staticIdx ? constantTuples(values, staticIdx, dims, bd) : undefined;
    const distinct = tuples !== undefined && new Set(tuples.map((t) => t.join(','))).size === tuples.length;
    const reduction = scatterReduction(ctx, distinct, 'GatherND', 'ScatterND', !values);
    const ind = tuples ? b.i64(tuples.flat(), [...staticIdx!.slice(0, -1), bd + m]) : runtimeTuples(ctx, b, bd, m);
    const zeros = zerosLike(b, x, dims, floatType(ctx, x));
    return [b.op('ScatterND', [zeros, ind, ctx.dy(0)!], { reduction }), null];
  },
};
