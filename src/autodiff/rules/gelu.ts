// Gelu-20. Exact: Y = X·Φ(X), dY/dX = Φ(X) + X·φ(X). Tanh form: Y = ½X(1+tanh u), u = k(X + cX³).
import { attrString } from '../../graph/ir.js';
import type { GradContext } from '../registry.js';
import { scalarLike, unaryRule } from './elementwise-util.js';

export const gelu = unaryRule('Gelu', 20, (ctx, dy, x) => {
  const approximate = attrString(ctx.node, 'approximate', 'none');
  if (approximate === 'none') return exact(ctx, dy, x);
  if (approximate === 'tanh') return tanhForm(ctx, dy, x);
  throw new Error(`unknown Gelu approximate '${approximate}'`);
});

function exact(ctx: GradContext, dy: string, x: string): string {
  const { b } = ctx;
  const s = (v: number) => scalarLike(ctx, v, x);
  const a = b.op('Mul', [x, s(Math.SQRT1_2)]);
  const cdf2 = b.op('Add', [b.op('Erf', [a]), s(1)]); // 2Φ(X)
  // φ(X) = exp(ln(1/√(2π)) − X²/2), and X²/2 = a².
  const pdf = b.op('Exp', [b.op('Sub', [s(-0.5 * Math.log(2 * Math.PI)), b.op('Mul', [a, a])])]);
  const slope = b.op('Add', [b.op('Mul', [cdf2, s(0.5)]), b.op('Mul', [x, pdf])]);
  return b.op('Mul', [dy, slope]);
}

function tanhForm(ctx: GradContext, dy: string, x: string): string {
  const { b } = ctx;
  const s = (v: number) => scalarLike(ctx, v, x);
  const k = Math.sqrt(2 / Math.PI);
  const c = 0.044715;
  const x2 = b.op('Mul', [x, x]);
  const t = b.op('Tanh', [b.op('Mul', [x, b.op('Add', [b.op('Mul', [x2, s(k * c)]), s(k)])])]);
  const sech2 = b.op('Sub', [s(1), b.op('Mul', [t, t])]);
  const du = b.op('Add', [b.op('Mul', [x2, s(3 * k * c)]), s(k)]);
  const slope2 = b.op('Add', [b.op('Add', [t, s(1)]), b.op('Mul', [b.op('Mul', [x, sech2]), du])]); // 2·dY/dX
  return b.op('Mul', [dy, b.op('Mul', [slope2, s(0.5)])]);
}
