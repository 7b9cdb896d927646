// Acceptance gates for pipelines: --require 'forget_acc<=0.05' --require 'test_acc>=0.90'.
import { BadInputError } from '../core/errors.js';
import type { Metrics } from '../eval/evaluate.js';

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

/** Checks that every gate names a metric this run can compute (before any work is done). */
export function checkGateMetrics(gates: readonly Gate[], available: readonly string[], hint: string): void {
  for (const g of gates)
    if (!available.includes(g.metric))
      throw new BadInputError(
        `--require '${g.text}': ${g.metric} is not computed by this run (${hint}); available: ${available.join(', ')}.`,
      );
}

export function judge(gates: readonly Gate[], metrics: Metrics): Acceptance {
  const results = gates.map((g): GateResult => {
    const actual = metrics.values[g.metric];
    if (actual === undefined) return { ...g, passed: false, reason: metrics.notComputable[g.metric] ?? 'not computed' };
    return { ...g, actual, passed: g.op === '<=' ? actual <= g.value : actual >= g.value };
  });
  return {
    verdict: gates.length === 0 ? 'no gates' : results.every((r) => r.passed) ? 'accepted' : 'rejected',
    gates: results,
  };
}

export function describeFailures(a: Acceptance): string[] {
  return a.gates
    .filter((g) => !g.passed)
    .map((g) =>
      g.actual === undefined
        ? `${g.text}: ${g.metric} could not be computed (${g.reason})`
        : `${g.text}: ${g.metric} is ${g.actual.toFixed(4)}`,
    );
}

/** The metrics a run computes, given which sets it has. */
export function availableMetrics(sets: { retain?: boolean; test?: boolean; retrain?: boolean }): string[] {
  const out = ['forget_acc', 'forget_loss'];
  if (sets.retain) out.push('retain_acc', 'retain_loss');
  if (sets.test) out.push('test_acc', 'test_loss', 'mia_loss', 'test_forget_class_acc', 'test_retain_classes_acc');
  if (sets.retain && sets.test) out.push('mia');
  if (sets.retrain) out.push('js_to_retrain', 'l1_to_retrain');
  return out;
}
