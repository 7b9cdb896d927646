// Einsum is linear in each operand: Y = Σ over the summed letters of Π_k X_k. The gradient of operand k is
// an Einsum of dY with the other operands that produces operand k's subscripts (PyTorch's einsum backward
// does the same contraction). Letters only operand k has (summed out in it alone) do not occur in that
// Einsum's inputs: the result lacks those axes, and they are put back by Unsqueeze and Expand (each element
// of the summed axis gets the same gradient). Ellipsis dims broadcast across operands: the gradient of an
// operand whose ellipsis is shorter or has size-1 dims is summed down to it. A letter repeated within one
// operand (a diagonal, "ii->i") is refused.
import { attrString, type Dim } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

interface Term {
  letters: string[];
  /** Position of "..." among the letters (-1: none). */
  ellipsis: number;
}

function parseTerm(t: string): Term {
  const at = t.indexOf('...');
  const rest = at < 0 ? t : t.slice(0, at) + t.slice(at + 3);
  if (!/^[A-Za-z]*$/.test(rest)) throw new Error(`cannot parse Einsum term '${t}'`);
  return { letters: [...rest], ellipsis: at };
}

const show = (t: Term) =>
  t.ellipsis < 0
    ? t.letters.join('')
    : [...t.letters.slice(0, t.ellipsis), '...', ...t.letters.slice(t.ellipsis)].join('');

/** Operand terms and the (explicit) output term of an equation. */
export function parseEquation(equation: string): { inputs: Term[]; output: Term } {
  const eq = equation.replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  const inputs = lhs.split(',').map(parseTerm);
  if (rhs !== undefined) return { inputs, output: parseTerm(rhs) };
  // Implicit output: "..." (where any operand has one), then the letters used once, alphabetically.
  const count = new Map<string, number>();
  for (const t of inputs) for (const l of t.letters) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([, n]) => n === 1).map(([l]) => l);
  once.sort();
  return { inputs, output: { letters: once, ellipsis: inputs.some((t) => t.ellipsis >= 0) ? 0 : -1 } };
}

function operandGrad(ctx: GradContext, inputs: Term[], output: Term, k: number): string {
  const { b } = ctx;
  const term = inputs[k];
  const others = inputs.flatMap((t, j) => (j === k ? [] : [{ t, name: ctx.x(j) }]));
  const available = new Set([...output.letters, ...others.flatMap((o) => o.t.letters)]);
  // The result keeps operand k's layout, less the letters only it has.
  const kept = term.letters.filter((l) => available.has(l));
  const before = term.ellipsis < 0 ? 0 : term.letters.slice(0, term.ellipsis).filter((l) => available.has(l)).length;
  const result: Term = { letters: kept, ellipsis: term.ellipsis < 0 ? -1 : before };
  const dy = ctx.dy(0)!;
  const terms = [output, ...others.map((o) => o.t)];
  let g: string;
  if (others.length === 0 && show(result) === show(output)) g = dy;
  else {
    const eq = `${terms.map(show).join(',')}->${show(result)}`;
    g = b.op('Einsum', [dy, ...others.map((o) => o.name)], { equation: eq });
  }
  const xk = ctx.x(k);
  const xs = ctx.shape(xk);
  // Ellipsis dims (the output has them where an operand does): the result has the broadcast ellipsis of all
  // operands (dY's); sum down to operand k's.
  if (term.ellipsis >= 0) {
    const ellK = xs.length - term.letters.length;
    const ys = ctx.shape(ctx.y(0));
    const ellOut = ys.length - output.letters.length;
    const lead = ellOut - ellK;
    const axes: number[] = [];
    for (let e = 0; e < ellOut; e++) {
      const dimK: Dim | undefined = e >= lead ? xs[term.ellipsis + e - lead] : undefined;
      if (e < lead || (dimK === 1 && ys[output.ellipsis + e] !== 1)) axes.push(before + e);
    }
    if (axes.length) {
      g = b.reduce('ReduceSum', g, axes, true);
      if (lead > 0) g = b.squeeze(g, axes.slice(0, lead));
    }
  }
  // Letters only operand k has: axes of size 1, broadcast back to X_k's shape.
  const missing: number[] = [];
  const ellK = term.ellipsis < 0 ? 0 : xs.length - term.letters.length;
  term.letters.forEach((l, i) => {
    if (!available.has(l)) missing.push(term.ellipsis >= 0 && i >= term.ellipsis ? i + ellK : i);
  });
  if (missing.length) {
    g = b.unsqueeze(g, missing);
    const s = xs.every((d) => typeof d === 'number') ? b.i64(xs as number[]) : b.shapeOf(xk);
    g = b.op('Expand', [g, s]);
  }
  return g;
}

export const einsum: GradRule = {
  opType: 'Einsum',
  since: 12,
  grad(ctx) {
    const equation = attrString(ctx.node, 'equation', '');
    const { inputs, output } = parseEquation(equation);
    for (const t of inputs)
      if (new Set(t.letters).size !== t.letters.length)
        throw new Error(`the gradient of Einsum '${equation}' with a letter repeated in one operand is not supported`);
    if (output.ellipsis < 0 && inputs.some((t) => t.ellipsis >= 0))
      throw new Error(`the gradient of Einsum '${equation}', which sums over the ellipsis, is not supported`);
    return inputs.map((_, k) => (ctx.needs(k) ? operandGrad(ctx, inputs, output, k) : null));
  },
};
