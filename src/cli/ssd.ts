import { parseArgs } from 'node:util';
import { unlearn, UNLEARN_METHODS, type UnlearnMethod } from '../api/unlearn.js';
import type { UnlearnReport } from '../api/report.js';
import { BadInputError } from '../core/errors.js';
import { describeFailures } from '../record/gates.js';
import { methodSpec } from '../ssd/method.js';
import { printGradTauSummary } from './gradtau.js';
import { commonOptions, DATA_OPTIONS, positiveNumber } from './options.js';
import { seedOption, type Io } from './io.js';

export const FORGET_USAGE =
  'scrub MODEL FORGET [--method ssd|lf-ssd|gradtau] [--fisher FILE | --train DATA] [--alpha A] [--lambda L] [--batch-size N] [-o OUT] [--retain R] [--test T] [--retrain M] [--require GATE]... [--json]';

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
  if (positionals.length !== 2) throw new BadInputError(`expected MODEL and FORGET; usage: ${FORGET_USAGE}`);
  const method = values.method ?? 'ssd';
  if (!UNLEARN_METHODS.includes(method as UnlearnMethod))
    throw new BadInputError(
      `--method ${values.method}: this scrub implements ssd, lf-ssd (label-free SSD, for a forget set without labels) and gradtau.`,
    );
  const report = await unlearn({
    ...commonOptions(values, io),
    model: positionals[0],
    forget: positionals[1],
    method: method as UnlearnMethod,
    out: values.out,
    fisher: values.fisher,
    train: values.train,
    alpha: positiveNumber(values.alpha, 'alpha'),
    lambda: positiveNumber(values.lambda, 'lambda'),
    retain: values.retain,
    val: values.val,
    schedule: values.schedule,
    seed: values.seed === undefined ? undefined : seedOption(values.seed),
    test: values.test,
    retrain: values.retrain,
    require: values.require,
  });
  if (values.json) io.out(JSON.stringify(report));
  else {
    if (report.method === 'gradtau') printGradTauSummary(report, io);
    else printSummary(report, io);
    if (!report.output.written) io.out(`  not written      ${report.output.path}: a gate failed`);
    io.out(`  record           ${report.record} (verdict: ${report.acceptance.verdict})`);
  }
  for (const f of describeFailures(report.acceptance)) io.err(`gate failed: ${f}`);
  return report.acceptance.verdict === 'rejected' ? 1 : 0;
}

function printSummary(r: Exclude<UnlearnReport, { method: 'gradtau' }>, io: Io): void {
  const n = (v: number) => v.toLocaleString('en-US');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(
    `${methodSpec(r.method)!.title} (α ${r.hyperparameters.alpha}, λ ${r.hyperparameters.lambda}) on ${r.model.path}`,
  );
  io.out(
    `  forget set       ${r.forget.source}: ${n(r.forget.count)} examples${r.forget.labelled ? '' : ', no labels'}`,
  );
  io.out(
    `  full importance  ${r.full.source === 'fisher' ? 'Fisher file' : 'train set'} ${r.full.path}: ${n(r.full.count)} examples`,
  );
  io.out(
    `  selected         ${n(r.selected)} of ${n(r.elements)} parameters (${((100 * r.selected) / r.elements).toFixed(3)}%)`,
  );
  const width = Math.max(...r.parameters.map((p) => (p.torchName ?? p.name).length));
  for (const p of r.parameters)
    if (p.selected > 0)
      io.out(`    ${(p.torchName ?? p.name).padEnd(width)}  [${p.shape.join(', ')}]  ${n(p.selected)}`);
  if (r.forgetAccuracy) io.out(`  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`);
  io.out(`  predictions      ${pct(r.forgetPredictionsChanged)} of the forget set's changed class`);
  if (r.output.written)
    io.out(
      `  wrote            ${r.output.path}${r.output.dataFiles.length ? ` (+ ${r.output.dataFiles.join(', ')})` : ''} in ${r.seconds.toFixed(1)} s`,
    );
}
