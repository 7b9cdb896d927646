// The zoo in npm run bench: gradient-pass and forward throughput (batch 64, 1 and 2 threads) of
// mobilenet_v3_small, swin and text_lstm (test/fixtures/zoo), beside PyTorch's own measured in the
// same run with ../shared/zoo/make_zoo.py's classes (bench/torch_zoo.py). The LSTM's backward
// (gradient pass minus forward) should cost at most 4× its forward.
import { existsSync } from 'node:fs';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { Session } from '../dist/runtime/session.js';
import { samplesPerSecond, torchPeerJson } from './measure.js';

const BATCH = 64;
const NAMES = ['mobilenet_v3_small', 'swin', 'text_lstm'];

function inputs(name, spec) {
  if (name.startsWith('text_')) {
    const data = BigInt64Array.from({ length: BATCH * 12 }, (_, i) => BigInt((i * 7919) % 1000));
    return { x: { data, dims: [BATCH, 12] }, classes: 4 };
  }
  const dims = [BATCH, ...spec.dims.slice(1)];
  const n = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898));
  return { x: { data, dims }, classes: 10 };
}

const rate = (step) => samplesPerSecond(step, { batch: BATCH, seconds: 3 });

function torchPeer(root) {
  const zoo = `${root}../shared/zoo`;
  return existsSync(`${zoo}/make_zoo.py`) ? torchPeerJson(`${root}bench/torch_zoo.py`, [zoo, ...NAMES]) : undefined;
}

export async function benchZoo(root) {
  const results = {};
  const fmt = (v) => (v === undefined ? '—' : v.toFixed(1));
  for (const name of NAMES) {
    const path = `${root}test/fixtures/zoo/${name}.onnx`;
    const model = loadModel(path);
    results[name] = {};
    for (const threads of [1, 2]) {
      const grad = await GradientModel.open(model, { threads });
      const fwd = await Session.create(model.bytes, { threads });
      const { x, classes } = inputs(name, grad.inputs[0]);
      const y = BigInt64Array.from({ length: BATCH }, (_, i) => BigInt(i % classes));
      const g = await rate(() => grad.run(x, y));
      const f = await rate(() => fwd.run({ [grad.inputs[0].name]: x }));
      await grad.release();
      await fwd.release();
      results[name][`threads${threads}`] = { grad_samples_per_s: g, forward_samples_per_s: f };
    }
  }
  const peer = process.env.SCRUB_BENCH_NO_TORCH ? undefined : torchPeer(root);
  console.log(`\nzoo: gradient pass vs forward, batch ${BATCH}, samples/s; PyTorch measured in this run`);
  console.log(
    'model               thr  forward    grad  grad/fwd time  backward/fwd | torch grad  torch fwd | vs torch',
  );
  for (const [name, r] of Object.entries(results)) {
    for (const t of [1, 2]) {
      const m = r[`threads${t}`];
      const tm = peer?.[name]?.[`threads${t}`];
      const ratio = m.forward_samples_per_s / m.grad_samples_per_s;
      m.grad_over_forward_time = ratio;
      m.backward_over_forward_time = ratio - 1;
      console.log(
        [
          name.padEnd(19),
          String(t).padStart(3),
          fmt(m.forward_samples_per_s).padStart(8),
          fmt(m.grad_samples_per_s).padStart(7),
          `${ratio.toFixed(2)}x`.padStart(14),
          `${(ratio - 1).toFixed(2)}x`.padStart(13),
          '|',
          fmt(tm?.grad_samples_per_s).padStart(10),
          fmt(tm?.forward_samples_per_s).padStart(10),
          '|',
          tm ? `${(m.grad_samples_per_s / tm.grad_samples_per_s).toFixed(2)}x` : '—',
        ].join(' '),
      );
      if (tm) m.torch = tm;
    }
  }
  console.log(
    'target: text_lstm backward/fwd ≤ 4x' +
      (peer ? '' : ' (python3-torch or ../shared/zoo not found: no PyTorch column)'),
  );
  return results;
}
