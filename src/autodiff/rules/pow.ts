// Y = A^B. dA = dY·B·A^(B−1); dB = dY·Y·ln(A); the engine sums each down to its input's shape.
import { DataType, isFloatType } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';
import { keepWhere, scalarLike } from './elementwise-util.js';

export const pow: GradRule = {
  opType: 'Pow',
  since: 7,
  broadcast: true,
  grad(ctx) {
    const [a, e] = [ctx.x(0), ctx.x(1)];
    const da = ctx.needs(0) ? gradBase(ctx, a, e) : null;
    const de = ctx.needs(1) ? gradExponent(ctx, a) : null;
    return [da, de];
  },
};

function gradBase(ctx: GradContext, a: string, e: string): string | null {
  const { b } = ctx;
  const dy = ctx.dy(0)!;
  const c = ctx.constant(e);
  if (c && c.length === 1) {
    const k = c[0];
    // PyTorch's pow_backward: a zero exponent gives a zero gradient, even at A = 0.
    if (k === 0) return null;
    if (k === 1) return dy;
    if (k === 2) return b.op('Mul', [dy, b.op('Add', [a, a])]);
    if (k === 0.5) return b.op('Div', [b.op('Mul', [dy, scalarLike(ctx, 0.5, a)]), ctx.y(0)]);
    // A^(k−1) rather than Y/A, which is 0/0 at A = 0.
    const p = b.op('Pow', [a, scalarLike(ctx, k - 1, a)]);
    return b.op('Mul', [dy, b.op('Mul', [p, scalarLike(ctx, k, a)])]);
  }
  const ef = asFloatOf(ctx, e, a);
  const p = b.op('Pow', [a, b.op('Sub', [ef, scalarLike(ctx, 1, a)])]);
  return b.op('Mul', [dy, b.op('Mul', [p, ef])]);
}

function gradExponent(ctx: GradContext, a: string): string {
  const { b } = ctx;
  const g = b.op('Mul', [ctx.dy(0)!, b.op('Mul', [ctx.y(0), b.op('Log', [a])])]);
  // PyTorch zeroes it where A = 0 and B >= 0 (there Y·ln A is 0·(−inf)); Equal on floats is opset 11+.
  if (ctx.opset < 11) return g;
  const zero = scalarLike(ctx, 0, a);
  const baseZero = b.op('Equal', [a, zero]);
  const cond = b.op('And', [baseZero, b.op('Not', [b.op('Less', [ctx.x(1), scalarLike(ctx, 0, ctx.x(1))])])]);
  return keepWhere(ctx, b.op('Not', [cond]), g);
}

/** The exponent in the base's float type (Pow-12+ lets it be an integer tensor). */
function asFloatOf(ctx: GradContext, e: string, a: string): string {
  const ta = ctx.dtype(a) || DataType.FLOAT;
  const te = ctx.dtype(e);
  if (te === ta || (te === 0 && isFloatType(ta))) return e;
  return ctx.b.op('Cast', [e], { to: ta });
}
