// Evaluation in npm run bench: forward-only metric passes next to the raw forward throughput.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../dist/eval/run.js';

const FM = '/usr/share/datasets/fashion-mnist';

export async function benchEval(root, grad = {}, shared) {
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
  const resnet18 = shared && `${shared}/models/resnet18.onnx`;
  if (resnet18 && existsSync(resnet18)) out.resnet18 = await resnet18Threads(resnet18);
  return out;
}

/**
 * resnet18's evaluation on 2,000 + 2,000 examples (its forward passes take 0.3 s a batch here): on one
 * thread, and as users run it (no --threads: the threads measured on the first batch, then as that run kept
 * them), projected to class0's 65,000.
 */
async function resnet18Threads(model) {
  const cache = mkdtempSync(join(tmpdir(), 'scrub-bench-eval-'));
  const saved = process.env.SCRUB_CACHE_DIR;
  process.env.SCRUB_CACHE_DIR = cache;
  const run = async (threads) => {
    const t0 = performance.now();
    const r = await evaluate({
      model,
      forget: `${FM}/train-images-idx3-ubyte.gz@0:2000`,
      test: `${FM}/t10k-images-idx3-ubyte.gz@0:2000`,
      mean: [0.286],
      std: [0.353],
      threads,
    });
    return { seconds: (performance.now() - t0) / 1000, parallel: r.parallel };
  };
  try {
    const rows = { one: await run(1), measuring: await run(), kept: await run() };
    const form = (p) => (p ? `${p.threads ?? "ONNX Runtime's default"} threads, ${p.by}` : 'not measured');
    const tried = rows.measuring.parallel?.tried?.map((f) => `${f.threads ?? 'default'}: ${f.ms} ms`).join(', ');
    const measuring = `${form(rows.measuring.parallel)}${tried ? `; ${tried} a batch` : ''}`;
    console.log(
      `  resnet18 on 4,000 examples: 1 thread ${rows.one.seconds.toFixed(1)} s; as users run it ` +
        `${rows.measuring.seconds.toFixed(1)} s measuring (${measuring}), ` +
        `${rows.kept.seconds.toFixed(1)} s with the kept choice (${form(rows.kept.parallel)}); projected to 65,000: ` +
        `${((rows.one.seconds * 65) / 4).toFixed(0)} s against ${((rows.kept.seconds * 65) / 4).toFixed(0)} s`,
    );
    return rows;
  } finally {
    if (saved === undefined) delete process.env.SCRUB_CACHE_DIR;
    else process.env.SCRUB_CACHE_DIR = saved;
  }
}
