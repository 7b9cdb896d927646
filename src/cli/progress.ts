// Progress of long passes on stderr: a line updated in place on a terminal, quarter steps otherwise.
import type { Io } from './io.js';

// 'forget' is both SSD's forget-set importance pass and the evaluation's pass over the forget set
const LABELS: Record<string, string> = {
  full: 'full-data importance',
  forget: 'forget set',
  retain: 'retain set',
  test: 'test set',
  evaluate: 'checking the edited model',
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
    if (total >= 4096 && quarter > (lastQuarter.get(stage) ?? 0)) {
      lastQuarter.set(stage, quarter);
      io.err(line);
    }
  };
}
