// RNN (default activation tanh): per step t, H_t = tanh(X_t·Wᵀ + H_{t-1}·Rᵀ + Wb + Rb).
// Backward through time (recurrent-util.ts: processing order, sequence_lens as a mask), from the gradient
// dH entering step t (dY_t plus what step t+1 passes back; dY_h at the last step):
//   da = dH·(1 - H_t²), dH_{t-1} = da·R; then over all steps at once dW = Σ daᵀ·X_t, dR = Σ daᵀ·H_{t-1},
//   dWb = dRb = Σ da, dX_t = da·W, d initial_h = what leaves step 0.
// H_t is Y itself: nothing is recomputed. Matches torch.nn.RNN's backward (nonlinearity 'tanh').
// Refused: other activations (PyTorch's 'relu' exports Relu), clip, layout 1.
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
  stateGrad,
  stepGrad,
  tanhGrad,
  weightGrad,
  recurrentRules,
} from './recurrent-util.js';

function rnnGrad(ctx: GradContext, layoutAttr: boolean): (string | null)[] {
  const rec = prepare(ctx, 1, layoutAttr);
  const { b, H } = rec;
  const r4 = perStep(rec, ctx.x(IN.R));
  const k = tanhGrad(rec, rec.yp);
  const needH0 = ctx.needs(IN.H0);
  const back = runSteps(rec, {
    reverse: true,
    carried: [rec.dyh],
    step(s, [dh], last) {
      const { total, valid } = stepGrad(rec, s, dh);
      const da = s.b.op('Mul', [valid, s.at(k)]);
      const dhNext = last && !needH0 ? null : add(s.b, s.b.op('MatMul', [da, r4]), passBack(rec, s, total));
      return { carried: [dhNext], outputs: [da] };
    },
  });
  const da = flat(rec, back.outputs[0], H);
  const dx = ctx.needs(IN.X) ? inputGrad(rec, da) : null;
  const dw = ctx.needs(IN.W) ? weightGrad(rec, da, rec.xp, rec.I) : null;
  const dr = ctx.needs(IN.R) ? weightGrad(rec, da, rec.hprev, H) : null;
  let db: string | null = null;
  if (ctx.needs(IN.B)) {
    const s = biasGrad(rec, da);
    db = b.op('Concat', [s, s], { axis: 1 });
  }
  return [dx, dw, dr, db, null, needH0 ? stateGrad(rec, back.carried[0]) : null];
}

/** Time-major from opset 7, with the layout attribute from 14 (recurrent-util.ts recurrentRules). */
export const [rnn7, rnn14] = recurrentRules('RNN', rnnGrad);
