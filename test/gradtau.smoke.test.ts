// ∇τ end to end on the fixture mlp with small sets: class 0 is forgotten, the other classes kept.
import { describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { initialWeights, loadExamples } from '../src/context/index.js';
import { Rng } from '../src/core/rng.js';
import { evaluateSet } from '../src/methods/common/training.js';
import { runGradTau, type GradTauEpoch, type GradTauStep } from '../src/methods/gradtau/run.js';
import { readFileSync } from 'node:fs';
import { gather } from '../src/context/index.js';
import { FIXTURES } from './support/fixtures.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const TRAIN = `${FM}/train-images-idx3-ubyte.gz`;
const hasData = !withoutFashionMnist();
const CLASS0 = `${FIXTURES}/scenarios/class0.json`;
const NORM = { mean: [0.286], std: [0.353] };

async function load(spec: string, limit: number, input: { dtype: number; dims: (number | string)[] }) {
  return loadExamples(await openDataset(spec, { input, ...NORM }), { limit });
}

describe('gradtau run', () => {
  it('Rng: deterministic permutations', () => {
    const a = new Rng(0).permutation(10);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(new Rng(0).permutation(10))).toEqual(Array.from(a));
    expect(Array.from(new Rng(1).permutation(10))).not.toEqual(Array.from(a));
  });

  it.skipIf(!hasData)('forgets class 0 on the fixture mlp, keeps the rest', async () => {
    const model = loadModel(`${FIXTURES}/models/mlp.onnx`);
    const gm = await GradientModel.open(model, { cache: false, threads: 1 });
    try {
      const input = { dtype: gm.inputs[0].dtype, dims: gm.inputs[0].dims as (number | string)[] };
      const forget = await load(`${TRAIN}@${CLASS0}`, 512, input);
      const retain = await load(`${TRAIN}@0:55000@~${CLASS0}`, 2048, input);
      const val = await load(`${TRAIN}@-5000:`, 512, input);
      expect([forget.count, retain.count, val.count]).toEqual([512, 2048, 512]);
      expect(Array.from(forget.y).every((y) => y === 0n)).toBe(true);
      expect(Array.from(retain.y).some((y) => y === 0n)).toBe(false);

      const w0 = initialWeights(model, gm);
      const before = { forget: await evaluateSet(gm, forget, w0), retain: await evaluateSet(gm, retain, w0) };
      const steps: GradTauStep[] = [];
      const epochs: GradTauEpoch[] = [];
      const res = await runGradTau(
        gm,
        w0,
        { forget, retain, val },
        { seed: 0, onStep: (s) => steps.push(s), onEpoch: (e) => epochs.push(e) },
      );
      const after = {
        forget: await evaluateSet(gm, forget, res.weights),
        retain: await evaluateSet(gm, retain, res.weights),
      };
      console.log(
        JSON.stringify({
          before,
          after,
          schedule: res.schedule,
          seconds: res.seconds,
          trace: res.trace.map((t) => [
            t.epoch,
            +t.lVal.toFixed(4),
            +t.lForget.toFixed(4),
            +t.lRetain.toFixed(4),
            t.activeSteps,
          ]),
        }),
      );

      // Schedule for 512 / 2048: 2 and 8 batches, E = int(8/4·6) = 12, α0 = 5/3·512/2560.
      expect(res.schedule.epochs).toBe(12);
      expect(res.schedule.alpha0).toBeCloseTo(1 / 3, 12);
      expect(res.steps).toBe(24);
      expect(steps.length).toBe(24);
      expect(steps.at(-1)).toMatchObject({ done: 24, total: 24, epoch: 11, step: 2, stepsPerEpoch: 2 });
      expect(epochs).toEqual(res.trace);
      expect(res.trace.map((t) => t.epoch)).toEqual([...Array(12).keys()]);
      // L_val changes only at epochs 0, 5, 10.
      for (let e = 1; e < 12; e++) if (e % 5) expect(res.trace[e].lVal).toBe(res.trace[e - 1].lVal);
      expect(w0.get(gm.params[0].name)).toEqual(initialWeights(model, gm).get(gm.params[0].name)); // initial untouched

      expect(before.forget.accuracy).toBeGreaterThan(0.7);
      expect(after.forget.accuracy).toBeLessThan(before.forget.accuracy - 0.3);
      expect(after.retain.accuracy).toBeGreaterThan(before.retain.accuracy - 0.05);

      // Same seed, same weights; abort stops it.
      const again = await runGradTau(gm, w0, { forget, retain, val }, { seed: 0, maxEpochs: 1 });
      const once = await runGradTau(gm, w0, { forget, retain, val }, { seed: 0, maxEpochs: 1 });
      expect(again.weights).toEqual(once.weights);
      expect(again.steps).toBe(2);
      const ctl = new AbortController();
      await expect(
        runGradTau(
          gm,
          w0,
          { forget, retain, val },
          { signal: ctl.signal, onStep: () => ctl.abort(new Error('stop here')) },
        ),
      ).rejects.toThrow(/stop here/);
    } finally {
      await gm.release();
    }
  });

  it.skipIf(!hasData)(
    "L_val at epoch 0 is report.json's (mlp, val = the last 5,000), and two runs keep separate gradients",
    async () => {
      const model = loadModel(`${FIXTURES}/models/mlp.onnx`);
      const gm = await GradientModel.open(model, { cache: false, threads: 1 });
      try {
        const input = { dtype: gm.inputs[0].dtype, dims: gm.inputs[0].dims as (number | string)[] };
        const val = await load(`${TRAIN}@-5000:`, 5000, input);
        const w0 = initialWeights(model, gm);
        const report = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8'));
        const ref = report.mlp.scenarios.class0.gradtau_schedule.trace[0].l_val as number;
        const { loss } = await evaluateSet(gm, val, w0);
        expect(Math.abs(loss - ref)).toBeLessThan(1e-6);
        // runGradTau combines the forget run's gradients after the retain run: they must not share buffers.
        const a = gather(val, [0, 1, 2, 3]);
        const b = gather(val, [10, 11, 12, 13]);
        const ra = await gm.run(a.x, a.y, w0);
        const copy = new Map([...ra.grads].map(([k, v]) => [k, v.slice()]));
        const rb = await gm.run(b.x, b.y, w0);
        for (const [k, v] of ra.grads) {
          expect(v).toEqual(copy.get(k));
          expect(rb.grads.get(k)).not.toEqual(v);
        }
      } finally {
        await gm.release();
      }
    },
  );
});
