// ∇τ's default schedule: the targets (pure), the schedule, and the 'matched' loss's gradient.
import { describe, expect, it } from 'vitest';
import { matchedFeeds, MATCHED_LOSS_FLOOR, type MatchedBatch } from '../src/methods/gradtau/matched-loss.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import {
  DEFAULT_EPOCHS,
  DEFAULT_FOCUS,
  DEFAULT_FULL_EPOCHS,
  defaultEpochSettings,
  defaultSchedule,
  defaultVisits,
  gradTauSchedule,
} from '../src/methods/common/schedule.js';
import { BatchDrawer } from '../src/methods/common/training.js';
import { Rng } from '../src/core/rng.js';
import {
  focusOnFarthest,
  forgottenClasses,
  quantile,
  rankMatchedTargets,
  softTargetsWithout,
} from '../src/methods/gradtau/targets.js';
import { batch, FIXTURES, relL2 } from './support/fixtures.js';
import { mixedMatchedBatch } from './support/matched.js';

describe('targets', () => {
  it('forgottenClasses: classes with forget examples and no retain examples', () => {
    expect(forgottenClasses(BigInt64Array.from([3n, 0n, 3n]), BigInt64Array.from([1n, 2n, 0n]), 5)).toEqual([3]);
    expect(forgottenClasses(BigInt64Array.from([1n, 2n]), BigInt64Array.from([1n, 2n]), 5)).toEqual([]);
    expect(forgottenClasses(BigInt64Array.from([4n, 2n]), BigInt64Array.from([0n]), 5)).toEqual([2, 4]);
  });

  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    const s = [1, 2, 4, 8];
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(8);
    expect(quantile(s, 0.5)).toBe(3); // position 1.5
    expect(quantile(s, 0.25)).toBeCloseTo(1.75, 12); // position 0.75
    expect(() => quantile([], 0.5)).toThrow(/empty/);
  });

  it('rankMatchedTargets gives each example the held-out loss of its rank', () => {
    // held-out sorted [0.1, 0.2, 0.3, 0.4, 0.5]; 2 examples → quantiles 0.25 and 0.75 → positions 1 and 3
    const t = rankMatchedTargets([0.05, 0.01], [0.5, 0.1, 0.3, 0.2, 0.4]);
    expect(t[1]).toBeCloseTo(0.2, 6); // the lower loss gets the lower target
    expect(t[0]).toBeCloseTo(0.4, 6);
    // ties keep index order; the distribution is the held-out one whatever the input scale
    const u = rankMatchedTargets([7, 7, 7], [1, 2, 3]);
    expect(Array.from(u)).toEqual([Math.fround(1 + (1 / 6) * 2), 2, Math.fround(1 + (5 / 6) * 2)]);
  });

  it('focusOnFarthest marks the examples with the largest gaps, ties by lower index', () => {
    expect(Array.from(focusOnFarthest([0.1, 3, 0.5, 2, 0.2], 2))).toEqual([0, 1, 0, 1, 0]);
    expect(Array.from(focusOnFarthest([1, 1, 1, 0], 2))).toEqual([1, 1, 0, 0]);
    expect(Array.from(focusOnFarthest([4, 5], 0))).toEqual([0, 0]);
    expect(Array.from(focusOnFarthest([4, 5], 2))).toEqual([1, 1]);
    expect(() => focusOnFarthest([1, 2], 3)).toThrow(RangeError);
    expect(() => focusOnFarthest([1, 2], 0.5)).toThrow(RangeError);
  });

  it('softTargetsWithout renormalises the softmax over the remaining classes', () => {
    const z = Float32Array.from([2, 1, 0, 0, 5, 1]);
    const t = softTargetsWithout(z, 3, [0]);
    const e = [Math.exp(1), Math.exp(0)];
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo(e[0] / (e[0] + e[1]), 6);
    expect(t[2]).toBeCloseTo(e[1] / (e[0] + e[1]), 6);
    expect(t[3]).toBe(0);
    expect(t[4] + t[5]).toBeCloseTo(1, 6);
    expect(t[4]).toBeCloseTo(Math.exp(4) / (Math.exp(4) + 1), 6);
  });
});

describe('default schedule', () => {
  it('visits each forget example DEFAULT_EPOCHS times whatever the reference E; α stays α0', () => {
    // class0 on Fashion-MNIST: 5,479 forget, 49,521 retain → the reference's E = 26, cut to 12 with
    // the full retain batch (256·26/24 = 277, capped); random30: 16,500 / 38,500 → E = int(151 / 130 · 6)
    // = 6, raised to 12 with a quarter of the retain batch (256·6/24): half the reference's passes
    const c0 = defaultSchedule(5479, 49521);
    const r30 = defaultSchedule(16500, 38500);
    expect(gradTauSchedule(5479, 49521).epochs).toBe(26);
    expect(gradTauSchedule(16500, 38500).epochs).toBe(6);
    expect(DEFAULT_EPOCHS).toBe(12);
    expect(c0.epochs).toBe(DEFAULT_EPOCHS);
    expect(r30.epochs).toBe(DEFAULT_EPOCHS);
    expect(c0.retainBatch).toBe(256);
    expect(r30.retainBatch).toBe(64);
    // between: 2,560 forget, 12,800 retain → E_ref = int(50 / 20 · 6) = 15 → 256·15/24 = 160
    expect(gradTauSchedule(2560, 12800).epochs).toBe(15);
    expect(defaultSchedule(2560, 12800).retainBatch).toBe(160);
    expect(c0.forgetBatches).toBe(22);
    expect(r30.alpha0).toBeCloseTo((5 / 3) * (16500 / 55000), 15);
    for (const e of [0, 5, 11]) {
      const s = defaultEpochSettings(r30, e);
      expect(s.alpha).toBe(r30.alpha0);
      expect(s.lr).toBeCloseTo(1e-3 * (1 - (0.9 * e) / 12), 15);
      expect(s.recomputeVal).toBe(e % 5 === 0);
    }
  });
});

describe('default schedule: the focus of later epochs', () => {
  it('visits every forget example in the first epochs, then the forgotten classes and a focus of the rest', () => {
    expect(DEFAULT_FULL_EPOCHS).toBe(2);
    expect(DEFAULT_FOCUS).toBe(0.3);
    // random30: 16,500 matched examples → 4,950 (20 steps of 256 instead of 65) from epoch 2 on
    expect([0, 1, 2, 11].map((e) => defaultVisits(e, 16500, 0))).toEqual([16500, 16500, 4950, 4950]);
    // class0: every example belongs to the forgotten class, visited every epoch
    expect([0, 2, 11].map((e) => defaultVisits(e, 0, 5479))).toEqual([5479, 5479, 5479]);
    // mixed: the removed examples and ceil(0.3·matched) of the others (batch 8: 5 + 3 fill one step)
    expect(defaultVisits(3, 7, 5, true, 8)).toBe(5 + 3);
    expect(defaultVisits(3, 700, 5, true, 8)).toBe(5 + 210);
    // no fewer than fill one step: a forget set that fits in one step is visited whole
    expect(defaultVisits(3, 7, 5)).toBe(12);
    expect(defaultVisits(2, 90, 0)).toBe(90);
    expect(defaultVisits(2, 600, 0)).toBe(256);
    expect(defaultVisits(2, 300, 250)).toBe(250 + 90);
    // without the focus (a multi-label head): every example every epoch
    expect(defaultVisits(3, 7, 5, false, 8)).toBe(12);
  });

  it("BatchDrawer.newEpoch(visit) keeps the permutation's order of the visited examples and draws the same", () => {
    const all = new BatchDrawer(new Rng(7), 10, 20, 4, 3);
    const some = new BatchDrawer(new Rng(7), 10, 20, 4, 3);
    expect(all.newEpoch()).toBe(10);
    const steps = [all.next(0), all.next(1), all.next(2)];
    const odd = (i: number) => i % 2 === 1;
    expect(some.newEpoch(odd)).toBe(5);
    const kept = [some.next(0), some.next(1)];
    expect(kept.flatMap((b) => [...b.forget])).toEqual(steps.flatMap((b) => [...b.forget]).filter(odd));
    // each step draws the next retain batch, as without the filter
    expect(kept.map((b) => [...b.retain])).toEqual(steps.slice(0, 2).map((b) => [...b.retain]));
  });
});

describe("the 'matched' loss", () => {
  const C = 10;

  const matchedTitle =
    'computes Σ w·ℓ + ½·v·(G(ℓ) − g)² from the logits; ' +
    'its gradient matches central differences and the chain rule';
  it(matchedTitle, async () => {
    const model = loadModel(`${FIXTURES}/models/mlp.onnx`);
    const gm = await GradientModel.open(model, { cache: false, loss: 'matched' });
    try {
      const { x, y } = batch();
      const m = mixedMatchedBatch(y, C);
      const r = await gm.run(x, matchedFeeds(m));
      // the value, recomputed in float64 from the logits
      let expected = 0;
      for (let i = 0; i < y.length; i++) {
        const z = Array.from(r.logits.subarray(i * C, (i + 1) * C));
        const max = Math.max(...z);
        const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
        const l = -z.reduce((a, v, k) => a + m.targets[i * C + k] * (v - lse), 0);
        expect(r.perSample[i]).toBeCloseTo(l, 4);
        // G from the other classes' probabilities, as the graph does (1 − e^−ℓ cancels in float32)
        const miss = z.reduce((a, v, k) => a + (1 - m.targets[i * C + k]) * Math.exp(v - lse), 0) + MATCHED_LOSS_FLOOR;
        expected += m.weights[i] * l + 0.5 * m.matchWeights[i] * (l + Math.log(miss) - m.targetLogOdds[i]) ** 2;
      }
      expect(r.loss).toBeCloseTo(expected, 5);
      // the seed through the last layer (no ReLU after it) against central differences
      const base = new Map(gm.params.map((p) => [p.name, tensorToFloat32(model.graph.initializers.get(p.name)!)]));
      const eps = 1e-3;
      const g3 = r.grads.get('fc3.weight')!;
      const gmax = g3.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      expect(gmax).toBeGreaterThan(1e-3);
      const w3 = base.get('fc3.weight')!;
      for (const d of [g3.map((v) => v / gmax), w3.map((_, i) => Math.sin(i * 1.7 + 0.3))]) {
        const at = (s: number) => new Map([...base, ['fc3.weight', w3.map((v, i) => v + s * eps * d[i])]]);
        const plus = (await gm.run(x, matchedFeeds(m), at(1))).loss;
        const minus = (await gm.run(x, matchedFeeds(m), at(-1))).loss;
        const numeric = (plus - minus) / (2 * eps);
        let analytic = 0;
        g3.forEach((v, i) => (analytic += v * d[i]));
        // |loss| ≈ 10: its float32 rounding moves the quotient by about 2e-3
        expect(Math.abs(numeric - analytic), `${numeric} vs ${analytic}`).toBeLessThan(
          1e-2 * Math.abs(analytic) + 3e-3,
        );
      }
      // every parameter, by the chain rule: the pull's gradient is the plain one weighted per row by
      // v·(G(ℓ) − g)·dG/dℓ (computed here in float64), on rows where float32 resolves 1 − p_y
      const rows = Array.from({ length: y.length }, (_, i) => i).filter((i) => i % 3 === 2 && r.perSample[i] > 1e-3);
      expect(rows.length).toBeGreaterThan(5);
      const pullOnly: MatchedBatch = {
        targets: m.targets,
        weights: new Float32Array(y.length),
        matchWeights: new Float32Array(y.length),
        targetLogOdds: m.targetLogOdds,
      };
      const asPlain: MatchedBatch = {
        ...pullOnly,
        matchWeights: new Float32Array(y.length),
        weights: new Float32Array(y.length),
      };
      for (const i of rows) {
        pullOnly.matchWeights[i] = m.matchWeights[i];
        const l = r.perSample[i];
        const miss = -Math.expm1(-l) + MATCHED_LOSS_FLOOR;
        asPlain.weights[i] =
          (m.matchWeights[i] * (l + Math.log(miss) - m.targetLogOdds[i]) * (1 + MATCHED_LOSS_FLOOR)) / miss;
      }
      const viaPull = await gm.run(x, matchedFeeds(pullOnly));
      const viaPlain = await gm.run(x, matchedFeeds(asPlain));
      for (const p of gm.params)
        expect(relL2(viaPull.grads.get(p.name)!, viaPlain.grads.get(p.name)!), p.name).toBeLessThan(1e-3);
    } finally {
      await gm.release();
    }
  });

  it('refuses arrays that do not fit the batch', async () => {
    const gm = await GradientModel.open(loadModel(`${FIXTURES}/models/mlp.onnx`), { cache: false, loss: 'matched' });
    try {
      const { x, y } = batch();
      const m = mixedMatchedBatch(y, C);
      await expect(gm.run(x, matchedFeeds({ ...m, targetLogOdds: new Float32Array(3) }))).rejects.toThrow(
        /per-sample arrays of 64/,
      );
    } finally {
      await gm.release();
    }
  });
});
