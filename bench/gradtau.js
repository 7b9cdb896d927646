// ∇τ in npm run bench: wall-clock of the reference schedule on class0 next to PyTorch's own ∇τ and
// retraining from scratch (report.json: gradtau_seconds, retrain_seconds), and where the time goes.
import { existsSync } from 'node:fs';
import { openDataset } from '../dist/data/dataset.js';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { evaluateSet, initialWeights, loadExamples, runGradTau } from '../dist/gradtau/run.js';

const TRAIN = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

export async function benchGradtau(root, report) {
  if (!existsSync(TRAIN)) return console.log('gradtau: skipped (apt-get install dataset-fashion-mnist)');
  const fixtures = `${root}test/fixtures`;
  const class0 = `${fixtures}/scenarios/class0.json`;
  const out = {};
  console.log('\n∇τ reference schedule, class0 (forget 5,479, retain 49,521, val 5,000), seconds');
  console.log('model  load  run (steps)  forget acc after (PyTorch)  retain acc after (PyTorch) | PyTorch ∇τ  retrain | ∇τ/retrain');
  for (const name of ['mlp', 'cnn']) {
    const model = loadModel(`${fixtures}/models/${name}.onnx`);
    const gm = await GradientModel.open(model, { threads: 1 });
    try {
      const input = { dtype: gm.inputs[0].dtype, dims: gm.inputs[0].dims };
      const open = async (spec) => loadExamples(await openDataset(spec, { input, mean: [0.286], std: [0.353], onNote: () => {} }));
      let t = performance.now();
      const forget = await open(`${TRAIN}@${class0}`);
      const retain = await open(`${TRAIN}@0:55000@~${class0}`);
      const val = await open(`${TRAIN}@-5000:`);
      const load = (performance.now() - t) / 1000;
      const res = await runGradTau(gm, initialWeights(model, gm), { forget, retain, val }, {});
      const f = await evaluateSet(gm, forget, res.weights);
      const r = await evaluateSet(gm, retain, res.weights);
      const ref = report[name]?.scenarios?.class0 ?? {};
      out[name] = { load_seconds: load, run_seconds: res.seconds, steps: res.steps, forget_acc: f.accuracy, retain_acc: r.accuracy, torch_gradtau_seconds: ref.gradtau_seconds, retrain_seconds: ref.retrain_seconds };
      console.log(
        `${name.padEnd(6)} ${load.toFixed(1).padStart(4)} ${res.seconds.toFixed(1).padStart(6)} (${res.steps})  ${f.accuracy.toFixed(3).padStart(16)} (${ref.gradtau?.forget_acc?.toFixed(3) ?? '—'})  ${r.accuracy.toFixed(3).padStart(16)} (${ref.gradtau?.retain_acc?.toFixed(3) ?? '—'}) | ${String(ref.gradtau_seconds ?? '—').padStart(10)} ${String(ref.retrain_seconds ?? '—').padStart(8)} | ${ref.retrain_seconds ? ((load + res.seconds) / ref.retrain_seconds).toFixed(2) : '—'}`,
      );
    } finally {
      await gm.release();
    }
  }
  return out;
}
