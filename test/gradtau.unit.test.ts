// ∇τ building blocks: the reference schedule (against report.json), AdamW (against hand-computed
// values) and the combined gradient of the objective.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../src/methods/common/adamw.js';
import {
  combineGradient,
  combineGradients,
  objectiveCoefficients,
  objectiveValue,
} from '../src/methods/gradtau/objective.js';
import { epochPlan, gradTauSchedule } from '../src/methods/common/schedule.js';
import { FIXTURES } from './support/fixtures.js';

interface ScheduleEntry {
  epochs: number;
  alpha0: number;
  forget_batches: number;
  retain_batches: number;
  trace: { epoch: number; alpha: number; lr: number; l_val: number }[];
}
type Report = Record<string, { scenarios: Record<string, { forget_count: number; gradtau_schedule: ScheduleEntry }> }>;
const report = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8')) as Report;
const TRAIN = 55_000;

describe('gradtau schedule matches report.json', () => {
  const cases = ['mlp', 'cnn'].flatMap((m) => ['class0', 'random10', 'random30'].map((s) => [m, s] as const));
  it.each(cases)('%s %s', (model, scenario) => {
    const sc = report[model].scenarios[scenario];
    const ref = sc.gradtau_schedule;
    const s = gradTauSchedule(sc.forget_count, TRAIN - sc.forget_count);
    expect(s.epochs).toBe(ref.epochs);
    expect(s.alpha0).toBe(ref.alpha0);
    expect(s.forgetBatches).toBe(ref.forget_batches);
    expect(s.retainBatches).toBe(ref.retain_batches);
    const plan = epochPlan(s);
    expect(plan.length).toBe(ref.trace.length);
    for (const [e, r] of ref.trace.entries()) {
      expect(plan[e].epoch).toBe(r.epoch);
      expect(plan[e].alpha).toBe(r.alpha); // exactly, as floats
      expect(plan[e].lr).toBe(r.lr);
      // L_val changes only where the schedule recomputes it.
      if (e > 0 && !plan[e].recomputeVal) expect(r.l_val).toBe(ref.trace[e - 1].l_val);
    }
    expect(plan.filter((p) => p.recomputeVal).map((p) => p.epoch)).toEqual(
      plan.map((p) => p.epoch).filter((e) => e % 5 === 0),
    );
  });

  it('at least one epoch, and refuses empty sets', () => {
    expect(gradTauSchedule(50_000, 10).epochs).toBe(1);
    expect(() => gradTauSchedule(0, 10)).toThrow(/forget/);
    expect(() => gradTauSchedule(10, 0)).toThrow(/retain/);
  });
});

describe('AdamW (PyTorch semantics)', () => {
  const w0 = [0.5, -1.25, 2.0, 0.0, 0.003];
  const grads = [
    [0.1, -0.2, 0.3, 0.0, 1e-9],
    [0.05, 0.4, -0.3, 0.0, 2e-9],
    [-0.2, 0.1, 0.6, 1.0, -1e-3],
  ];
  const lrs = [1e-3, 9e-4, 5e-4];
  // Step 1 by hand: m̂ = g, v̂ = g², so w1 = w0·(1 − lr·wd) − lr·g/(|g| + ε) with lr 1e-3, wd 0.01.
  const hand1 = w0.map((w, i) => w * (1 - 1e-5) - (1e-3 * grads[0][i]) / (Math.abs(grads[0][i]) + 1e-8));
  // Literals: 0.5·0.99999 − 1e-3·0.1/0.10000001 = 0.4989950001; 0.003·0.99999 − 1e-3·1e-9/1.1e-8 = 0.0029090609…
  const literal1 = [0.49899500010000003, -1.24898750005, 1.9989800000333333, 0.0, 0.0029090609090909095];
  // Three steps (float64 formula, independently evaluated in numpy).
  const ref64 = [
    0.49825223532426993, -1.2495073313897411, 1.9987502615198143, -0.0003194067941697356, 0.003109809727686885,
  ];
  // The same with float32 tensors in PyTorch's operation order (numpy float32, no FMA).
  const ref32 = [
    [0.49899500608444214, -1.2489874362945557, 1.998979926109314, 0.0, 0.00290906080044806],
    [0.4981515407562256, -1.24930572509765625, 1.9990092515945435, 0.0, 0.0027904233429580927],
    [0.4982522130012512, -1.2495073080062866, 1.99875009059906, -0.0003194067976437509, 0.003109809709712863],
  ];

  // float64 moments, the weight rounded to float32 after every step (numpy).
  const mixed = [
    [0.49899500608444214, -1.2489875555038452, 1.9989800453186035, 0.0, 0.0029090610332787037],
    [0.4981515407562256, -1.2493058443069458, 1.999009370803833, 0.0, 0.0027904233429580927],
    [0.4982522428035736, -1.2495074272155762, 1.9987502098083496, -0.0003194067976437509, 0.0031098099425435066],
  ];

  const steps = (state: 'float32' | 'float64', n: number) => {
    const opt = new AdamW({ state });
    const w = new Float32Array(w0);
    const params = new Map([['w', w]]);
    const out: Float32Array[] = [];
    for (let t = 0; t < n; t++) {
      opt.update(params, new Map([['w', new Float32Array(grads[t])]]), lrs[t]);
      out.push(w.slice());
    }
    return { out, opt };
  };

  it('one step equals the hand-computed update', () => {
    for (const state of ['float32', 'float64'] as const) {
      const [w1] = steps(state, 1).out;
      for (let i = 0; i < 5; i++) {
        expect(hand1[i]).toBeCloseTo(literal1[i], 12);
        // Within one float32 rounding of the exact value (gradients are float32 too).
        expect(Math.abs(w1[i] - literal1[i])).toBeLessThanOrEqual(Math.abs(literal1[i]) * 2 ** -22 + 1e-15);
      }
    }
    expect(Array.from(steps('float32', 1).out[0])).toEqual(ref32[0]);
    expect(Array.from(steps('float64', 1).out[0])).toEqual(mixed[0]);
  });

  it('three steps, float32 state: PyTorch operation order, bit for bit against the float32 reference', () => {
    const { out, opt } = steps('float32', 3);
    expect(opt.step).toBe(3);
    expect(opt.state.get('w')!.m).toBeInstanceOf(Float32Array);
    for (let t = 0; t < 3; t++) expect(Array.from(out[t])).toEqual(ref32[t]);
    for (let i = 0; i < 5; i++)
      expect(Math.abs(out[2][i] - ref64[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(ref64[i])));
  });

  it('three steps, float64 state: each step exact, the weight rounded to float32', () => {
    const { out, opt } = steps('float64', 3);
    expect(opt.state.get('w')!.m).toBeInstanceOf(Float64Array);
    for (let t = 0; t < 3; t++) expect(Array.from(out[t])).toEqual(mixed[t]);
    for (let i = 0; i < 5; i++)
      expect(Math.abs(out[2][i] - ref64[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(ref64[i])));
  });

  it('a zero gradient only decays the weight', () => {
    const opt = new AdamW();
    const w = new Float32Array([2]);
    opt.update(new Map([['w', w]]), new Map([['w', new Float32Array([0])]]), 0.1);
    expect(w[0]).toBe(Math.fround(2 * Math.fround(1 - 0.1 * 0.01)));
  });

  it('refuses a missing or mis-sized gradient', () => {
    const opt = new AdamW();
    const params = new Map([['w', new Float32Array(3)]]);
    expect(() => opt.update(params, new Map(), 1e-3)).toThrow(/no gradient/);
    expect(() => opt.update(params, new Map([['w', new Float32Array(2)]]), 1e-3)).toThrow(/2 values/);
    expect(opt.step).toBe(0);
  });
});

describe('gradtau objective', () => {
  const gf = new Float32Array([1, -2, 0.5, 0, 4]);
  const gr = new Float32Array([0.25, 1, -1, 3, 0]);

  it('combines the two gradients: −2α·relu(L_val − L_f)·g_f + (1 − α)·g_r', () => {
    const terms = { alpha: 0.25, lVal: 0.75, lForget: 0.25 }; // relu = 0.5 → forget weight −0.25
    expect(objectiveCoefficients(terms)).toEqual({ forget: -0.25, retain: 0.75 });
    expect(Array.from(combineGradient(gf, gr, terms))).toEqual([-0.0625, 1.25, -0.875, 2.25, -1]);
    expect(objectiveValue({ ...terms, lRetain: 2 })).toBe(0.25 * 0.25 + 0.75 * 2);
  });

  it('relu at and below zero: the forget term vanishes', () => {
    for (const lForget of [0.75, 1.5]) {
      const terms = { alpha: 0.25, lVal: 0.75, lForget };
      expect(objectiveCoefficients(terms).forget).toBe(0);
      expect(Array.from(combineGradient(gf, gr, terms))).toEqual([0.1875, 0.75, -0.75, 2.25, 0]);
      expect(objectiveValue({ ...terms, lRetain: 2 })).toBe(1.5);
    }
  });

  it('maps parameter by parameter', () => {
    const g = combineGradients(new Map([['a', gf]]), new Map([['a', gr]]), { alpha: 0.5, lVal: 1, lForget: 0 });
    expect(Array.from(g.get('a')!)).toEqual([-0.875, 2.5, -1, 1.5, -4]);
    expect(() => combineGradients(new Map([['a', gf]]), new Map(), { alpha: 0.5, lVal: 1, lForget: 0 })).toThrow(/a/);
  });
});

describe('multi-label targets of the default schedule', () => {
  it('forgottenLabels: labels forget examples carry and no retain example does', async () => {
    const { forgottenLabels } = await import('../src/methods/gradtau/targets.js');
    const forget = Float32Array.from([1, 0, 1, 0, 0, 0, 1, 1]); // 2 examples × 4 labels
    const retain = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 1]);
    expect(forgottenLabels(forget, retain, 4)).toEqual([2]);
    expect(forgottenLabels(forget, Float32Array.from([1, 0, 1, 1]), 4)).toEqual([]);
  });
  it('sigmoidTargetsWithout: σ(z) on kept labels, 0 on forgotten ones', async () => {
    const { sigmoidTargetsWithout } = await import('../src/methods/gradtau/targets.js');
    const t = sigmoidTargetsWithout(Float32Array.from([0, 2, -1, 3]), 2, [1]);
    expect(t[0]).toBeCloseTo(0.5, 7);
    expect(t[1]).toBe(0);
    expect(t[2]).toBeCloseTo(1 / (1 + Math.E), 7);
    expect(t[3]).toBe(0);
  });
});
