// The evaluation table of a command's text summary: per set evaluated, the accuracy before → after
// (and of the retrained model), then the membership-inference attacks, with what their values mean.
import type { Metrics } from '../eval/evaluate.js';

/** The metrics blocks of a run, as the record holds them (any may be absent). */
export interface RunMetrics {
  before?: Metrics;
  after?: Metrics;
  retrain?: Metrics;
}

const SETS = ['forget', 'retain', 'test', 'val'] as const;

const ATTACKS: readonly { metric: string; label: string; meaning: string }[] = [
  {
    metric: 'mia',
    label: 'mia (entropy)',
    meaning: 'forget examples called members; the retrained value is the target',
  },
  { metric: 'mia_loss', label: 'mia_loss', meaning: 'attack accuracy, forget vs unseen; 0.5 = cannot tell' },
];

/**
 * The lines of the evaluation table (none when no metric was evaluated, e.g. a forget set without
 * labels): a header naming the models (before, after, retrained: those present), one row `SET acc` per
 * set evaluated (accuracy as a percentage with one decimal; a multi-label head's per-label accuracy, then
 * its exact match `SET exact`), the test set's forgotten class and kept classes where a class was forgotten,
 * then `mia` and `mia_loss` (three decimals) where evaluated, each with a few words on its meaning. A
 * value that could not be computed reads `n/a`; a row with no value at all says why instead of its meaning
 * (the metrics' notComputable reason: the set to give, or why the sets are too small).
 */
export function evaluationTable(m: RunMetrics): string[] {
  const models: [string, Metrics][] = [];
  for (const [name, x] of [
    ['before', m.before],
    ['after', m.after],
    ['retrained', m.retrain],
  ] as const)
    if (x) models.push([name, x]);
  if (models.length === 0) return [];
  const has = (metric: string) => models.some(([, x]) => metric in x.definitions || metric in x.values);
  const rows: { label: string; metric: string; format: (v: number) => string; note?: string }[] = [];
  for (const set of SETS) {
    if (has(`${set}_acc`)) rows.push({ label: `${set} acc`, metric: `${set}_acc`, format: percent });
    // a multi-label head's acc is per label; exact match is what a forgotten comment shows
    if (has(`${set}_exact_acc`)) rows.push({ label: `${set} exact`, metric: `${set}_exact_acc`, format: percent });
  }
  // a forgotten class: the test set's examples of it, and of the classes kept
  for (const [metric, label] of [
    ['test_forget_class_acc', 'test, its class'],
    ['test_retain_classes_acc', 'test, other classes'],
  ] as const)
    if (has(metric)) rows.push({ label, metric, format: percent });
  for (const a of ATTACKS)
    if (has(a.metric)) rows.push({ label: a.label, metric: a.metric, format: (v) => v.toFixed(3), note: a.meaning });
  if (rows.length === 0) return [];
  // the values start in the column of the method's summary lines above (19), or after the longest label
  const column = Math.max(19, 4 + Math.max(...rows.map((r) => r.label.length)) + 2);
  const cell = (s: string) => s.padEnd(10);
  const lines = [`  ${'evaluation'.padEnd(column - 2)}${models.map(([name]) => cell(name)).join('')}`.trimEnd()];
  for (const r of rows) {
    const values = models.map(([, x]) => {
      const v = x.values[r.metric];
      return cell(v === undefined ? 'n/a' : r.format(v));
    });
    const why = models.every(([, x]) => x.values[r.metric] === undefined)
      ? models.map(([, x]) => x.notComputable[r.metric]).find((reason) => reason)
      : undefined;
    const note = why ? `not computed: ${why}` : (r.note ?? '');
    lines.push(`    ${r.label.padEnd(column - 4)}${values.join('')}${note}`.trimEnd());
  }
  return lines;
}

function percent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
