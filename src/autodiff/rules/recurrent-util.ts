// Shared by the LSTM, GRU and RNN rules: backpropagation through time. Every direction runs in "processing
// order": the reverse direction's values reversed in time (ReverseSequence over each row's sequence_lens,
// or the whole axis without them), so that both directions of a bidirectional node step together, as one
// batched MatMul per step.
//
// Values are laid out direction-major, [D, T, B, ·] (direction, time, batch, features), so that [D, T·B, ·]
// is a free Reshape: the gate pre-activations and the weight gradients of all steps are then one batched
// MatMul each (a GEMM per direction). The hidden state before each step comes from Y shifted by one step
// (initial_h, or zeros, first), and only what the recurrence itself carries backwards is a per-step chain
// over [D, 1, B, ·] slices (runSteps): unrolled where the sequence length is static, else an ONNX Loop
// whose body is the same step.
//
// With sequence_lens, row b runs for L_b steps: past them ONNX Runtime writes zeros to Y and keeps the
// state (Y_h, Y_c are those of step L_b - 1; zeros where L_b = 0). In processing order the valid steps of
// every direction are a prefix, so a mask m_t = [t < L_b] models it exactly: h_t = m_t·h̃_t + (1 - m_t)·h_{t-1},
// Y_t = m_t·h_t. The states of padded steps are never read where m_t = 1.
import { attrInt, attrString, DataType, type Dim, type Graph, type Node } from '../../graph/ir.js';
import { GraphBuilder } from '../builder.js';
import type { GradContext, GradRule } from '../registry.js';
import { floatType, INT64_MIN } from './shape-util.js';

/** Inputs of LSTM, GRU and RNN. */
export const IN = { X: 0, W: 1, R: 2, B: 3, LENS: 4, H0: 5, C0: 6, P: 7 } as const;

export interface Recurrence {
  ctx: GradContext;
  b: GraphBuilder;
  dt: number;
  /** Sequence length (null: it varies, known at run time only), input size, hidden size, directions, gates. */
  T: number | null;
  I: number;
  H: number;
  D: number;
  G: number;
  direction: string;
  /** sequence_lens as int64 [B], or null when absent. */
  lens: string | null;
  /** The sequence length as an int64 scalar, where it is known at run time only (else null). */
  tCount: string | null;
  /** X in processing order [D, T, B, I]. */
  xp: string;
  /** Y (all hidden states) in processing order [D, T, B, H]. */
  yp: string;
  /** Hidden state before each step [D, T, B, H]. */
  hprev: string;
  /** initial_h as [D, 1, B, H], or null (zeros). */
  h0: string | null;
  /** Zeros [D, 1, B, H]. */
  zeros: string;
  /** m_t = [t < L_b] and 1 - m_t for all steps [1, T, B, 1], or null without sequence_lens. */
  mask: string | null;
  unmask: string | null;
  /** The gradient flowing into Y, masked, [D, T, B, H] (null where none flows). */
  dy: string | null;
  /** Gradient flowing into Y_h (and Y_c) as [D, 1, B, H], or null. */
  dyh: string | null;
  dyc: string | null;
  /** Biases Wb and Rb as [D, 1, G·H], or null without B. */
  wb: string | null;
  rb: string | null;
}

const DEFAULT_ACTIVATIONS: Record<string, string[]> = {
  LSTM: ['sigmoid', 'tanh', 'tanh'],
  GRU: ['sigmoid', 'tanh'],
  RNN: ['tanh'],
};

/**
 * Reads and checks the node (default activations, no clip, layout 0), and lays out the values every rule
 * needs in processing order.
 */
export function prepare(ctx: GradContext, G: number, layoutAttr: boolean): Recurrence {
  const { b, node } = ctx;
  const op = node.opType;
  const acts = node.attrs.activations;
  if (acts) {
    const list = acts.type === 'strings' ? acts.strings.map((s) => s.toLowerCase()) : [];
    const def = DEFAULT_ACTIVATIONS[op];
    if (list.length % def.length !== 0 || list.some((a, k) => a !== def[k % def.length]))
      throw new Error(
        `only the default activations (${def.join(', ')}) are supported; this node has ` +
          `${acts.type === 'strings' ? acts.strings.join(', ') : 'unreadable activations'}`,
      );
  }
  if (node.attrs.clip) throw new Error(`the clip attribute (cell clipping) is not supported`);
  if (op === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0)
    throw new Error('input_forget = 1 (coupled input and forget gates) is not supported');
  if (op === 'LSTM' && ctx.x(IN.P)) throw new Error('peephole weights (input P) are not supported');
  const layout = layoutAttr ? attrInt(node, 'layout', 0) : 0;
  // ONNX Runtime's CPU kernels refuse layout 1 too: no such model runs there, none could be checked.
  if (layout !== 0) throw new Error(`layout ${layout} (batch-major X, Y and states) is not supported`);
  const direction = attrString(node, 'direction', 'forward');
  const dt = floatType(ctx, ctx.x(IN.X));

  const w = ctx.shape(ctx.x(IN.W));
  const r = ctx.shape(ctx.x(IN.R));
  const xs = ctx.shape(ctx.x(IN.X));
  const stat = (d: Dim, what: string): number => {
    if (typeof d !== 'number') throw new Error(`the ${what} must be static (it is ${d})`);
    return d;
  };
  const D = stat(w[0], 'number of directions');
  const I = stat(w[2], 'input size');
  const H = stat(r[2], 'hidden size');
  const T = typeof xs[0] === 'number' ? xs[0] : null;
  if (stat(w[1], 'gate size') !== G * H) throw new Error(`W has ${String(w[1])} rows, expected ${G}·${H}`);
  if (D !== (direction === 'bidirectional' ? 2 : 1)) throw new Error(`W has ${D} directions for ${direction}`);

  const lensIn = ctx.x(IN.LENS);
  const lens = lensIn ? b.op('Cast', [lensIn], { to: DataType.INT64 }) : null;
  const x = ctx.x(IN.X);
  const tCount = T !== null ? null : b.op('Gather', [b.shapeOf(x), b.i64([0], [])]);
  const rec = { ctx, b, dt, T, I, H, D, G, direction, lens, tCount } as Recurrence;

  const fwd = b.unsqueeze(x, [0]);
  const bwd = () => b.unsqueeze(reverse(rec, x), [0]);
  rec.xp = direction === 'forward' ? fwd : direction === 'reverse' ? bwd() : b.op('Concat', [fwd, bwd()], { axis: 0 });

  let y = ctx.y(0);
  // Y is not an output of the node: run it again with all of its outputs.
  if (!y) y = b.emit(op, node.inputs, node.attrs, Math.max(1, node.outputs.length))[0];
  rec.yp = toProcessing(rec, y);
  rec.zeros = b.zerosLike(b.op('Slice', [rec.yp, b.i64([0]), b.i64([1]), b.i64([1])]), dt);
  rec.h0 = stateInput(rec, ctx.x(IN.H0) || null);
  rec.hprev = shifted(rec, rec.h0 ?? rec.zeros, rec.yp);

  if (lens) {
    const range =
      T !== null
        ? b.i64(
            Array.from({ length: T }, (_, t) => t),
            [1, T, 1, 1],
          )
        : b.op('Reshape', [b.op('Range', [b.i64([0], []), tCount!, b.i64([1], [])]), b.i64([1, -1, 1, 1])]);
    const l = b.op('Reshape', [lens, b.i64([1, 1, -1, 1])]);
    rec.mask = b.op('Cast', [b.op('Less', [range, l])], { to: dt });
    rec.unmask = b.op('Sub', [b.scalar(1, dt), rec.mask]);
  } else rec.mask = rec.unmask = null;

  const dy = ctx.dy(0);
  if (dy) {
    const dyp = toProcessing(rec, dy);
    rec.dy = rec.mask ? b.op('Mul', [dyp, rec.mask]) : dyp;
  } else rec.dy = null;
  rec.dyh = stateInput(rec, ctx.dy(1));
  rec.dyc = op === 'LSTM' ? stateInput(rec, ctx.dy(2)) : null;
  // A row with sequence_lens 0 gets zeros in Y_h and Y_c from ONNX Runtime, not its initial state:
  // no gradient flows from them (m_0 = [0 < L_b]).
  if (rec.mask) {
    const nonEmpty = b.op('Slice', [rec.mask, b.i64([0]), b.i64([1]), b.i64([1])]);
    if (rec.dyh) rec.dyh = b.op('Mul', [rec.dyh, nonEmpty]);
    if (rec.dyc) rec.dyc = b.op('Mul', [rec.dyc, nonEmpty]);
  }

  const bias = ctx.x(IN.B);
  if (bias) {
    const [wb, rb] = b.split(bias, 1, [G * H, G * H]);
    rec.wb = b.unsqueeze(wb, [1]);
    rec.rb = b.unsqueeze(rb, [1]);
  } else rec.wb = rec.rb = null;
  return rec;
}

/** A state (initial_h, initial_c, or a gradient flowing into Y_h, Y_c) [D, B, H] as [D, 1, B, H]. */
export function stateInput(rec: Recurrence, s: string | null): string | null {
  return s ? rec.b.unsqueeze(s, [1]) : null;
}

/** The state before each step [D, T, B, ·]: `first`, then the states of all [D, T, B, ·] but the last. */
export function shifted(rec: Recurrence, first: string, all: string): string {
  const { b } = rec;
  if (rec.T === 1) return first;
  return b.op('Concat', [first, b.op('Slice', [all, b.i64([0]), b.i64([-1]), b.i64([1])])], { axis: 1 });
}

/** Reverses x [T, B, ·] in time: each row's first L_b steps, or the whole axis. */
function reverse(rec: Recurrence, x: string): string {
  const { b, lens } = rec;
  if (lens) return b.op('ReverseSequence', [x, lens], { batch_axis: 1, time_axis: 0 });
  return b.op('Slice', [x, b.i64([-1]), b.i64([INT64_MIN]), b.i64([0]), b.i64([-1])]);
}

/** A value laid out as Y, [T, D, B, ·], in processing order [D, T, B, ·]. */
export function toProcessing(rec: Recurrence, x: string): string {
  const { b, D, direction } = rec;
  const dm = b.op('Transpose', [x], { perm: [1, 0, 2, 3] });
  if (direction === 'forward') return dm;
  if (D === 1) return b.unsqueeze(reverse(rec, b.squeeze(dm, [0])), [0]);
  const [fwd, bwd] = b.split(dm, 0, [1, 1]);
  return b.op('Concat', [fwd, b.unsqueeze(reverse(rec, b.squeeze(bwd, [0])), [0])], { axis: 0 });
}

/** Σ over the directions of x [D, T, B, ·] (processing order), each back in time order: [T, B, ·]. */
function sumDirections(rec: Recurrence, x: string): string {
  const { b, direction } = rec;
  if (direction === 'forward') return b.squeeze(x, [0]);
  if (direction === 'reverse') return reverse(rec, b.squeeze(x, [0]));
  const [fwd, bwd] = b.split(x, 0, [1, 1]);
  return b.op('Add', [b.squeeze(fwd, [0]), reverse(rec, b.squeeze(bwd, [0]))]);
}

/** One step of a chain: where its nodes go, and its slice [D, 1, B, ·] of a [D, T, B, ·] value. */
export interface Stepper {
  b: GraphBuilder;
  at(x: string): string;
}

export interface StepChain {
  /** Backwards in time (t = T-1 … 0) or forwards. */
  reverse: boolean;
  /** Initial values of what the chain carries from step to step, each [D, 1, B, ·] (null: zeros [D, 1, B, H]). */
  carried: (string | null)[];
  /**
   * One step: the carried values after it (null: not needed any more, on the last step only), and its
   * outputs, each [D, 1, B, ·]. `last`: the last step of an unrolled chain.
   */
  step(s: Stepper, carried: (string | null)[], last: boolean): { carried: (string | null)[]; outputs: string[] };
}

/**
 * Runs a chain over the steps: unrolled where the sequence length is static, else as an ONNX Loop whose
 * body is one step. Returns the carried values after the last step and each output joined over the steps
 * in time order [D, T, B, ·].
 */
export function runSteps(rec: Recurrence, chain: StepChain): { carried: (string | null)[]; outputs: string[] } {
  return rec.T !== null ? unrolled(rec, rec.T, chain) : loop(rec, chain);
}

function unrolled(rec: Recurrence, T: number, chain: StepChain) {
  const { b } = rec;
  const splits = new Map<string, string[]>();
  let t = 0;
  const s: Stepper = {
    b,
    at(x) {
      let parts = splits.get(x);
      if (!parts) {
        parts = T === 1 ? [x] : b.emit('Split', [x], { axis: 1 }, T);
        splits.set(x, parts);
      }
      return parts[t];
    },
  };
  let carried = chain.carried;
  const outs: string[][] = [];
  for (let k = 0; k < T; k++) {
    t = chain.reverse ? T - 1 - k : k;
    const r = chain.step(s, carried, k === T - 1);
    carried = r.carried;
    outs[t] = r.outputs;
  }
  const n = outs[0].length;
  const outputs = Array.from({ length: n }, (_, j) =>
    T === 1
      ? outs[0][j]
      : b.op(
          'Concat',
          outs.map((o) => o[j]),
          { axis: 1 },
        ),
  );
  return { carried, outputs };
}

function loop(rec: Recurrence, chain: StepChain) {
  const { b, dt } = rec;
  const tCount = rec.tCount!;
  const prefix = b.fresh('loop');
  const bb = new GraphBuilder(b.opset, `${prefix}/body`);
  const iter = `${prefix}/iter`;
  const cond = `${prefix}/cond`;
  const carriedIn = chain.carried.map((_, k) => `${prefix}/carried_${k}`);
  const t = chain.reverse ? bb.op('Sub', [b.op('Sub', [tCount, b.i64([1], [])]), iter]) : iter;
  const index = bb.unsqueeze(t, [0]);
  const slices = new Map<string, string>();
  const s: Stepper = {
    b: bb,
    at(x) {
      let v = slices.get(x);
      if (!v) {
        v = bb.op('Gather', [x, index], { axis: 1 });
        slices.set(x, v);
      }
      return v;
    },
  };
  const r = chain.step(s, carriedIn, false);
  const carriedOut = r.carried.map((c, k) => bb.op('Identity', [c ?? carriedIn[k]]));
  const condOut = bb.op('Identity', [cond]);
  // The body's constants as Constant nodes (initializers of a subgraph are not read everywhere).
  const constants: Node[] = [...bb.initializers.values()].map((tensor) => ({
    name: `${tensor.name}_node`,
    opType: 'Constant',
    domain: '',
    inputs: [],
    outputs: [tensor.name],
    attrs: { value: { type: 'tensor', t: tensor } },
  }));
  const info = (name: string, elemType: number, shape: Dim[] | null = null) => ({ name, elemType, shape });
  const body: Graph = {
    name: `${prefix}/body`,
    nodes: [...constants, ...bb.nodes],
    inputs: [info(iter, DataType.INT64, []), info(cond, DataType.BOOL, []), ...carriedIn.map((c) => info(c, dt))],
    outputs: [
      info(condOut, DataType.BOOL, []),
      ...carriedOut.map((c) => info(c, dt)),
      ...r.outputs.map((o) => info(o, dt)),
    ],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  const init = chain.carried.map((c) => c ?? rec.zeros);
  const nCarried = init.length;
  const outs = b.emit('Loop', [tCount, '', ...init], { body: { type: 'graph', g: body } }, nCarried + r.outputs.length);
  // Each output stacked over the iterations [T, D, 1, B, ·]: back to time order [D, T, B, ·].
  const outputs = outs.slice(nCarried).map((o) => {
    let v = b.squeeze(o, [2]);
    if (chain.reverse) v = b.op('Slice', [v, b.i64([-1]), b.i64([INT64_MIN]), b.i64([0]), b.i64([-1])]);
    return b.op('Transpose', [v], { perm: [1, 0, 2, 3] });
  });
  return { carried: outs.slice(0, nCarried), outputs };
}

/** [D, T, B, K] as [D, T·B, K] (a free Reshape). */
export function flat(rec: Recurrence, x: string, K: number): string {
  return rec.b.op('Reshape', [x, rec.b.i64([rec.D, -1, K])]);
}

/** [D, T·B, K] as [D, T, B, K]. */
export function unflat(rec: Recurrence, x: string, K: number): string {
  const { b, D, T } = rec;
  if (T !== null) return b.op('Reshape', [x, b.i64([D, T, -1, K])]);
  const shape = b.op('Concat', [b.i64([D]), b.unsqueeze(rec.tCount!, [0]), b.i64([-1, K])], { axis: 0 });
  return b.op('Reshape', [x, shape]);
}

/** a + b where either may be null (zero). */
export function add(b: GraphBuilder, x: string | null, y: string | null): string | null {
  if (!x) return y;
  if (!y) return x;
  return b.op('Add', [x, y]);
}

/**
 * The gradient of the hidden state entering a step, and the part of it that reaches the step's
 * computation (masked: rows past their sequence_lens keep their state and pass it back unchanged).
 */
export function stepGrad(rec: Recurrence, s: Stepper, carry: string | null): { total: string; valid: string } {
  const total = add(s.b, rec.dy ? s.at(rec.dy) : null, carry) ?? rec.zeros;
  return { total, valid: rec.mask ? s.b.op('Mul', [total, s.at(rec.mask)]) : total };
}

/** The part of a state's gradient that reaches the step's computation (itself without sequence_lens). */
export function validPart(rec: Recurrence, s: Stepper, g: string | null): string | null {
  return g && rec.mask ? s.b.op('Mul', [g, s.at(rec.mask)]) : g;
}

/** What a padded step passes back unchanged: (1 - m_t)·g, or null without sequence_lens. */
export function passBack(rec: Recurrence, s: Stepper, g: string | null): string | null {
  return rec.unmask && g ? s.b.op('Mul', [g, s.at(rec.unmask)]) : null;
}

/** Σ_t,b da_tᵀ·v_t per direction: da [D, T·B, K] (flat), v [D, T, B, J] → [D, K, J], one MatMul. */
export function weightGrad(rec: Recurrence, da: string, v: string, J: number): string {
  const { b } = rec;
  // ORT folds the Transpose into the MatMul (FusedMatMul transA).
  return b.op('MatMul', [b.op('Transpose', [da], { perm: [0, 2, 1] }), flat(rec, v, J)]);
}

/** Σ_t,b da per direction: [D, T·B, K] (flat) → [D, K]. */
export function biasGrad(rec: Recurrence, da: string): string {
  return rec.b.reduce('ReduceSum', da, [1], false);
}

/** dX from the gate gradients da [D, T·B, G·H] (flat, processing order): Σ_d da·W_d, [T, B, I]. */
export function inputGrad(rec: Recurrence, da: string): string {
  return sumDirections(rec, unflat(rec, rec.b.op('MatMul', [da, rec.ctx.x(IN.W)]), rec.I));
}

/** The gradient of an initial state from the carry [D, 1, B, H] that leaves step 0: [D, B, H]. */
export function stateGrad(rec: Recurrence, carry: string | null): string | null {
  return carry ? rec.b.squeeze(carry, [1]) : null;
}

/** The gate pre-activations' input part X·Wᵀ + Wb, flat [D, T·B, G·H]. */
export function inputPart(rec: Recurrence): string {
  const { b } = rec;
  const xw = b.op('MatMul', [flat(rec, rec.xp, rec.I), transposed(rec, rec.ctx.x(IN.W))]);
  return rec.wb ? b.op('Add', [xw, rec.wb]) : xw;
}

/** The recurrent part H_{t-1}·Rᵀ (+ Rb), flat [D, T·B, G·H], of R or a slice of its gate rows. */
export function recurrentPart(rec: Recurrence, h: string, r: string, bias: string | null): string {
  const { b } = rec;
  const hr = b.op('MatMul', [flat(rec, h, rec.H), transposed(rec, r)]);
  return bias ? b.op('Add', [hr, bias]) : hr;
}

/** Weights [D, K, J] transposed: [D, J, K] (ORT folds it into the MatMul that reads it). */
export function transposed(rec: Recurrence, r: string): string {
  return rec.b.op('Transpose', [r], { perm: [0, 2, 1] });
}

/** Weights [D, K, J] as [D, 1, K, J], for the per-step MatMuls over [D, 1, B, K] slices. */
export function perStep(rec: Recurrence, r: string): string {
  return rec.b.unsqueeze(r, [1]);
}

/** σ'(a) through σ: s·(1 - s). */
export function sigmoidGrad(rec: Recurrence, s: string): string {
  const { b, dt } = rec;
  return b.op('Mul', [s, b.op('Sub', [b.scalar(1, dt), s])]);
}

/** tanh'(a) through tanh: 1 - t². */
export function tanhGrad(rec: Recurrence, t: string): string {
  const { b, dt } = rec;
  return b.op('Sub', [b.scalar(1, dt), b.op('Mul', [t, t])]);
}

/**
 * The two registered forms of a recurrent op: from opset 7 time-major only (layout 0), and from 14
 * with the layout attribute (layout 1, batch-major, is refused, as ONNX Runtime's CPU kernels refuse it).
 */
export function recurrentRules(
  opType: 'LSTM' | 'GRU' | 'RNN',
  grad: (ctx: GradContext, layoutAttr: boolean) => (string | null)[],
): [GradRule, GradRule] {
  return [
    { opType, since: 7, grad: (ctx) => grad(ctx, false) },
    { opType, since: 14, grad: (ctx) => grad(ctx, true) },
  ];
}
