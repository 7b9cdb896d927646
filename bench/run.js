#!/usr/bin/env node
// npm run bench: gradient-pass throughput next to forward throughput, and PyTorch beside both.
// Results print as a table and are saved to bench/last-run.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { Session } from '../dist/runtime/session.js';
import { readNpy } from '../dist/data/npy.js';
import { benchSsd } from './ssd.js';
import { benchEval } from './eval.js';
import { benchGradtau } from './gradtau.js';
import { benchShard } from './shard.js';
import { benchFixedBatch } from './fixed-batch.js';
import { benchZoo } from './zoo.js';
import { benchPeak } from './peak.js';
import { samplesPerSecond, torchPeerJson } from './measure.js';
import { benchBert, benchTextGradtau, benchTokenizer } from './text.js';
import { printAims } from './aims.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = `${root}../shared/fixtures`;
const fixtures = `${root}test/fixtures`;
const args = process.argv.slice(2);
const sections = args.filter((a) => ['grad', 'ssd', 'shard', 'eval', 'gradtau', 'fixed', 'zoo', 'text'].includes(a));
const only = args.filter((a) => !sections.includes(a));
const want = (s) => sections.length === 0 || sections.includes(s);
const models = [
  ['mlp', `${fixtures}/models/mlp.onnx`],
  ['cnn', `${fixtures}/models/cnn.onnx`],
  ['vit', `${fixtures}/models/vit.onnx`],
  ['resnet18', `${shared}/models/resnet18.onnx`],
].filter(([name, path]) => existsSync(path) && (only.length === 0 || only.includes(name)));

const BATCH = 64;
const x = readNpy(`${fixtures}/batch/x.npy`);
const y = readNpy(`${fixtures}/batch/y.npy`);
const input = { data: x.data, dims: x.shape };

/** Samples per second of `step` at batch 64: warm-up, then repeat for at least `seconds`. */
const throughput = (step, seconds) => samplesPerSecond(step, { batch: BATCH, seconds, warmup: 3, minReps: 5 });

const torchPeer = (names) => torchPeerJson(`${root}bench/torch_peer.py`, [shared, ...names]);

const report = existsSync(`${shared}/report.json`) ? JSON.parse(readFileSync(`${shared}/report.json`, 'utf8')) : {};
const results = { host: `${process.platform}-${process.arch}`, node: process.version, batch: BATCH, models: {} };
for (const [name, path] of want('grad') ? models : []) {
  const model = loadModel(path);
  const seconds = name === 'resnet18' ? 6 : 2;
  results.models[name] = {};
  for (const threads of [1, 2]) {
    const fwd = await Session.create(model.bytes, { threads });
    const grad = await GradientModel.open(model, { threads });
    // the weights built in as initializers (GradientOptions.frozen): SSD's importance passes, scrub grad
    const frozen = await GradientModel.open(model, { threads, frozen: true });
    const f = await throughput(() => fwd.run({ input }), seconds);
    const g = await throughput(() => grad.run(input, y.data), seconds);
    const gf = await throughput(() => frozen.run(input, y.data), seconds);
    await fwd.release();
    await grad.release();
    await frozen.release();
    results.models[name][`threads${threads}`] = {
      forward_samples_per_s: f,
      grad_samples_per_s: g,
      grad_over_forward_time: f / g,
      frozen_grad_samples_per_s: gf,
      frozen_grad_over_forward_time: f / gf,
    };
  }
  // data parallelism: the batch split over 2 worker threads, one single-threaded session each
  const par = await GradientModel.open(model, { threads: 1, workers: 2 });
  results.models[name].workers2 = { grad_samples_per_s: await throughput(() => par.run(input, y.data), seconds) };
  await par.release();
}

const peer = process.env.SCRUB_BENCH_NO_TORCH || !want('grad') ? undefined : torchPeer(models.map(([n]) => n));
results.torch = peer ? { measured: true, version: peer.torch } : { measured: false };

const fmt = (v) => (v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(1));
const best = (t) => (t ? Math.max(t.threads1.grad_samples_per_s, t.threads2.grad_samples_per_s) : undefined);
// the gradient section's table, where it ran
const gradLog = (line) => want('grad') && console.log(line);
gradLog(
  `gradient pass vs forward, batch ${BATCH}, samples/s (${results.host}, node ${process.version}, onnxruntime-node)`,
);
gradLog(
  'model      thr  forward   grad   grad/fwd time | weights built in: grad  grad/fwd | ' +
    'torch grad: report.json  this run | scrub best / torch best',
);
for (const [name, r] of Object.entries(results.models)) {
  const rep = report[name]?.throughput;
  const mine = peer?.[name];
  for (const t of [1, 2]) {
    const k = `threads${t}`;
    const m = r[k];
    const line = [
      name.padEnd(9),
      String(t).padStart(3),
      fmt(m.forward_samples_per_s).padStart(8),
      fmt(m.grad_samples_per_s).padStart(7),
      `${m.grad_over_forward_time.toFixed(2)}x`.padStart(14),
      '|',
      fmt(m.frozen_grad_samples_per_s).padStart(22),
      `${m.frozen_grad_over_forward_time.toFixed(2)}x`.padStart(9),
      '|',
      fmt(rep?.[k]?.grad_samples_per_s).padStart(22),
      fmt(mine?.[k]?.grad_samples_per_s).padStart(9),
    ];
    if (t === 2) {
      // weights fed (∇τ, finetune: they change every step) and built in (fixed weights, as PyTorch's pass)
      const fed = Math.max(r.threads1.grad_samples_per_s, r.threads2.grad_samples_per_s, r.workers2.grad_samples_per_s);
      const builtIn = Math.max(r.threads1.frozen_grad_samples_per_s, r.threads2.frozen_grad_samples_per_s);
      const ratio = (v, t) => (t ? `${(v / t).toFixed(2)}x` : '—');
      line.push(
        `| fed ${ratio(fed, best(rep))} report, ${ratio(fed, best(mine))} this run; ` +
          `built in ${ratio(builtIn, best(rep))}, ${ratio(builtIn, best(mine))}`,
      );
      r.vs_torch = {
        report: best(rep) && fed / best(rep),
        this_run: best(mine) && fed / best(mine),
        built_in_report: best(rep) && builtIn / best(rep),
        built_in_this_run: best(mine) && builtIn / best(mine),
      };
    }
    console.log(line.join(' '));
  }
  console.log(`${''.padEnd(9)}   2 workers (--workers 2, one thread each): grad ${fmt(r.workers2.grad_samples_per_s)}`);
  if (mine) r.torch = mine;
}
gradLog(
  'targets: grad/fwd time within 3.5x; scrub faster than PyTorch on every model' +
    (peer ? '' : ' (python3-torch not found: report.json figures only)'),
);
if (want('grad')) results.peak = await benchPeak(models, results.models);
if (want('ssd')) results.ssd = await benchSsd(root, shared, report);
if (want('shard')) results.shard = await benchShard(root);
if (want('fixed')) results.fixed_batch = await benchFixedBatch(root);
if (want('zoo')) results.zoo = await benchZoo(root);
if (want('eval')) results.eval = await benchEval(root, results.models, shared);
if (want('gradtau')) results.gradtau = await benchGradtau(root, report, models);
if (want('text'))
  results.text = {
    tokenizer: await benchTokenizer(root),
    bert: await benchBert(root),
    gradtau: await benchTextGradtau(root),
  };
results.aims = printAims(results);
writeFileSync(`${root}bench/last-run.json`, JSON.stringify(results, null, 1));
