// Acceptance gates for pipelines: --require 'forget_acc<=0.05' --require 'test_acc>=0.90'.
import { BadInputError, GateFailedError, type FailedGate } from '../core/errors.js';
import type { Metrics } from '../eval/evaluate.js';
import type { HeadKind } from '../graph/head.js';

export interface Gate {
  metric: string;
  op: '<=' | '>=';
  value: number;
  text: string;
}

export interface GateResult extends Gate {
  actual?: number;
  passed: boolean;
  reason?: string;
}

export interface Acceptance {
  verdict: 'accepted' | 'rejected' | 'no gates';
  gates: GateResult[];
}

export function parseGate(text: string): Gate {
  const m = /^\s*([a-z_][a-z0-9_]*)\s*(<=|>=)\s*(-?\d+(?:\.\d*)?(?:e-?\d+)?)\s*$/i.exec(text);
  if (!m)
    throw new BadInputError(`--require '${text}': expected METRIC<=NUMBER or METRIC>=NUMBER, e.g. 'forget_acc<=0.05'.`);
  return { metric: m[1], op: m[2] as Gate['op'], value: Number(m[3]), text: text.trim() };
}

/** A gate this run cannot judge: `index` is its position in the list given, `why` says what is wrong. */
export interface GateProblem {
  index: number;
  gate: Gate;
  /** The metrics this run computes. */
  available: readonly string[];
  why: string;
  /** More sets would compute it (the hint applies). */
  more?: boolean;
}

/** The gates that name a metric this run cannot compute (checked before any work is done); [] when none. */
export function gateMetricProblems(
  gates: readonly Gate[],
  available: readonly string[],
  head?: 'single-label' | 'multi-label',
): GateProblem[] {
  const every = { retain: true, test: true, retrain: true };
  const why = (metric: string): { why: string; more?: boolean } => {
    if (!availableMetrics(every).includes(metric)) return { why: `${metric} is not a metric scrub computes` };
    if (head && !availableMetrics(every, head).includes(metric)) {
      const other = head === 'multi-label' ? 'single-label' : 'multi-label';
      return { why: `${metric} is a metric of ${other} heads, and this model's is ${head}` };
    }
    return { why: `${metric} is not computed by this run`, more: true };
  };
  return gates.flatMap((gate, index) =>
    available.includes(gate.metric) ? [] : [{ index, gate, available, ...why(gate.metric) }],
  );
}

/** One problem as a sentence: `'mia<=0.1': mia is not computed by this run (HINT); available: …`. */
export function describeGateProblem(p: GateProblem, hint: string): string {
  return `'${p.gate.text}': ${p.why}${p.more && hint ? ` (${hint})` : ''}; available: ${p.available.join(', ')}.`;
}

/**
 * checkGateMetrics for a run with these sets on a model whose head is of `head`'s kind: the available
 * metrics are that head's, and the hint names the sets not given.
 */
export function checkRunGates(
  gates: readonly Gate[],
  sets: { retain?: unknown; test?: unknown; retrain?: unknown },
  head: HeadKind,
): void {
  const given = { retain: !!sets.retain, test: !!sets.test, retrain: !!sets.retrain };
  const missing = (['retain', 'test', 'retrain'] as const).filter((s) => !given[s]).map((s) => `--${s}`);
  const kind = head === 'multi-label' ? 'multi-label' : 'single-label';
  checkGateMetrics(
    gates,
    availableMetrics(given, kind),
    missing.length ? `add ${missing.join('/')} for more` : '',
    kind,
  );
}

/** Throws a BadInputError naming the first gate that names a metric this run cannot compute. */
export function checkGateMetrics(
  gates: readonly Gate[],
  available: readonly string[],
  hint: string,
  head?: 'single-label' | 'multi-label',
): void {
  const [first] = gateMetricProblems(gates, available, head);
  if (first) throw new BadInputError(`--require ${describeGateProblem(first, hint)}`);
}

/** The metrics of a forgotten class (single-label) and of a forgotten label (multi-label): eval/evaluate.ts. */
const FORGOTTEN_CLASS = ['test_forget_class_acc', 'test_retain_classes_acc'];
const [FORGET_LABEL, ...TEST_FORGOTTEN_LABEL] = [
  'forget_label_recall',
  'test_forget_label_recall',
  'test_forget_label_f1',
  'test_retain_labels_micro_f1',
];

/** Why a metric that exists only for a forgotten class or label was left out of a run's metrics. */
const ONLY_WHEN = new Map([
  ...FORGOTTEN_CLASS.map((k) => [k, 'the forget set is not all of one class that the retain set lacks'] as const),
  ...[FORGET_LABEL, ...TEST_FORGOTTEN_LABEL].map(
    (k) => [k, 'the forget set does not all carry one label that the retain set lacks'] as const,
  ),
]);

export function judge(gates: readonly Gate[], metrics: Metrics): Acceptance {
  const results = gates.map((g): GateResult => {
    const actual = metrics.values[g.metric];
    if (actual === undefined) {
      const reason = metrics.notComputable[g.metric] ?? ONLY_WHEN.get(g.metric) ?? 'not computed';
      return { ...g, passed: false, reason };
    }
    return { ...g, actual, passed: g.op === '<=' ? actual <= g.value : actual >= g.value };
  });
  return {
    verdict: gates.length === 0 ? 'no gates' : results.every((r) => r.passed) ? 'accepted' : 'rejected',
    gates: results,
  };
}

/** The gates that did not pass, as structured data. */
export function failedGates(a: Acceptance): FailedGate[] {
  return a.gates
    .filter((g) => !g.passed)
    .map((g) => ({ text: g.text, metric: g.metric, actual: g.actual, reason: g.reason }));
}

export function describeFailures(a: Acceptance): string[] {
  return failedGates(a).map((g) =>
    g.actual === undefined
      ? `${g.text}: ${g.metric} could not be computed (${g.reason})`
      : `${g.text}: ${g.metric} is ${g.actual.toFixed(4)}`,
  );
}

/**
 * The error a command line raises for a rejected run (exit 1), or undefined when it was not
 * rejected: one line, `gate failed: GATE: METRIC is VALUE; …` and then `then` (what happened to
 * the output, e.g. "; no model written").
 */
export function gateFailure(a: Acceptance, then = ''): GateFailedError | undefined {
  if (a.verdict !== 'rejected') return undefined;
  return new GateFailedError(`gate failed: ${describeFailures(a).join('; ')}${then}`, failedGates(a));
}

/**
 * The metrics a run may compute, given which sets it has. Some exist only for some heads or sets, and
 * are judged not computed elsewhere: SET_exact_acc and SET_micro_f1 for multi-label heads
 * (eval/multilabel.ts); test_forget_class_acc and test_retain_classes_acc for a single-label forget set
 * of one class that the retain set lacks; forget_label_recall and the test_…_label(s)_… metrics for a
 * multi-label forget set whose examples all carry one label that the retain set lacks (eval/evaluate.ts).
 * With `head`, only the metrics of that kind of head (default: every head's).
 */
export function availableMetrics(
  sets: { retain?: boolean; test?: boolean; retrain?: boolean },
  head?: 'single-label' | 'multi-label',
): string[] {
  const multi = head !== 'single-label';
  const single = head !== 'multi-label';
  const per = (set: string) => [`${set}_acc`, `${set}_loss`, ...(multi ? [`${set}_exact_acc`, `${set}_micro_f1`] : [])];
  const out = per('forget');
  if (sets.retain) out.push(...per('retain'), ...(multi ? [FORGET_LABEL] : []));
  if (sets.test) out.push(...per('test'), 'mia_loss');
  // a forgotten class or label is one the retain set lacks: without it, there is none
  if (sets.retain && sets.test)
    out.push('mia', ...(single ? FORGOTTEN_CLASS : []), ...(multi ? TEST_FORGOTTEN_LABEL : []));
  if (sets.retrain) out.push('js_to_retrain', 'l1_to_retrain');
  return out;
}
