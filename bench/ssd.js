// SSD in npm run bench: per request with a cached Fisher file vs the reference procedure (full-data
// plus forget-set pass), importance-pass throughput next to PyTorch's, and the importance pass's
// peak memory on resnet18 as the set grows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../dist/data/dataset.js';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { importanceSums } from '../dist/methods/ssd/importance.js';
import { computeFisher, writeFisher } from '../dist/methods/table.js';
import { unlearn } from '../dist/api/unlearn.js';
import { writeReport } from '../dist/report/index.js';
import { runMethod } from './method.js';

const FM = '/usr/share/datasets/fashion-mnist';
const NORM = { mean: [0.286], std: [0.353] };

export async function benchSsd(root, shared, report) {
  if (!existsSync(FM)) return console.log('ssd: skipped (apt-get install dataset-fashion-mnist)');
  const fixtures = `${root}test/fixtures`;
  const train = `${FM}/train-images-idx3-ubyte.gz@0:55000`;
  const forget = `${FM}/train-images-idx3-ubyte.gz@${fixtures}/scenarios/class0.json`;
  const dir = mkdtempSync(join(tmpdir(), 'scrub-bench-'));
  const results = {};
  console.log(
    '\nSSD class0 per request: cached Fisher file vs the reference procedure (full-data + forget-set pass), seconds',
  );
  console.log(
    'model      full pass  importance/s  torch grad/s | request (Fisher)  α = 10  reference procedure  ratio | ' +
      'again  ratio | command | PyTorch: full  forget',
  );
  for (const name of ['cnn', 'vit', 'resnet18']) {
    const model = name === 'resnet18' ? `${shared}/models/resnet18.onnx` : `${fixtures}/models/${name}.onnx`;
    if (!existsSync(model)) continue;
    const r = { model: name };
    if (name === 'resnet18') {
      // A full pass over 55,000 images takes ~20 minutes here: measure the throughput on 2,048 and project.
      const gm = await GradientModel.open(loadModel(model), {});
      const spec = gm.inputs[0];
      const open = (range) =>
        openDataset(`${train}@${range}`, { input: { dtype: spec.dtype, dims: spec.dims }, ...NORM, onNote: () => {} });
      // a first short pass settles the parallel form (measured once, or as an earlier run kept it), so
      // that the projection counts the pass alone
      await importanceSums(gm, await open('0:320'), 64);
      const data = await open('0:2048');
      const s = await importanceSums(gm, data, 64);
      r.form = gm.parallel;
      await gm.release();
      r.importance_per_s = s.count / s.seconds;
      r.full_seconds = 55000 / r.importance_per_s;
      r.projected = true;
      // the forget-set pass; the check of the edited model is forward-only
      r.request_seconds = 5479 / r.importance_per_s;
      r.request_alpha10_seconds = r.request_seconds;
      r.request_again_seconds = r.request_seconds;
      r.reference_seconds = r.full_seconds + r.request_seconds;
    } else {
      const t0 = performance.now();
      const f = await computeFisher({ model, train, ...NORM });
      r.full_seconds = (performance.now() - t0) / 1000;
      r.importance_per_s = 55000 / r.full_seconds;
      const fisher = join(dir, `${name}.fisher`);
      writeFisher(fisher, f);
      // the default (adaptive SSD's α from the importance ratios) and the paper's α = 10
      const t1 = performance.now();
      await runMethod('ssd', { model, forget, fisher, out: join(dir, `${name}.ssd.onnx`), ...NORM });
      r.request_seconds = (performance.now() - t1) / 1000;
      const t2 = performance.now();
      await runMethod('ssd', { model, forget, fisher, out: join(dir, `${name}.ssd10.onnx`), alpha: 10, ...NORM });
      r.request_alpha10_seconds = (performance.now() - t2) / 1000;
      // the same request once more in this process, as a long-running service (the library API) answers
      // its second: whether the first pays for compiling the JavaScript or for memory touched first
      const t3 = performance.now();
      await runMethod('ssd', { model, forget, fisher, out: join(dir, `${name}.ssd.onnx`), ...NORM });
      r.request_again_seconds = (performance.now() - t3) / 1000;
      r.reference_seconds = r.full_seconds + r.request_seconds;
      const command = mainCommand(root, model, forget, fisher, join(dir, `${name}.command.onnx`));
      r.command_seconds = command.seconds;
      r.form = command.form;
    }
    const torch = report[name];
    const tg =
      torch?.throughput &&
      Math.max(torch.throughput.threads1.grad_samples_per_s, torch.throughput.threads2.grad_samples_per_s);
    const tFull = torch?.ssd_full_pass_seconds;
    const tForget = torch?.scenarios?.class0?.ssd_forget_pass_seconds;
    console.log(
      [
        name.padEnd(9),
        `${r.full_seconds.toFixed(1)}${r.projected ? '*' : ''}`.padStart(10),
        r.importance_per_s.toFixed(0).padStart(13),
        (tg ? tg.toFixed(0) : '—').padStart(13),
        '|',
        `${r.request_seconds.toFixed(1)}${r.projected ? '*' : ''}`.padStart(16),
        `${r.request_alpha10_seconds.toFixed(1)}${r.projected ? '*' : ''}`.padStart(7),
        `${r.reference_seconds.toFixed(1)}${r.projected ? '*' : ''}`.padStart(20),
        `${(r.reference_seconds / r.request_seconds).toFixed(1)}x`.padStart(6),
        '|',
        `${r.request_again_seconds.toFixed(1)}${r.projected ? '*' : ''}`.padStart(5),
        `${((r.full_seconds + r.request_again_seconds) / r.request_again_seconds).toFixed(1)}x`.padStart(6),
        '|',
        (r.command_seconds ? r.command_seconds.toFixed(1) : '—').padStart(7),
        '|',
        (tFull ? tFull.toFixed(1) : '—').padStart(14),
        (tForget ? tForget.toFixed(1) : '—').padStart(7),
      ].join(' '),
    );
    results[name] = r;
  }
  console.log('* projected from the measured importance throughput on 2,048 examples');
  console.log(
    'command: the main command as users run it (`node scrub.js MODEL FORGET --fisher FILE`), process start to ' +
      'exit, its record (both models evaluated on the forget set) included',
  );
  console.log(
    'every pass here runs in the default form (no --threads or --workers: the full pass measures the ' +
      'forms and keeps its choice, the requests take it):',
  );
  for (const [name, r] of Object.entries(results)) if (r.form) console.log(`  ${name.padEnd(9)} ${formOf(r.form)}`);
  results.class0 = await classForgetGaps(dir, fixtures, train, forget, report);
  results.memory = await importanceMemory(`${shared}/models/resnet18.onnx`, train);
  return results;
}

/**
 * Seconds of the main command on `model` and `forget` with a Fisher file, from process start to exit,
 * and the form its gradient pass ran in (its report's settings: threads, workers, how they were chosen).
 */
function mainCommand(root, model, forget, fisher, out) {
  const norm = ['--mean', String(NORM.mean[0]), '--std', String(NORM.std[0])];
  const args = [`${root}scrub.js`, model, forget, '--fisher', fisher, ...norm];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...args, '-o', out, '--quiet', '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bench: the main command exited ${r.status} on ${model}`);
  return { seconds, form: JSON.parse(r.stdout.toString()).settings };
}

/** A run's form as its settings give it: "2 workers (measured earlier: 1 thread 10.8 ms, …)". */
function formOf(s) {
  if (!s) return '—';
  const name = (f) =>
    f.workers ? `${f.workers} workers` : `${f.threads ?? 'default'} thread${f.threads === 1 ? '' : 's'}`;
  if (!s.parallel && s.by !== 'measured' && s.by !== 'cached') return `${name(s)} (not measured)`;
  const p = s.parallel ?? s;
  const by = p.by === 'cached' ? 'measured by an earlier run' : 'measured';
  const tried = p.tried.map((f) => `${name(f)} ${f.ms === null ? 'failed' : `${f.ms} ms`}`).join(', ');
  return `${name(s)} (${by}, batches of ${p.rows}: ${tried})`;
}

/**
 * Issue 18's targets on class0 for SSD with the defaults (adaptive SSD's α) against the retrained
 * model: forget accuracy ≤ its + 0.02, the kept classes' test accuracy ≥ its − 0.01, mia within 0.10
 * of its. The paper's α = 10 beside it (PyTorch's SSD, report.json; ours matches it within 0.005).
 */
async function classForgetGaps(dir, fixtures, train, forget, report) {
  const list = `${fixtures}/scenarios/class0.json`;
  const rows = {};
  console.log(
    '\nSSD class0 with the defaults against the retrained model (targets: forget ≤ r + 0.02, kept ≥ r − 0.01,',
  );
  console.log("|mia − r| ≤ 0.10); α = 10 is the paper's (PyTorch)");
  console.log(
    'model  α (auto)  | forget: auto  α=10  retrained | kept classes: auto  α=10  retrained | ' +
      'mia: auto  α=10  retrained',
  );
  for (const name of ['mlp', 'cnn', 'vit']) {
    const ref = report[name]?.scenarios?.class0;
    if (!ref?.retrain) continue;
    const model = `${fixtures}/models/${name}.onnx`;
    const fisher = join(dir, `${name}.fisher`);
    if (!existsSync(fisher)) writeFisher(fisher, await computeFisher({ model, train, ...NORM }));
    const r = await unlearn({
      model,
      forget,
      fisher,
      out: join(dir, `${name}.class0.auto.onnx`),
      retain: `${train}@~${list}`,
      test: `${FM}/t10k-images-idx3-ubyte.gz`,
      ...NORM,
    });
    const a = r.metrics.after.values;
    const t = ref.retrain;
    const mark = (ok) => (ok ? '✓' : '✗');
    const row = {
      alpha: r.hyperparameters.alpha,
      forget_acc: a.forget_acc,
      kept_acc: a.test_retain_classes_acc,
      mia: a.mia,
      gaps: {
        forget_acc: Math.max(0, a.forget_acc - (t.forget_acc + 0.02)),
        kept_acc: Math.max(0, t.test_retain_classes_acc - 0.01 - a.test_retain_classes_acc),
        mia: Math.max(0, Math.abs(a.mia - t.mia) - 0.1),
      },
    };
    rows[name] = row;
    console.log(
      [
        name.padEnd(5),
        row.alpha.toFixed(2).padStart(9),
        '|',
        `${a.forget_acc.toFixed(3)} ${mark(!row.gaps.forget_acc)}`.padStart(14),
        ref.ssd.forget_acc.toFixed(3).padStart(5),
        t.forget_acc.toFixed(3).padStart(10),
        '|',
        `${a.test_retain_classes_acc.toFixed(3)} ${mark(!row.gaps.kept_acc)}`.padStart(20),
        ref.ssd.test_retain_classes_acc.toFixed(3).padStart(5),
        t.test_retain_classes_acc.toFixed(3).padStart(10),
        '|',
        `${a.mia.toFixed(3)} ${mark(!row.gaps.mia)}`.padStart(11),
        ref.ssd.mia.toFixed(3).padStart(5),
        t.mia.toFixed(3).padStart(10),
      ].join(' '),
    );
  }
  const missed = Object.entries(rows).flatMap(([m, r]) =>
    Object.entries(r.gaps)
      .filter(([, g]) => g > 0)
      .map(([k, g]) => `${m} ${k} ${g.toFixed(3)}`),
  );
  console.log(`gaps to the targets: ${missed.length ? missed.join(', ') : 'none'}`);
  // issue 19: the HTML report of a record, beside the command that wrote it (under 1 s)
  for (const name of Object.keys(rows)) {
    const t0 = performance.now();
    await writeReport(join(dir, `${name}.class0.auto.record.json`));
    rows[name].report_seconds = (performance.now() - t0) / 1000;
  }
  console.log(
    'HTML report of each record (scrub report): ' +
      Object.entries(rows)
        .map(([m, r]) => `${m} ${r.report_seconds.toFixed(2)} s`)
        .join(', '),
  );
  return rows;
}

/** Peak RSS of the importance pass on resnet18 after growing numbers of examples: it must stay flat. */
async function importanceMemory(model, train) {
  if (!existsSync(model)) return undefined;
  const gm = await GradientModel.open(loadModel(model), {});
  const spec = gm.inputs[0];
  const rows = [];
  for (const n of [256, 1024, 2048]) {
    const data = await openDataset(`${train}@0:${n}`, {
      input: { dtype: spec.dtype, dims: spec.dims },
      ...NORM,
      onNote: () => {},
    });
    await importanceSums(gm, data, 64);
    rows.push({ examples: n, peak_rss_mb: process.resourceUsage().maxRSS / 1024 });
  }
  await gm.release();
  console.log(
    `importance pass on resnet18, peak RSS: ` +
      rows.map((r) => `${r.examples} examples ${r.peak_rss_mb.toFixed(0)} MB`).join(', '),
  );
  return rows;
}
