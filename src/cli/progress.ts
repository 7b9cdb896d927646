// Progress of long passes on stderr: a line updated in place on a terminal, quarter steps otherwise.
import type { Io } from './io.js';

// Stages counted in training steps (a step is a whole batch's gradient run and update), not examples.
const STEP_STAGES = new Set(['gradtau', 'finetune']);
// Off a terminal, the quarter lines of a pass of at least this many examples, or steps: a ∇τ run is
// hundreds of steps (264–780 on Fashion-MNIST, seconds to an hour), and said nothing in a pipeline's log.
const QUARTERS_FROM = { examples: 4096, steps: 64 };

// 'forget' is both SSD's forget-set importance pass and the evaluation's pass over the forget set
const LABELS: Record<string, string> = {
  full: 'full-data importance',
  forget: 'forget set',
  retain: 'retain set',
  test: 'test set',
  evaluate: 'checking the edited model',
  gradtau: '∇τ steps',
  finetune: 'finetune steps',
};

export function progressReporter(io: Io, enabled: boolean): (stage: string, done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  const started = new Map<string, number>();
  const lastQuarter = new Map<string, number>();
  const lastDone = new Map<string, number>();
  return (stage, done, total) => {
    if (!enabled || total <= 0) return;
    const now = performance.now();
    // a stage seen again after it finished, or from the start (the same set in a later pass), is a new bar
    const prev = lastDone.get(stage);
    if (prev === undefined || done < prev || prev >= total) {
      started.set(stage, now);
      lastQuarter.delete(stage);
    }
    lastDone.set(stage, done);
    const secs = (now - started.get(stage)!) / 1000;
    const rate = secs > 0 ? `, ${Math.round(done / secs).toLocaleString('en-US')}/s` : '';
    const counts = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
    const line = `${LABELS[stage] ?? stage}: ${counts} (${Math.floor((100 * done) / total)}%${rate})`;
    if (tty) {
      process.stderr.write(`\r${line}${done >= total ? '\n' : ''}`);
      return;
    }
    const quarter = Math.floor((4 * done) / total);
    const from = STEP_STAGES.has(stage) ? QUARTERS_FROM.steps : QUARTERS_FROM.examples;
    if (total >= from && quarter > (lastQuarter.get(stage) ?? 0)) {
      lastQuarter.set(stage, quarter);
      io.err(line);
    }
  };
}
