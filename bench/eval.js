// Evaluation in npm run bench: forward-only metric passes next to the raw forward throughput.
import { existsSync } from 'node:fs';
import { evaluate } from '../dist/eval/run.js';

const FM = '/usr/share/datasets/fashion-mnist';

export async function benchEval(root, grad = {}) {
  if (!existsSync(FM)) return console.log('eval: skipped (apt-get install dataset-fashion-mnist)');
  const fixtures = `${root}test/fixtures`;
  const list = `${fixtures}/scenarios/class0.json`;
  const out = {};
  console.log('\nevaluation, class0 (forget 5,479 + retain 49,521 + test 10,000 examples, every metric)');
  for (const name of ['mlp', 'cnn', 'vit']) {
    const t0 = performance.now();
    const r = await evaluate({
      model: `${fixtures}/models/${name}.onnx`,
      forget: `${FM}/train-images-idx3-ubyte.gz@${list}`,
      retain: `${FM}/train-images-idx3-ubyte.gz@0:55000@~${list}`,
      test: `${FM}/t10k-images-idx3-ubyte.gz`,
      mean: [0.286],
      std: [0.353],
    });
    const secs = (performance.now() - t0) / 1000;
    out[name] = { seconds: secs, samples_per_s: 65000 / secs, metrics: r.metrics.values };
    const fwd = grad[name]?.threads1?.forward_samples_per_s;
    out[name].forward_samples_per_s = fwd;
    console.log(
      `  ${name.padEnd(5)} ${secs.toFixed(1)} s, ${(65000 / secs).toFixed(0)} samples/s ` +
        `(data decoding, forward, metrics)${fwd ? `; forward alone at batch 64: ${fwd.toFixed(0)}/s` : ''}`,
    );
  }
  return out;
}
