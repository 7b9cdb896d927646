// Constant mode: dX is dY with the padding cut off (and zeros where the pads cropped).
// reflect/edge/wrap: each X element also collects the dY of the padded cells that copied it.
import { attrInts, attrString, type Dim } from '../../graph/ir.js';
import type { GraphBuilder } from '../builder.js';
import type { GradContext, GradRule } from '../registry.js';
import {
  asInt64,
  constInput,
  flatIndices,
  floatType,
  normAxis,
  padZeros,
  PAST_END,
  scatterFlat,
  sliceConst,
} from './shape-util.js';

type Mode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Opset 2-10: pads, mode and value are attributes. */
export const pad2: GradRule = {
  opType: 'Pad',
  since: 2,
  grad(ctx) {
    const rank = ctx.shape(ctx.x(0)).length;
    const pads = attrInts(ctx.node, 'pads') ?? Array<number>(2 * rank).fill(0);
    const mode = attrString(ctx.node, 'mode', 'constant') as Mode;
    const axes = [...Array(rank).keys()];
    const g = staticGrad(ctx, mode, pads, axes);
    if (!g)
      throw new Error(
        `the gradient of a ${mode} Pad over an axis of run-time size needs opset 16; ` +
          `the model is at opset ${ctx.opset}`,
      );
    return [g];
  },
};

/** Opset 11+: pads, constant_value? and (18) axes? are inputs. */
export const pad11: GradRule = {
  opType: 'Pad',
  since: 11,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const dims = ctx.shape(x);
    const rank = dims.length;
    const mode = attrString(node, 'mode', 'constant') as Mode;
    const pads = ctx.constant(ctx.x(1));
    const axesIn = constInput(ctx, 3);
    const axes = axesIn && (axesIn.length ? axesIn.map((a) => normAxis(a, rank)) : [...Array(rank).keys()]);
    const dy = ctx.dy(0)!;
    const axesInput = ctx.x(3) ? ['', ctx.x(3)] : [];

    let dx: string | null = pads && axes ? staticGrad(ctx, mode, pads, axes) : null;
    if (!dx && mode === 'constant') {
      // Pads known at run time (or X's size is): padding by the negated pads undoes the Pad.
      const neg = pads ? b.i64(pads.map((p) => -p)) : b.op('Neg', [asInt64(ctx, ctx.x(1))]);
      dx = b.op('Pad', [dy, neg, ...axesInput]);
    }
    if (!dx) {
      // the artifact's opset (ctx.b), which artifact.ts raises to 16 where the model allows
      b.need(
        16,
        `gradient of Pad node ${node.name || node.outputs[0]}: the gradient of a ${mode} Pad with run-time pads ` +
          `or sizes, or cropping, scatters with ScatterElements reduction='add'`,
      );
      // Pad the element positions the same way; every padded cell sends its dY to the position it copied.
      const positions = b.op('Pad', [flatIndices(b, x, dims), ctx.x(1), ...axesInput], { mode });
      dx = scatterFlat(b, x, dims, positions, dy, floatType(ctx, x), true);
    }

    let dvalue: string | null = null;
    const value = ctx.x(2);
    if (value && mode === 'constant' && ctx.needs(2)) {
      // Every padded cell holds the value: it collects the part of dY that did not go to X.
      const all = (t: string, r: number) => b.reduce('ReduceSum', t, [...Array(r).keys()], false);
      dvalue = b.op('Sub', [all(dy, ctx.shape(ctx.y(0)).length), all(dx, rank)]);
      const vdims = ctx.shape(value);
      if (vdims.length) dvalue = b.op('Reshape', [dvalue, b.i64(vdims.map((d) => (typeof d === 'number' ? d : -1)))]);
    }
    return [dx, null, dvalue];
  },
};

/**
 * Constant pads: a Slice (or cropping Pad) in constant mode; per axis, a Concat of dY's pieces
 * in the other modes. Null when that needs a size known only at run time.
 */
function staticGrad(ctx: GradContext, mode: Mode, pads: number[], axes: number[]): string | null {
  const { b } = ctx;
  const x = ctx.x(0);
  const dims = ctx.shape(x);
  const rank = dims.length;
  const m = axes.length;
  if (pads.length !== 2 * m) throw new Error(`Pad has ${pads.length} pads for ${m} axes`);
  const padded = axes
    .map((a, k) => ({ axis: a, before: pads[k], after: pads[k + m] }))
    .filter((p) => p.before !== 0 || p.after !== 0);
  const dy = ctx.dy(0)!;
  if (padded.length === 0) return dy;

  if (mode === 'constant') {
    if (padded.some((p) => p.before < 0 || p.after < 0))
      return padZeros(b, dy, rank, new Map(padded.map((p) => [p.axis, [-p.before, -p.after]])));
    const ends = padded.map((p) => {
      const n = dims[p.axis];
      return typeof n === 'number' ? p.before + n : p.after > 0 ? -p.after : PAST_END;
    });
    return sliceConst(
      b,
      dy,
      padded.map((p) => p.before),
      ends,
      padded.map((p) => p.axis),
    );
  }

  const fits = (p: { before: number; after: number }, n: Dim) =>
    typeof n === 'number' &&
    p.before >= 0 &&
    p.after >= 0 &&
    (mode === 'edge' || (mode === 'reflect' ? Math.max(p.before, p.after) < n : Math.max(p.before, p.after) <= n));
  if (!padded.every((p) => fits(p, dims[p.axis]))) return null;
  let g = dy;
  for (const p of padded) g = axisGrad(b, g, p.axis, dims[p.axis] as number, p.before, p.after, mode);
  return g;
}

interface Part {
  /** The X positions [from, to) this part adds to. */
  from: number;
  to: number;
  /** dY's contribution to the X positions [a, c) within [from, to). */
  piece(a: number, c: number): string;
}

/** The adjoint of a reflect/edge/wrap pad of one axis of size n, as a Concat of summed pieces. */
function axisGrad(b: GraphBuilder, g: string, axis: number, n: number, pb: number, pe: number, mode: Mode): string {
  const slice = (s: number, e: number) => sliceConst(b, g, [s], [e], [axis]);
  const pick = (pos: number[]) => b.op('Gather', [g, b.i64(pos)], { axis });
  const seq = (a: number, c: number, f: (i: number) => number) => Array.from({ length: c - a }, (_, k) => f(a + k));
  const parts: Part[] = [{ from: 0, to: n, piece: (a, c) => slice(pb + a, pb + c) }];
  if (pb > 0) {
    if (mode === 'edge') parts.push({ from: 0, to: 1, piece: () => b.reduce('ReduceSum', slice(0, pb), [axis], true) });
    else if (mode === 'reflect') parts.push({ from: 1, to: pb + 1, piece: (a, c) => pick(seq(a, c, (i) => pb - i)) });
    else parts.push({ from: n - pb, to: n, piece: (a, c) => slice(a - n + pb, c - n + pb) });
  }
  if (pe > 0) {
    const end = pb + n;
    if (mode === 'edge')
      parts.push({ from: n - 1, to: n, piece: () => b.reduce('ReduceSum', slice(end, end + pe), [axis], true) });
    else if (mode === 'reflect')
      parts.push({ from: n - 1 - pe, to: n - 1, piece: (a, c) => pick(seq(a, c, (i) => pb + 2 * n - 2 - i)) });
    else parts.push({ from: 0, to: pe, piece: (a, c) => slice(end + a, end + c) });
  }
  const cuts = [...new Set(parts.flatMap((p) => [p.from, p.to]))].sort((p, q) => p - q);
  const pieces: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [a, c] = [cuts[k], cuts[k + 1]];
    const terms = parts.filter((p) => p.from <= a && c <= p.to).map((p) => p.piece(a, c));
    pieces.push(terms.length === 1 ? terms[0] : b.op('Sum', terms));
  }
  return pieces.length === 1 ? pieces[0] : b.op('Concat', pieces, { axis });
}
