// LSTM (default activations; gates i, o, f, c in W, R, B): per step t, with a = X_t·Wᵀ + H_{t-1}·Rᵀ + Wb + Rb,
//   i = σ(a_i), o = σ(a_o), f = σ(a_f), g = tanh(a_c), C_t = f·C_{t-1} + i·g, H_t = o·tanh(C_t).
// Backward through time (recurrent-util.ts: processing order, sequence_lens as a mask), from the gradients
// dH, dC entering step t (dY_t plus what step t+1 passes back; dY_h, dY_c at the last step):
//   dC' = dC + dH·o·(1 - tanh²C_t); da = [dC'·g·i(1-i), dH·tanh(C_t)·o(1-o), dC'·C_{t-1}·f(1-f), dC'·i·(1-g²)];
//   dH_{t-1} = da·R, dC_{t-1} = dC'·f. Then over all steps at once: dW = Σ daᵀ·X_t, dR = Σ daᵀ·H_{t-1},
//   dWb = dRb = Σ da, dX_t = da·W, d initial_h / initial_c = what leaves step 0.
// The gates of all steps are recomputed with one batched MatMul, [X_t, H_{t-1}]·[W, R]ᵀ (H_{t-1} is Y
// shifted by one step), and [dW, dR] is one more; only the cell state needs a per-step (elementwise) chain.
// Matches torch.nn.LSTM's backward (gates i, f, g, o there; PyTorch's export reorders them).
// Refused: other activations, clip, input_forget, peepholes P, layout 1.
import type { GradContext } from '../registry.js';
import {
  add,
  biasGrad,
  flat,
  IN,
  inputGrad,
  passBack,
  perStep,
  prepare,
  runSteps,
  shifted,
  sigmoidGrad,
  stateGrad,
  stateInput,
  stepGrad,
  tanhGrad,
  transposed,
  unflat,
  validPart,
  recurrentRules,
} from './recurrent-util.js';

function lstmGrad(ctx: GradContext, layoutAttr: boolean): (string | null)[] {
  const rec = prepare(ctx, 4, layoutAttr);
  const { b, H } = rec;
  const R = ctx.x(IN.R);

  // Gates of all steps [D, T, B, ·] as one MatMul: [X_t, H_{t-1}]·[W, R]ᵀ + Wb + Rb. i, o, f are contiguous.
  const xh = flat(rec, b.op('Concat', [rec.xp, rec.hprev], { axis: 3 }), rec.I + H);
  const wr = b.op('Concat', [ctx.x(IN.W), R], { axis: 2 });
  let a = b.op('MatMul', [xh, transposed(rec, wr)]);
  if (rec.wb) a = b.op('Add', [a, b.op('Add', [rec.wb, rec.rb!])]);
  const [aiof, ac] = b.split(unflat(rec, a, 4 * H), 3, [3 * H, H]);
  const siof = b.op('Sigmoid', [aiof]);
  const [i, o, f] = b.split(siof, 3, [H, H, H]);
  const g = b.op('Tanh', [ac]);

  // The cell state of every step: C_t = f·C_{t-1} + i·g.
  const c0 = stateInput(rec, ctx.x(IN.C0) || null);
  const ig = b.op('Mul', [i, g]);
  const [c] = runSteps(rec, {
    reverse: false,
    carried: [c0],
    step(s, [cp]) {
      const next = cp ? s.b.op('Add', [s.b.op('Mul', [s.at(f), cp]), s.at(ig)]) : s.at(ig);
      return { carried: [next], outputs: [next] };
    },
  }).outputs;
  const cprev = shifted(rec, c0 ?? rec.zeros, c);
  const tc = b.op('Tanh', [c]);

  // dC' = dC + dH·kc; da = [dC', dH, dC', dC']·k with
  // k = [g·i(1-i), tanh(C_t)·o(1-o), C_{t-1}·f(1-f), i·(1-g²)], the sigmoid gates' factors as one Mul.
  const kc = b.op('Mul', [o, tanhGrad(rec, tc)]);
  const kiof = b.op('Mul', [b.op('Concat', [g, tc, cprev], { axis: 3 }), sigmoidGrad(rec, siof)]);
  const k = b.op('Concat', [kiof, b.op('Mul', [i, tanhGrad(rec, g)])], { axis: 3 });

  const r4 = perStep(rec, R);
  const needH0 = ctx.needs(IN.H0);
  const needC0 = ctx.needs(IN.C0);
  const back = runSteps(rec, {
    reverse: true,
    carried: [rec.dyh, rec.dyc],
    step(s, [dh, dc], last) {
      const { b: sb } = s;
      const { total, valid } = stepGrad(rec, s, dh);
      const dcFull = add(sb, validPart(rec, s, dc), sb.op('Mul', [valid, s.at(kc)]))!;
      const da = sb.op('Mul', [sb.op('Concat', [dcFull, valid, dcFull, dcFull], { axis: 3 }), s.at(k)]);
      const dhNext = last && !needH0 ? null : add(sb, sb.op('MatMul', [da, r4]), passBack(rec, s, total));
      const dcNext = last && !needC0 ? null : add(sb, sb.op('Mul', [dcFull, s.at(f)]), passBack(rec, s, dc));
      return { carried: [dhNext, dcNext], outputs: [da] };
    },
  });
  const [dh, dc] = back.carried;
  const da = flat(rec, back.outputs[0], 4 * H);

  const dx = ctx.needs(IN.X) ? inputGrad(rec, da) : null;
  // [dW, dR] = Σ daᵀ·[X_t, H_{t-1}], one MatMul.
  let [dw, dr]: (string | null)[] = [null, null];
  if (ctx.needs(IN.W) || ctx.needs(IN.R)) {
    [dw, dr] = b.split(b.op('MatMul', [b.op('Transpose', [da], { perm: [0, 2, 1] }), xh]), 2, [rec.I, H]);
    if (!ctx.needs(IN.W)) dw = null;
    if (!ctx.needs(IN.R)) dr = null;
  }
  let db: string | null = null;
  if (ctx.needs(IN.B)) {
    const s = biasGrad(rec, da);
    db = b.op('Concat', [s, s], { axis: 1 });
  }
  return [dx, dw, dr, db, null, needH0 ? stateGrad(rec, dh) : null, needC0 ? stateGrad(rec, dc) : null, null];
}

/** Time-major from opset 7, with the layout attribute from 14 (recurrent-util.ts recurrentRules). */
export const [lstm7, lstm14] = recurrentRules('LSTM', lstmGrad);
