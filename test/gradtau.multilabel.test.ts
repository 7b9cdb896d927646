// ∇τ (both schedules) and finetune on a multi-label head (test/fixtures/multilabel: sigmoid.onnx, 5
// labels; x.npy [12, 20], y.npy [12, 5] multi-hot). The default schedule's 'matched' loss swaps to
// 'matched-multilabel' there (src/methods/gradtau/matched-multilabel.ts): its value and seed against a
// float64 host computation, its directional derivative by central differences, its per-example values
// against eval/multilabel.ts, zero-fed rows; then the three runs end to end through the CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initialWeights } from '../src/context/index.js';
import { Rng } from '../src/core/rng.js';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { multiLabelCounts, multiLabelLosses } from '../src/eval/multilabel.js';
import { loadModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { validateReport, type UnlearnReport } from '../src/index.js';
import {
  lossLogOdds,
  MATCHED_LOSS_FLOOR,
  matchedFeeds,
  type MatchedBatch,
} from '../src/methods/gradtau/matched-loss.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { run } from './support/cli.js';
import { FIXTURES, relL2 } from './support/fixtures.js';

const DIR = `${FIXTURES}/multilabel`;
const MODEL = `${DIR}/sigmoid.onnx`;
const C = 5;
const x = readNpy(`${DIR}/x.npy`);
const X = { data: x.data as Float32Array, dims: x.shape };
const TARGETS = Float32Array.from(readNpy(`${DIR}/y.npy`).data as BigInt64Array, Number);
const DATA = `${DIR}/x.npy,${DIR}/y.npy`;
const F = MATCHED_LOSS_FLOOR;

/** The loss, per-example values and seed [N·C] of 'matched-multilabel' in float64, from the logits. */
function reference(z: ArrayLike<number>, m: MatchedBatch) {
  const n = m.weights.length;
  const perSample = multiLabelLosses(z, m.targets, C);
  const seed = new Float64Array(n * C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const l = perSample[i];
    const miss = -Math.expm1(-l) + F;
    const gap = l + Math.log(miss) - m.targetLogOdds[i];
    loss += m.weights[i] * l + 0.5 * m.matchWeights[i] * gap * gap;
    // G′(ℓ) = (1 + f)/(1 − e^−ℓ + f)
    const coef = m.weights[i] + (m.matchWeights[i] * gap * (1 + F)) / miss;
    // σ(z) − T = (1 − T)·σ(z) − T·σ(−z), exact in float64 however large |z|
    const sigma = (v: number) => 1 / (1 + Math.exp(-v));
    for (let k = i * C; k < (i + 1) * C; k++)
      seed[k] = (coef * ((1 - m.targets[k]) * sigma(z[k]) - m.targets[k] * sigma(-z[k]))) / C;
  }
  return { loss, perSample, seed };
}

/** Column sums of a seed [n, C]: the gradient of the last layer's bias. */
function biasGrad(seed: ArrayLike<number>): Float64Array {
  const g = new Float64Array(C);
  for (let k = 0; k < seed.length; k++) g[k % C] += seed[k];
  return g;
}

/** A batch of the fixture's 12 examples mixing plain descent (w), pulls (v, g) and both. */
function mixedBatch(targets = TARGETS): MatchedBatch {
  const rng = new Rng(3);
  const n = targets.length / C;
  const m: MatchedBatch = {
    targets,
    weights: new Float32Array(n),
    matchWeights: new Float32Array(n),
    targetLogOdds: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    if (i % 3 !== 1) m.weights[i] = 0.05 + 0.1 * rng.nextFloat();
    if (i % 3 !== 0) {
      m.matchWeights[i] = 0.1 + 0.2 * rng.nextFloat();
      m.targetLogOdds[i] = lossLogOdds(0.3 + 0.8 * rng.nextFloat());
    }
  }
  return m;
}

describe("the 'matched' loss on a multi-label head", () => {
  let gm: GradientModel;
  let own: Map<string, Float32Array>;
  beforeAll(async () => {
    const model = loadModel(MODEL);
    gm = await GradientModel.open(model, { cache: false, threads: 1, loss: 'matched' });
    own = initialWeights(model, gm);
  });

  it("is 'matched-multilabel': its value and seed are the float64 host computation's", async () => {
    expect(gm.loss).toBe('matched-multilabel');
    expect(gm.head.kind).toBe('multi-label');
    const m = mixedBatch();
    const r = await gm.run(X, matchedFeeds(m));
    const want = reference(r.logits, m);
    expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    // the per-example values are eval/multilabel.ts's mean binary cross-entropy over the labels
    expect(relL2(r.perSample, want.perSample)).toBeLessThan(1e-6);
    expect(relL2(r.grads.get('l2.bias')!, biasGrad(want.seed))).toBeLessThan(1e-5);
  });

  it('its directional derivative along the last layer equals ⟨gradient, direction⟩ (central differences)', async () => {
    const m = mixedBatch();
    const feeds = matchedFeeds(m);
    const base = await gm.run(X, feeds);
    const rng = new Rng(7);
    const last = gm.params.filter((p) => /^l2\./.test(p.name));
    expect(last.map((p) => p.name).sort()).toEqual(['l2.bias', 'l2.weight']);
    const dir = new Map(last.map((p) => [p.name, base.grads.get(p.name)!.map(() => rng.nextFloat() - 0.5)]));
    let norm = 0;
    for (const d of dir.values()) for (const v of d) norm += v * v;
    let analytic = 0;
    for (const [name, d] of dir)
      for (let i = 0; i < d.length; i++) {
        d[i] /= Math.sqrt(norm);
        analytic += base.grads.get(name)![i] * d[i];
      }
    const eps = 1e-2;
    const moved = async (s: number) => {
      const w = new Map([...own].map(([name, v]) => [name, v.slice()]));
      for (const [name, d] of dir) {
        const t = w.get(name)!;
        for (let i = 0; i < t.length; i++) t[i] += s * eps * d[i];
      }
      return (await gm.run(X, feeds, w)).loss;
    };
    const numeric = ((await moved(1)) - (await moved(-1))) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
  });

  it.each([12, 20])(
    'stays exact for confident examples (|z| = %i), where ln(1 + e^−|z|), 1 − e^−ℓ, σ lose float32',
    async (Z) => {
      // l2 set to z = ±Z on every example, the targets the predictions: ℓ = ln(1 + e^−Z) (6e-6, 2e-9)
      const signs = [1, -1, 1, 1, -1];
      const w = new Map([...own].map(([name, v]) => [name, v.slice()]));
      w.set('l2.weight', new Float32Array(w.get('l2.weight')!.length));
      w.set(
        'l2.bias',
        Float32Array.from(signs, (s) => Z * s),
      );
      const targets = new Float32Array(12 * C).map((_, k) => (signs[k % C] > 0 ? 1 : 0));
      const m = mixedBatch(targets);
      const r = await gm.run(X, matchedFeeds(m), w);
      const want = reference(r.logits, m);
      expect(want.perSample[0] / Math.log1p(Math.exp(-Z))).toBeCloseTo(1, 6);
      expect(relL2(r.perSample, want.perSample)).toBeLessThan(1e-5);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      expect(relL2(r.grads.get('l2.bias')!, biasGrad(want.seed))).toBeLessThan(1e-4);
    },
  );

  it('zero-fed rows add nothing: the loss and gradients of 8 rows, with 4 zero rows or without', async () => {
    const m = mixedBatch();
    const r12 = await gm.run(X, matchedFeeds({ ...m, ...zeroRows(m, 8) }));
    const eight: MatchedBatch = {
      targets: m.targets.slice(0, 8 * C),
      weights: m.weights.slice(0, 8),
      matchWeights: m.matchWeights.slice(0, 8),
      targetLogOdds: m.targetLogOdds.slice(0, 8),
    };
    const r8 = await gm.run({ data: X.data.slice(0, 8 * 20), dims: [8, 20] }, matchedFeeds(eight));
    expect(Math.abs(r12.loss - r8.loss) / r8.loss).toBeLessThan(1e-6);
    for (const [name, g] of r8.grads) expect(relL2(r12.grads.get(name)!, g), name).toBeLessThan(1e-6);
    expect(relL2(r12.perSample.subarray(0, 8), r8.perSample)).toBeLessThan(1e-6);
  });

  it('refuses targets outside [0, 1] and arrays of the wrong size', async () => {
    const m = mixedBatch();
    const bad = m.targets.slice();
    bad[3] = 2;
    await expect(gm.run(X, matchedFeeds({ ...m, targets: bad }))).rejects.toThrow(/target 2 for label 3/);
    await expect(gm.run(X, matchedFeeds({ ...m, weights: m.weights.slice(0, 5) }))).rejects.toThrow(
      /a batch of 12 needs targets of 12×5/,
    );
  });
});

/** `m` with rows `from`… fed zeros (targets, w, v, g). */
function zeroRows(m: MatchedBatch, from: number): MatchedBatch {
  const z = {
    targets: m.targets.slice(),
    weights: m.weights.slice(),
    matchWeights: m.matchWeights.slice(),
    targetLogOdds: m.targetLogOdds.slice(),
  };
  z.targets.fill(0, from * C);
  z.weights.fill(0, from);
  z.matchWeights.fill(0, from);
  z.targetLogOdds.fill(0, from);
  return z;
}

/** The logits of `model` on the fixture's examples [a, b). */
async function logitsOf(model: string, a: number, b: number): Promise<Float32Array> {
  const gm = await GradientModel.open(loadModel(model), { cache: false, threads: 1 });
  try {
    return await gm.logits({ data: X.data.slice(a * 20, b * 20), dims: [b - a, 20] });
  } finally {
    await gm.release();
  }
}

/** Mean binary cross-entropy and exact match of `model` on the fixture's examples [a, b). */
async function scores(model: string, a: number, b: number): Promise<{ loss: number; exact: number }> {
  const z = await logitsOf(model, a, b);
  const t = TARGETS.subarray(a * C, b * C);
  const counts = multiLabelCounts(z, t, C);
  return {
    loss: multiLabelLosses(z, t, C).reduce((s, v) => s + v, 0) / (b - a),
    exact: counts.right.reduce((s, v) => s + (v === C ? 1 : 0), 0) / (b - a),
  };
}

/**
 * The fixture's model trained on examples 0–8 (full-batch descent on the mean binary cross-entropy,
 * 100 steps at lr 2), written to `out`: the forget examples 0–2 memorised (losses near 0.005), the
 * held-out 9–11 not (mean near 2.9), as a model to unlearn from.
 */
async function memorised(out: string): Promise<string> {
  const model = loadModel(MODEL);
  const gm = await GradientModel.open(model, { cache: false, threads: 1 });
  try {
    const w = initialWeights(model, gm);
    const x9 = { data: X.data.slice(0, 9 * 20), dims: [9, 20] };
    for (let s = 0; s < 100; s++) {
      const r = await gm.run(x9, { targets: TARGETS.slice(0, 9 * C) }, w);
      for (const [name, g] of r.grads) {
        const v = w.get(name)!;
        for (let i = 0; i < v.length; i++) v[i] -= 2 * g[i];
      }
    }
    writeModel(model, out, w);
    return out;
  } finally {
    await gm.release();
  }
}

describe('∇τ and finetune on the multi-label fixture, through the CLI (forget @0:3, retain and val @3:12)', () => {
  const out = mkdtempSync(join(tmpdir(), 'scrub-gradtau-multilabel-'));
  const FORGET = `${DATA}@0:3`;
  const REST = `${DATA}@3:12`;
  let input: { forget: { loss: number; exact: number }; rest: { loss: number; exact: number } };
  beforeAll(async () => {
    input = { forget: await scores(MODEL, 0, 3), rest: await scores(MODEL, 3, 12) };
  });
  type GradTauReport = Extract<UnlearnReport, { method: 'gradtau' }>;
  const gradtau = async (schedule: string, name: string) => {
    const o = join(out, name);
    const cli = await run(
      MODEL,
      FORGET,
      ...['--method', 'gradtau', '--schedule', schedule, '--retain', REST, '--val', REST],
      ...['--threads', '1', '-o', o, '--json'],
    );
    expect(cli.code, cli.err).toBe(0);
    return { cli, report: JSON.parse(cli.out) as GradTauReport, model: o };
  };

  it('the default schedule pulls the forget set to the held-out losses of its ranks (mean BCE)', async () => {
    const { cli, report, model } = await gradtau('default', 'default.onnx');
    expect(validateReport(report)).toEqual([]);
    expect(report.schedule).toBe('default');
    expect(report.trace).toHaveLength(12);
    // a multi-label head: every forget example every epoch (no focus; schedule.ts DEFAULT_FOCUS)
    expect(report.trace.map((e) => e.visited)).toEqual(Array(12).fill(3));
    expect(report.steps).toBe(12);
    // the input model's retain loss is above ln 2 (untrained): only non-finite losses stop the run
    expect(cli.err).toMatch(/mean retain loss 0\.\d+ is already at or above chance level \(ln 2 = 0\.693/);
    // host-side losses and accuracies are the multi-label ones: mean BCE, exact match at 0.5
    expect(report.trace[0].lVal).toBeCloseTo(input.rest.loss, 5);
    expect(report.trace[0].lForget).toBeCloseTo(input.forget.loss, 5);
    expect(report.forgetAccuracy.before).toBeCloseTo(input.forget.exact, 12);
    expect(report.retainAccuracy.before).toBeCloseTo(input.rest.exact, 12);
    const after = { forget: await scores(model, 0, 3), rest: await scores(model, 3, 12) };
    expect(report.forgetAccuracy.after).toBeCloseTo(after.forget.exact, 12);
    // the fixture is untrained and its forget examples' losses lie above every held-out one: they
    // are pulled down to them (the memorised model below pulls them up)
    expect(Math.min(...multiLabelLosses(await logitsOf(MODEL, 0, 3), TARGETS.subarray(0, 3 * C), C))).toBeGreaterThan(
      Math.max(...multiLabelLosses(await logitsOf(MODEL, 3, 12), TARGETS.subarray(3 * C, 12 * C), C)),
    );
    expect(after.forget.loss).toBeLessThan(input.forget.loss);
  });

  it('the reference schedule: L_val is the mean BCE; ascent only while the forget loss is below it', async () => {
    const { report, model } = await gradtau('reference', 'reference.onnx');
    expect(validateReport(report)).toEqual([]);
    expect(report.trace).toHaveLength(report.hyperparameters.epochs);
    expect(report.trace[0].lVal).toBeCloseTo(input.rest.loss, 5);
    expect(report.trace[0].lForget).toBeCloseTo(input.forget.loss, 5);
    expect(report.trace[0].lRetain).toBeCloseTo(input.rest.loss, 5);
    for (const e of report.trace) expect(e.activeSteps).toBe(e.lVal > e.lForget ? 1 : 0);
    // (1 − α)·descent on the retain set
    expect((await scores(model, 3, 12)).loss).toBeLessThan(input.rest.loss);
  });

  it('finetune descends on the retain set with the mean BCE', async () => {
    const o = join(out, 'finetune.onnx');
    const cli = await run(MODEL, FORGET, '--method', 'finetune', '--retain', REST, '--threads', '1', '-o', o, '--json');
    expect(cli.code, cli.err).toBe(0);
    const report = JSON.parse(cli.out) as Extract<UnlearnReport, { method: 'finetune' }>;
    expect(validateReport(report)).toEqual([]);
    expect(report.retainLoss.before).toBeCloseTo(input.rest.loss, 12);
    expect(report.retainLoss.after).toBeLessThan(report.retainLoss.before);
    expect(report.retainLoss.after).toBeCloseTo((await scores(o, 3, 12)).loss, 5);
    expect(report.forgetAccuracy.before).toBeCloseTo(input.forget.exact, 12);
    expect(report.trace[0].lRetain).toBeCloseTo(input.rest.loss, 5);
  });

  it('logits chosen with --multi-label run as the Sigmoid head does', async () => {
    const o = join(out, 'logits-finetune.onnx');
    const args = ['--method', 'finetune', '--retain', REST, '--multi-label', '--threads', '1', '-o', o, '--json'];
    const cli = await run(`${DIR}/logits.onnx`, FORGET, ...args);
    expect(cli.code, cli.err).toBe(0);
    const report = JSON.parse(cli.out) as Extract<UnlearnReport, { method: 'finetune' }>;
    expect(report.retainLoss.before).toBeCloseTo(input.rest.loss, 12);
    expect(report.retainLoss.after).toBeLessThan(report.retainLoss.before);
  });

  it('class indices given for a multi-label head are refused in one line, before any pass', async () => {
    const y = join(out, 'classes.npy');
    writeFileSync(y, encodeNpy(new BigInt64Array(12), [12]));
    for (const method of ['gradtau', 'finetune']) {
      const rest = `${DIR}/x.npy,${y}@3:12`;
      const args = ['--method', method, '--retain', rest, '-o', join(out, `${method}-bad.onnx`)];
      if (method === 'gradtau') args.push('--val', rest);
      const r = await run(MODEL, FORGET, ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/a multi-label head needs multi-hot labels \[N, C\]/);
    }
  });
});

describe('∇τ on a model that memorised its forget set (trained on 0–8; forget 0–2, retain 3–8, val 9–11)', () => {
  const out = mkdtempSync(join(tmpdir(), 'scrub-gradtau-multilabel-memorised-'));
  let model: string;
  let before: { forget: number; val: number };
  beforeAll(async () => {
    model = await memorised(join(out, 'memorised.onnx'));
    before = { forget: (await scores(model, 0, 3)).loss, val: (await scores(model, 9, 12)).loss };
  });

  it.each(['default', 'reference'])(
    'the %s schedule unlearns the memorised forget set, which stays below L_val',
    async (schedule) => {
      expect(before.forget).toBeLessThan(0.02);
      expect(before.val).toBeGreaterThan(1);
      const o = join(out, `${schedule}.onnx`);
      const cli = await run(
        model,
        `${DATA}@0:3`,
        ...['--method', 'gradtau', '--schedule', schedule, '--retain', `${DATA}@3:9`, '--val', `${DATA}@9:12`],
        ...['--threads', '1', '-o', o, '--json'],
      );
      expect(cli.code, cli.err).toBe(0);
      // the retain loss starts far below ln 2: the collapse check is on, and says nothing
      expect(cli.err).not.toMatch(/chance level/);
      const report = JSON.parse(cli.out) as Extract<UnlearnReport, { method: 'gradtau' }>;
      expect(report.trace[0].lVal).toBeCloseTo(before.val, 5);
      // L_val > L_forget throughout: the reference's ascent acts at every step
      if (schedule === 'reference') for (const e of report.trace) expect(e.activeSteps).toBe(1);
      const after = (await scores(o, 0, 3)).loss;
      expect(after).toBeLessThan(before.val);
      if (schedule === 'reference') {
        // (3 epochs: 7% here)
        expect(after).toBeGreaterThan(1.03 * before.forget);
        return;
      }
      // Label 2 is carried by forget examples 0 and 1 and by no retain example: the default schedule
      // forgets it as a label (their targets: the model's own sigmoids with label 2 at 0), and pulls the
      // rest of the forget set to the held-out loss of its rank.
      expect(cli.err).toMatch(/label\(s\) 2 of the forget set are carried by no retain example/);
      const z0 = await logitsOf(model, 0, 2);
      const z1 = await logitsOf(o, 0, 2);
      for (const i of [0, 1]) {
        expect(z0[i * C + 2], `example ${i}, label 2 before`).toBeGreaterThan(0);
        expect(z1[i * C + 2], `example ${i}, label 2 after`).toBeLessThan(z0[i * C + 2]);
      }
      expect((await scores(o, 2, 3)).loss).toBeGreaterThan((await scores(model, 2, 3)).loss);
    },
  );
});
