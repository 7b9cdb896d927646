import { evaluate } from '../api/evaluate.js';
import { BadInputError } from '../core/errors.js';
import type { EvalReport } from '../eval/run.js';
import { gateFailure } from '../record/gates.js';
import { parseCommand, seedOption, type Io } from './io.js';
import { checkReportsBeside, reportBeside } from './report.js';
import { besideModel } from '../core/paths.js';
import { commonOptions, DATA_OPTIONS, ranOn } from './options.js';

const USAGE =
  'scrub eval MODEL --forget F [--retain R] [--test T] [--retrain M] [--seed S] [--require GATE]... ' +
  '[-o RECORD] [--report] [--json]';

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: {
      ...DATA_OPTIONS,
      forget: { type: 'string' },
      retain: { type: 'string' },
      test: { type: 'string' },
      retrain: { type: 'string' },
      seed: { type: 'string' },
      require: { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
      report: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || !values.forget)
    throw new BadInputError(`expected MODEL and --forget; usage: ${USAGE}`);
  // options of the gradient passes: eval makes forward passes only, so they are refused, not ignored
  for (const flag of ['workers', 'params', 'batch-size'] as const)
    if (values[flag] !== undefined)
      throw new BadInputError(
        `--${flag} applies to gradient passes, and scrub eval makes forward passes only; drop it ` +
          '(--threads sets the threads of its passes).',
      );
  if (values.report) checkReportsBeside([values.out ?? besideModel(positionals[0], '.eval.record.json')]);
  const report = await evaluate({
    ...commonOptions(values, io),
    model: positionals[0],
    forget: values.forget,
    retain: values.retain,
    test: values.test,
    retrain: values.retrain,
    seed: seedOption(values.seed),
    require: values.require,
    out: values.out,
  });
  const { acceptance, record: recordPath } = report;
  if (values.json) io.out(JSON.stringify(report));
  else printReport(report, recordPath, io);
  if (values.report) await reportBeside(recordPath, io, values.json, 'report: ');
  const rejected = gateFailure(acceptance, ` (record ${recordPath})`);
  if (rejected) throw rejected;
  return 0;
}

function printReport(r: EvalReport, recordPath: string, io: Io): void {
  const names = Object.keys(r.metrics.definitions);
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(4));
  const width = Math.max(24, ...names.map((n) => n.length));
  const retrain = r.retrain ? `${'retrain'.padStart(9)}${'gap'.padStart(9)}` : '';
  io.out(`${'metric'.padEnd(width)} ${'model'.padStart(8)}${retrain}`);
  for (const n of names) {
    const v = r.metrics.values[n];
    const line = `${n.padEnd(width)} ${(v === undefined ? `n/a` : fmt(v)).padStart(8)}`;
    io.out(
      r.retrain ? `${line}${fmt(r.retrain.metrics.values[n]).padStart(9)}${fmt(r.retrain.gap[n]).padStart(9)}` : line,
    );
  }
  for (const [n, why] of Object.entries(r.metrics.notComputable)) io.out(`  ${n} not computable: ${why}`);
  io.out(`record: ${recordPath}`);
  // the threads, where they were chosen by measurement
  if (r.parallel)
    io.out(`evaluated in ${r.seconds.toFixed(1)} s (${ranOn({ device: 'cpu', ...r.parallel, parallel: r.parallel })})`);
}
