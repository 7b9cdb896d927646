// Opt-in timing of ∇τ at the reference's sizes (class0: forget 5,479, retain 49,521, val 5,000):
//   SCRUB_GRADTAU_TIMING=1 [SCRUB_GRADTAU_EPOCHS=1] [SCRUB_THREADS=1] [SCRUB_GRADTAU_MODELS=mlp,cnn] npx vitest run test/gradtau.timing.test.ts
// Skipped by default: it reads the whole training set and runs full-size epochs.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { evaluateSet, initialWeights, loadExamples, runGradTau } from '../src/gradtau/run.js';
import { FIXTURES } from './support/fixtures.js';

const TRAIN = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
const CLASS0 = `${FIXTURES}/scenarios/class0.json`;
const enabled = process.env.SCRUB_GRADTAU_TIMING === '1' && existsSync(TRAIN);
const EPOCHS = Number(process.env.SCRUB_GRADTAU_EPOCHS ?? 1);
const THREADS = Number(process.env.SCRUB_THREADS ?? 1);

const MODELS = (process.env.SCRUB_GRADTAU_MODELS ?? 'mlp,cnn').split(',');

describe.skipIf(!enabled).each(MODELS)('gradtau timing at full size: %s class0', (name) => {
  it('epochs', { timeout: 600_000 }, async () => {
    const model = loadModel(`${FIXTURES}/models/${name}.onnx`);
    const gm = await GradientModel.open(model, { cache: false, threads: THREADS });
    try {
      const input = { dtype: gm.inputs[0].dtype, dims: gm.inputs[0].dims as (number | string)[] };
      const open = async (spec: string) => loadExamples(await openDataset(spec, { input, mean: [0.286], std: [0.353] }));
      let t = performance.now();
      const forget = await open(`${TRAIN}@${CLASS0}`);
      const retain = await open(`${TRAIN}@0:55000@~${CLASS0}`);
      const val = await open(`${TRAIN}@-5000:`);
      const loadS = (performance.now() - t) / 1000;
      expect([forget.count, retain.count, val.count]).toEqual([5479, 49521, 5000]);
      const w0 = initialWeights(model, gm);
      t = performance.now();
      const v = await evaluateSet(gm, val, w0);
      const valS = (performance.now() - t) / 1000;
      const res = await runGradTau(gm, w0, { forget, retain, val }, { maxEpochs: EPOCHS });
      const f = await evaluateSet(gm, forget, res.weights);
      const r = await evaluateSet(gm, retain, res.weights);
      console.log(
        JSON.stringify({
          model: name,
          threads: THREADS,
          loadSeconds: +loadS.toFixed(2),
          valPassSeconds: +valS.toFixed(3),
          lVal0: v.loss,
          epochs: res.trace.map((e) => ({ epoch: e.epoch, seconds: +e.seconds.toFixed(3), lVal: e.lVal, lForget: +e.lForget.toFixed(4), lRetain: +e.lRetain.toFixed(4) })),
          fullRunEstimateSeconds: +((res.seconds / res.steps) * res.schedule.epochs * res.schedule.forgetBatches).toFixed(1),
          runSeconds: +res.seconds.toFixed(2),
          forgetAccAfter: f.accuracy,
          retainAccAfter: r.accuracy,
          lVals: [...new Set(res.trace.map((e) => e.lVal))],
        }),
      );
    } finally {
      await gm.release();
    }
  });
});
