import { parseArgs } from 'node:util';
import { ScrubError } from '../errors.js';
import { methodSpec } from '../ssd/method.js';
import { runLfSsd, runSsd, type UnlearningReport } from '../ssd/run.js';
import { availableMetrics, checkGateMetrics, describeFailures, parseGate } from '../record/gates.js';
import { dampeningSubject, recordUnlearning } from '../record/unlearning.js';
import { gradtauCommand } from './gradtau.js';
import { commonOptions, DATA_OPTIONS, positiveNumber } from './options.js';
import { intOption } from './io.js';
import type { Io } from './io.js';

export const FORGET_USAGE = 'scrub MODEL FORGET [--method ssd|lf-ssd|gradtau] [--fisher FILE | --train DATA] [--alpha A] [--lambda L] [--batch-size N] [-o OUT] [--retain R] [--test T] [--retrain M] [--require GATE]... [--json]';

export async function forgetCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...DATA_OPTIONS,
      method: { type: 'string' },
      fisher: { type: 'string' },
      train: { type: 'string' },
      alpha: { type: 'string' },
      lambda: { type: 'string' },
      out: { type: 'string', short: 'o' },
      retain: { type: 'string' },
      test: { type: 'string' },
      retrain: { type: 'string' },
      seed: { type: 'string' },
      require: { type: 'string', multiple: true },
      val: { type: 'string' },
      schedule: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 2) throw new ScrubError(`expected MODEL and FORGET; usage: ${FORGET_USAGE}`);
  if (values.method === 'gradtau') return gradtauCommand(values, positionals, io);
  const method = methodSpec(values.method);
  if (!method) throw new ScrubError(`--method ${values.method}: this scrub implements ssd, lf-ssd (label-free SSD, for a forget set without labels) and gradtau.`);
  const run = method.name === 'lf-ssd' ? runLfSsd : runSsd;
  const gates = (values.require ?? []).map(parseGate);
  checkGateMetrics(gates, availableMetrics({ retain: !!values.retain, test: !!values.test, retrain: !!values.retrain }), 'add --retain/--test/--retrain for more');
  const common = commonOptions(values, io);
  const report = await run({
    ...common,
    model: positionals[0],
    forget: positionals[1],
    fisher: values.fisher,
    train: values.train,
    alpha: positiveNumber(values.alpha, 'alpha'),
    lambda: positiveNumber(values.lambda, 'lambda'),
    out: values.out,
  });
  const recorded = await recordUnlearning(dampeningSubject(report), {
    ...common,
    retain: values.retain,
    test: values.test,
    retrain: values.retrain,
    seed: values.seed === undefined ? 0 : intOption(values.seed, 'seed', 0),
    gates,
  });
  if (values.json) io.out(JSON.stringify({ ...report, record: recorded.path, metrics: recorded.record.metrics, acceptance: recorded.acceptance }));
  else {
    printSummary(report, io);
    io.out(`  record           ${recorded.path} (verdict: ${recorded.acceptance.verdict})`);
  }
  for (const f of describeFailures(recorded.acceptance)) io.err(`gate failed: ${f}`);
  return recorded.acceptance.verdict === 'rejected' ? 1 : 0;
}

function printSummary(r: UnlearningReport, io: Io): void {
  const n = (v: number) => v.toLocaleString('en-US');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(`${methodSpec(r.method)!.title} (α ${r.hyperparameters.alpha}, λ ${r.hyperparameters.lambda}) on ${r.model.path}`);
  io.out(`  forget set       ${r.forget.source}: ${n(r.forget.count)} examples${r.forget.labelled ? '' : ', no labels'}`);
  io.out(`  full importance  ${r.full.source === 'fisher' ? 'Fisher file' : 'train set'} ${r.full.path}: ${n(r.full.count)} examples`);
  io.out(`  selected         ${n(r.selected)} of ${n(r.elements)} parameters (${((100 * r.selected) / r.elements).toFixed(3)}%)`);
  const width = Math.max(...r.parameters.map((p) => (p.torchName ?? p.name).length));
  for (const p of r.parameters) if (p.selected > 0) io.out(`    ${(p.torchName ?? p.name).padEnd(width)}  [${p.shape.join(', ')}]  ${n(p.selected)}`);
  if (r.forgetAccuracy) io.out(`  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`);
  io.out(`  predictions      ${pct(r.forgetPredictionsChanged)} of the forget set's changed class`);
  io.out(`  wrote            ${r.output.path}${r.output.dataFiles.length ? ` (+ ${r.output.dataFiles.join(', ')})` : ''} in ${r.seconds.toFixed(1)} s`);
}
