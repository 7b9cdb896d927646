// scrub MODEL FORGET --method gradtau --retain R --val V --schedule reference
import { runGradTauUnlearning, type GradTauReport } from '../gradtau/unlearn.js';
import { availableMetrics, checkGateMetrics, describeFailures, parseGate } from '../record/gates.js';
import { recordUnlearning, type RecordSubject } from '../record/unlearning.js';
import { intOption, type Io } from './io.js';
import { commonOptions, type DataValues } from './options.js';

type Values = DataValues & { out?: string; retain?: string; test?: string; retrain?: string; seed?: string; require?: string[]; val?: string; schedule?: string };

export async function gradtauCommand(values: Values, positionals: string[], io: Io): Promise<number> {
  const gates = (values.require ?? []).map(parseGate);
  checkGateMetrics(gates, availableMetrics({ retain: !!values.retain, test: !!values.test, retrain: !!values.retrain }), 'add --test/--retrain for more');
  const common = commonOptions(values, io);
  const seed = values.seed === undefined ? 0 : intOption(values.seed, 'seed', 0);
  const report = await runGradTauUnlearning({ ...common, model: positionals[0], forget: positionals[1], retain: values.retain, val: values.val, schedule: values.schedule, seed, out: values.out });
  const recorded = await recordUnlearning(gradtauSubject(report), { ...common, retain: values.retain, test: values.test, retrain: values.retrain, seed, gates });
  if (values.json) io.out(JSON.stringify({ ...report, record: recorded.path, metrics: recorded.record.metrics, acceptance: recorded.acceptance }));
  else printSummary(report, io, recorded.path, recorded.acceptance.verdict);
  for (const f of describeFailures(recorded.acceptance)) io.err(`gate failed: ${f}`);
  return recorded.acceptance.verdict === 'rejected' ? 1 : 0;
}

function gradtauSubject(r: GradTauReport): RecordSubject {
  return {
    model: r.model,
    output: r.output,
    forget: r.forget,
    parameters: r.parameters,
    method: {
      name: 'gradtau',
      hyperparameters: { schedule: r.schedule, epochs: r.hyperparameters.epochs, alpha0: r.hyperparameters.alpha0, lr: r.hyperparameters.lr, weightDecay: r.hyperparameters.weightDecay },
      batchSize: r.hyperparameters.batch,
      seed: r.hyperparameters.seed,
      details: { retain: r.retain, val: r.val, steps: r.steps, trace: r.trace },
    },
    seconds: r.seconds,
  };
}

function printSummary(r: GradTauReport, io: Io, record: string, verdict: string): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(`∇τ (${r.schedule} schedule: ${r.hyperparameters.epochs} epochs, α0 ${r.hyperparameters.alpha0.toFixed(4)}, ${r.steps} steps) on ${r.model.path}`);
  io.out(`  forget set       ${r.forget.source}: ${r.forget.count.toLocaleString('en-US')} examples`);
  io.out(`  retain / val     ${r.retain.count.toLocaleString('en-US')} / ${r.val.count.toLocaleString('en-US')} examples`);
  io.out(`  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`);
  io.out(`  retain accuracy  ${pct(r.retainAccuracy.before)} → ${pct(r.retainAccuracy.after)}`);
  io.out(`  wrote            ${r.output.path} in ${r.seconds.toFixed(1)} s`);
  io.out(`  record           ${record} (verdict: ${verdict})`);
}
