// GRU (default activations; gates z, r, h in W, R, B): per step t, with xa = X_t·Wᵀ + Wb,
//   z = σ(xa_z + H_{t-1}·R_zᵀ + Rb_z), r = σ(xa_r + H_{t-1}·R_rᵀ + Rb_r),
//   ĥ = tanh(xa_h + (r·H_{t-1})·R_hᵀ + Rb_h)       (linear_before_reset = 0)
//   ĥ = tanh(xa_h + r·(H_{t-1}·R_hᵀ + Rb_h))       (linear_before_reset ≠ 0, what PyTorch exports)
//   H_t = (1 - z)·ĥ + z·H_{t-1}.
// Backward through time (recurrent-util.ts: processing order, sequence_lens as a mask), from the gradient
// dH entering step t (dY_t plus what step t+1 passes back; dY_h at the last step):
//   da_z = dH·(H_{t-1} - ĥ)·z(1-z), da_h = dH·(1-z)·(1-ĥ²);
//   linear_before_reset ≠ 0, with n = H_{t-1}·R_hᵀ + Rb_h: da_r = da_h·n·r(1-r);
//     dH_{t-1} = dH·z + [da_z, da_r, da_h·r]·R; dR = Σ [da_z, da_r, da_h·r]ᵀ·H_{t-1}, dRb = Σ [da_z, da_r, da_h·r];
//   linear_before_reset = 0: d(rH) = da_h·R_h, da_r = d(rH)·H_{t-1}·r(1-r);
//     dH_{t-1} = dH·z + d(rH)·r + [da_z, da_r]·R_zr; dR = [Σ [da_z, da_r]ᵀ·H_{t-1}, Σ da_hᵀ·(r·H_{t-1})], dRb = dWb;
//   dW = Σ [da_z, da_r, da_h]ᵀ·X_t, dWb = Σ [da_z, da_r, da_h], dX_t = [da_z, da_r, da_h]·W.
// The gates are recomputed for all steps with batched MatMuls (H_{t-1} is Y shifted by one step).
// Matches torch.nn.GRU's backward. Refused: other activations, clip, layout 1.
import { attrInt } from '../../graph/ir.js';
import type { GradContext } from '../registry.js';
import {
  add,
  biasGrad,
  flat,
  IN,
  inputGrad,
  inputPart,
  passBack,
  perStep,
  prepare,
  recurrentPart,
  runSteps,
  sigmoidGrad,
  stateGrad,
  stepGrad,
  tanhGrad,
  unflat,
  weightGrad,
  recurrentRules,
} from './recurrent-util.js';

function gruGrad(ctx: GradContext, layoutAttr: boolean): (string | null)[] {
  const rec = prepare(ctx, 3, layoutAttr);
  const { b, H, dt } = rec;
  const R = ctx.x(IN.R);
  const lbr = attrInt(ctx.node, 'linear_before_reset', 0) !== 0;
  const one = b.scalar(1, dt);
  const needH0 = ctx.needs(IN.H0);
  const hprev = rec.hprev;
  // X·Wᵀ + Wb of all steps, flat [D, T·B, ·]: the z and r parts, and the h part.
  const [xzr, xh] = b.split(inputPart(rec), 2, [2 * H, H]);

  let daW: string;
  let dr: string | null = null;
  let db: string | null = null;
  let dh0: string | null;
  if (lbr) {
    const [hzr, hn] = b.split(recurrentPart(rec, hprev, R, rec.rb), 2, [2 * H, H]);
    const [z, r] = b.split(unflat(rec, b.op('Sigmoid', [b.op('Add', [xzr, hzr])]), 2 * H), 3, [H, H]);
    const n = unflat(rec, hn, H);
    const hh = b.op('Tanh', [b.op('Add', [unflat(rec, xh, H), b.op('Mul', [r, n])])]);
    const gz = b.op('Mul', [b.op('Sub', [hprev, hh]), sigmoidGrad(rec, z)]);
    const gh = b.op('Mul', [b.op('Sub', [one, z]), tanhGrad(rec, hh)]);
    const gr = b.op('Mul', [b.op('Mul', [gh, n]), sigmoidGrad(rec, r)]);
    const kr = b.op('Concat', [gz, gr, b.op('Mul', [gh, r])], { axis: 3 });
    const r4 = perStep(rec, R);
    const back = runSteps(rec, {
      reverse: true,
      carried: [rec.dyh],
      step(s, [dh], last) {
        const { b: sb } = s;
        const { total, valid } = stepGrad(rec, s, dh);
        if (last && !needH0) return { carried: [null], outputs: [valid] };
        const daR = sb.op('Mul', [sb.op('Concat', [valid, valid, valid], { axis: 3 }), s.at(kr)]);
        const back = add(sb, sb.op('MatMul', [daR, r4]), sb.op('Mul', [valid, s.at(z)]));
        return { carried: [add(sb, back, passBack(rec, s, total))], outputs: [valid] };
      },
    });
    dh0 = back.carried[0];
    const dhv = back.outputs[0];
    const dhv3 = b.op('Concat', [dhv, dhv, dhv], { axis: 3 });
    daW = flat(rec, b.op('Mul', [dhv3, b.op('Concat', [gz, gr, gh], { axis: 3 })]), 3 * H);
    const daR = flat(rec, b.op('Mul', [dhv3, kr]), 3 * H);
    if (ctx.needs(IN.R)) dr = weightGrad(rec, daR, hprev, H);
    if (ctx.needs(IN.B)) db = b.op('Concat', [biasGrad(rec, daW), biasGrad(rec, daR)], { axis: 1 });
  } else {
    const [rzr, rh] = b.split(R, 1, [2 * H, H]);
    const [rbzr, rbh] = rec.rb ? b.split(rec.rb, 2, [2 * H, H]) : [null, null];
    const hzr = recurrentPart(rec, hprev, rzr, rbzr);
    const [z, r] = b.split(unflat(rec, b.op('Sigmoid', [b.op('Add', [xzr, hzr])]), 2 * H), 3, [H, H]);
    const rhp = b.op('Mul', [r, hprev]);
    const hh = b.op('Tanh', [unflat(rec, b.op('Add', [xh, recurrentPart(rec, rhp, rh, rbh)]), H)]);
    const gz = b.op('Mul', [b.op('Sub', [hprev, hh]), sigmoidGrad(rec, z)]);
    const gh = b.op('Mul', [b.op('Sub', [one, z]), tanhGrad(rec, hh)]);
    const gr = b.op('Mul', [hprev, sigmoidGrad(rec, r)]);
    const [rzr4, rh4] = [perStep(rec, rzr), perStep(rec, rh)];
    const back = runSteps(rec, {
      reverse: true,
      carried: [rec.dyh],
      step(s, [dh], last) {
        const { b: sb } = s;
        const { total, valid } = stepGrad(rec, s, dh);
        const dah = sb.op('Mul', [valid, s.at(gh)]);
        const drh = sb.op('MatMul', [dah, rh4]);
        const dzr = sb.op('Concat', [sb.op('Mul', [valid, s.at(gz)]), sb.op('Mul', [drh, s.at(gr)])], { axis: 3 });
        if (last && !needH0) return { carried: [null], outputs: [dzr, dah] };
        const back = sb.op('Add', [sb.op('MatMul', [dzr, rzr4]), sb.op('Mul', [drh, s.at(r)])]);
        const dhNext = add(sb, add(sb, back, sb.op('Mul', [valid, s.at(z)])), passBack(rec, s, total));
        return { carried: [dhNext], outputs: [dzr, dah] };
      },
    });
    dh0 = back.carried[0];
    const [dzr, dah] = back.outputs;
    daW = flat(rec, b.op('Concat', [dzr, dah], { axis: 3 }), 3 * H);
    if (ctx.needs(IN.R))
      dr = b.op(
        'Concat',
        [weightGrad(rec, flat(rec, dzr, 2 * H), hprev, H), weightGrad(rec, flat(rec, dah, H), rhp, H)],
        { axis: 1 },
      );
    if (ctx.needs(IN.B)) {
      const s = biasGrad(rec, daW);
      db = b.op('Concat', [s, s], { axis: 1 });
    }
  }
  const dx = ctx.needs(IN.X) ? inputGrad(rec, daW) : null;
  const dw = ctx.needs(IN.W) ? weightGrad(rec, daW, rec.xp, rec.I) : null;
  return [dx, dw, dr, db, null, needH0 ? stateGrad(rec, dh0) : null];
}

/** Time-major from opset 7, with the layout attribute from 14 (recurrent-util.ts recurrentRules). */
export const [gru7, gru14] = recurrentRules('GRU', gruGrad);
