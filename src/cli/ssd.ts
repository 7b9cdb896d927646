import { parseArgs } from 'node:util';
import { ScrubError } from '../errors.js';
import { runSsd, type SsdReport } from '../ssd/run.js';
import { commonOptions, DATA_OPTIONS, positiveNumber } from './options.js';
import type { Io } from './io.js';

export const FORGET_USAGE = 'scrub MODEL FORGET [--method ssd] [--fisher FILE | --train DATA] [--alpha A] [--lambda L] [--batch-size N] [-o OUT] [--json]';

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
    },
    allowPositionals: true,
  });
  if (positionals.length !== 2) throw new ScrubError(`expected MODEL and FORGET; usage: ${FORGET_USAGE}`);
  const method = values.method ?? 'ssd';
  if (method !== 'ssd') throw new ScrubError(`--method ${method}: this scrub implements ssd only.`);
  const report = await runSsd({
    ...commonOptions(values, io),
    model: positionals[0],
    forget: positionals[1],
    fisher: values.fisher,
    train: values.train,
    alpha: positiveNumber(values.alpha, 'alpha'),
    lambda: positiveNumber(values.lambda, 'lambda'),
    out: values.out,
  });
  if (values.json) io.out(JSON.stringify(report));
  else printSummary(report, io);
  return 0;
}

function printSummary(r: SsdReport, io: Io): void {
  const n = (v: number) => v.toLocaleString('en-US');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(`SSD (α ${r.hyperparameters.alpha}, λ ${r.hyperparameters.lambda}) on ${r.model.path}`);
  io.out(`  forget set       ${r.forget.source}: ${n(r.forget.count)} examples`);
  io.out(`  full importance  ${r.full.source === 'fisher' ? 'Fisher file' : 'train set'} ${r.full.path}: ${n(r.full.count)} examples`);
  io.out(`  selected         ${n(r.selected)} of ${n(r.elements)} parameters (${((100 * r.selected) / r.elements).toFixed(3)}%)`);
  const width = Math.max(...r.parameters.map((p) => (p.torchName ?? p.name).length));
  for (const p of r.parameters) if (p.selected > 0) io.out(`    ${(p.torchName ?? p.name).padEnd(width)}  [${p.shape.join(', ')}]  ${n(p.selected)}`);
  io.out(`  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`);
  io.out(`  wrote            ${r.output.path}${r.output.dataFiles.length ? ` (+ ${r.output.dataFiles.join(', ')})` : ''} in ${r.seconds.toFixed(1)} s`);
}
