// LpNormalization: Y = X / n along `axis` (default -1), n = ‖X‖_p (p 1 or 2, default 2).
// dX = (dY − s·Σ(dY·Y)) / n, where s = ∂n/∂X: Y for p = 2, sign(X) for p = 1 (Σ along the axis).
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { normAxis } from './shape-util.js';

export const lpNormalization: GradRule = {
  opType: 'LpNormalization',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const y = ctx.y(0);
    const axis = normAxis(attrInt(node, 'axis', -1), ctx.shape(x).length);
    const p = attrInt(node, 'p', 2);
    if (p !== 1 && p !== 2) throw new Error(`LpNormalization with p ${p} is not supported (p is 1 or 2)`);
    const dy = ctx.dy(0)!;
    const sum = (t: string) => b.reduce('ReduceSum', t, [axis], true);
    let n: string;
    let s: string;
    if (p === 2) {
      n = b.op('Sqrt', [sum(b.op('Mul', [x, x]))]);
      s = y;
    } else {
      b.need(9, `gradient of LpNormalization node ${node.name || node.outputs[0]}: p 1 takes the sign with Sign`);
      n = sum(b.op('Abs', [x]));
      s = b.op('Sign', [x]);
    }
    const dx = b.op('Div', [b.op('Sub', [dy, b.op('Mul', [s, sum(b.op('Mul', [dy, y]))])]), n]);
    return [dx];
  },
};
