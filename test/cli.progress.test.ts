// Progress off a terminal (a pipeline's log): quarter lines for long passes, counted in examples or, for
// the training methods, in steps.
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../src/cli/progress.js';

function capture(enabled = true) {
  const lines: string[] = [];
  const report = progressReporter({ out: () => {}, err: (l) => lines.push(l) }, enabled);
  return { lines, report };
}

describe('progress off a terminal', () => {
  it('a ∇τ run of 330 steps prints its quarters, labelled in steps', () => {
    expect(process.stderr.isTTY).not.toBe(true);
    const { lines, report } = capture();
    for (let done = 1; done <= 330; done++) report('gradtau', done, 330);
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.replace(/, [\d,]+\/s\)$/, ')'))).toEqual([
      '∇τ steps: 83/330 (25%)',
      '∇τ steps: 165/330 (50%)',
      '∇τ steps: 248/330 (75%)',
      '∇τ steps: 330/330 (100%)',
    ]);
  });

  it('a short run (12 steps) and a pass of fewer than 4,096 examples stay quiet; --quiet silences all', () => {
    const { lines, report } = capture();
    for (let done = 1; done <= 12; done++) report('finetune', done, 12);
    for (let done = 64; done <= 4032; done += 64) report('forget', done, 4032);
    expect(lines).toEqual([]);
    const quiet = capture(false);
    for (let done = 1; done <= 330; done++) quiet.report('gradtau', done, 330);
    expect(quiet.lines).toEqual([]);
  });

  it('a pass of 5,479 examples prints its quarters, labelled by its set', () => {
    const { lines, report } = capture();
    for (let done = 64; done < 5479; done += 64) report('forget', done, 5479);
    report('forget', 5479, 5479);
    expect(lines.map((l) => l.split(':')[0])).toEqual(Array(4).fill('forget set'));
  });
});
