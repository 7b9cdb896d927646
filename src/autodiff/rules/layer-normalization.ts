// Y = x̂·Scale + B, x̂ = (X − mean)·invstd over axes axis..rank-1.
// dX = invstd·(g − mean(g) − x̂·mean(g·x̂)), g = dY·Scale; dScale = dY·x̂ and dB = dY, which the engine
// sums down to the shapes Scale and B broadcast from.
import { attrFloat, attrInt, DataType, type Attr } from '../../graph/ir.js';
import { float } from '../builder.js';
import type { GradContext, GradRule } from '../registry.js';

/**
 * x̂ and invstd, by re-running LayerNormalization with unit Scale and its InvStdDev output:
 * one fused kernel, measured ~25% faster than ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Reciprocal/Mul
 * on ORT CPU (X [64,17,64]: 59 vs 73 µs; X [64,197,192]: 1.49 vs 2.36 ms, one thread).
 */
function normalized(ctx: GradContext, axis: number): { xhat: string; invstd: string } {
  const { b, node } = ctx;
  const x = ctx.x(0);
  const dt = ctx.dtype(x) || DataType.FLOAT;
  const nd = ctx.shape(x).slice(axis);
  let ones: string;
  if (nd.every((d) => typeof d === 'number')) ones = b.scalar(1, dt, nd as number[]);
  else {
    const one = new Uint8Array((dt === DataType.DOUBLE ? new Float64Array([1]) : new Float32Array([1])).buffer);
    const value: Attr = {
      type: 'tensor',
      t: { name: '', dataType: dt, dims: [1], bytes: one, location: { kind: 'typed' } },
    };
    const dims = b.op('Slice', [b.shapeOf(x), b.i64([axis]), b.i64([nd.length + axis])]);
    ones = b.op('ConstantOfShape', [dims], { value });
  }
  const attrs = { axis, epsilon: float(attrFloat(node, 'epsilon', 1e-5)), stash_type: attrInt(node, 'stash_type', 1) };
  const [xhat, , invstd] = b.emit('LayerNormalization', [x, ones], attrs, 3);
  // InvStdDev has the stash type, float by default.
  return { xhat, invstd: attrs.stash_type === dt ? invstd : b.op('Cast', [invstd], { to: dt }) };
}

export const layerNormalization: GradRule = {
  opType: 'LayerNormalization',
  since: 17,
  broadcast: [1, 2],
  grad(ctx) {
    const { b, node } = ctx;
    if (ctx.dy(1) || ctx.dy(2))
      throw new Error('gradients flowing into the Mean/InvStdDev outputs of LayerNormalization are not supported');
    const [x, scale, bias] = [ctx.x(0), ctx.x(1), ctx.x(2)];
    const rank = ctx.shape(x).length;
    const axis = attrInt(node, 'axis', -1);
    const a = axis < 0 ? axis + rank : axis;
    const axes = Array.from({ length: rank - a }, (_, k) => a + k);
    const dy = ctx.dy(0)!;
    const { xhat, invstd } = normalized(ctx, a);

    let dx: string | null = null;
    if (ctx.needs(0)) {
      const g = b.op('Mul', [dy, scale]);
      const m1 = b.reduce('ReduceMean', g, axes, true);
      const m2 = b.reduce('ReduceMean', b.op('Mul', [g, xhat]), axes, true);
      dx = b.op('Mul', [b.op('Sub', [b.op('Sub', [g, m1]), b.op('Mul', [xhat, m2])]), invstd]);
    }
    const dscale = ctx.needs(1) ? b.op('Mul', [dy, xhat]) : null;
    const dbias = bias && ctx.needs(2) ? dy : null;
    return [dx, dscale, dbias];
  },
};
