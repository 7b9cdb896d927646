// The ∇τ lines of the main command's summary (scrub MODEL FORGET --method gradtau).
import type { UnlearnReport } from '../api/report.js';
import type { Io } from './io.js';

export function printGradTauSummary(r: Extract<UnlearnReport, { method: 'gradtau' }>, io: Io): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(
    `∇τ (${r.schedule} schedule: ${r.hyperparameters.epochs} epochs, α0 ${r.hyperparameters.alpha0.toFixed(4)}, ${r.steps} steps) on ${r.model.path}`,
  );
  io.out(`  forget set       ${r.forget.source}: ${r.forget.count.toLocaleString('en-US')} examples`);
  io.out(
    `  retain / val     ${r.retain.count.toLocaleString('en-US')} / ${r.val.count.toLocaleString('en-US')} examples`,
  );
  io.out(`  forget accuracy  ${pct(r.forgetAccuracy.before)} → ${pct(r.forgetAccuracy.after)}`);
  io.out(`  retain accuracy  ${pct(r.retainAccuracy.before)} → ${pct(r.retainAccuracy.after)}`);
  if (r.output.written) io.out(`  wrote            ${r.output.path} in ${r.seconds.toFixed(1)} s`);
}
