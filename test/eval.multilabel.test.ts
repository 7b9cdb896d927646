// The multi-label metrics of the text fixtures' README (../shared/text/README.md "Metrics"; issue 17 item 4):
// per set micro-F1, exact match and mean binary cross-entropy; with a forgotten label (every forget example
// carries it, no retain example does) its recall on forget and test, its binary F1 on test and the other
// labels' micro-F1; mia on the mean binary entropy, mia_loss on the per-example loss with the test examples
// carrying the label as unseen; js_to_retrain and l1_to_retrain between Bernoulli sigmoids.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../src/eval/evaluate.js';
import { jsDivergence } from '../src/eval/metrics.js';
import {
  bernoulliJsDivergence,
  forgottenLabel,
  labelF1,
  labelRecall,
  microF1Without,
  multiLabelCounts,
  multiLabelEntropies,
  multiLabelLosses,
  multiLabelMetrics,
  multiLabelProbs,
  sigmoidL1Distance,
} from '../src/eval/multilabel.js';
import type { SetOutputs } from '../src/eval/pass.js';
import { availableMetrics, checkGateMetrics, judge, parseGate } from '../src/record/gates.js';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const C = 3;
// label 1 is carried by both forget examples and by no retain example
const FORGET = { logits: [-1, 2, -3, 0.5, -0.5, 1], targets: [0, 1, 0, 1, 1, 0] };
const RETAIN = { logits: [1, -1, -1, -1, -1, 1], targets: [1, 0, 0, 0, 0, 1] };
// predicted [0 1 0], [1 0 1], [1 1 0], [0 1 0] against [0 1 0], [0 1 1], [1 0 0], [0 0 1]
const TEST = { logits: [-1, 1, -1, 1, -1, 1, 1, 1, -1, -1, 1, -1], targets: [0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1] };

const counts = (s: { logits: number[]; targets: number[] }) => multiLabelCounts(s.logits, s.targets, C);
const value = (r: { ok: boolean; value?: number }) => (r.ok ? r.value : NaN);

/** A single-label set's pass outputs: each example predicted right, its loss and entropy from its label. */
const single = (labels: number[]): SetOutputs => ({
  count: labels.length,
  labels: Int32Array.from(labels),
  predictions: Int32Array.from(labels),
  losses: Float64Array.from(labels, (l) => 0.1 + l / 10),
  entropies: Float64Array.from(labels, (l) => 0.2 + l / 10),
});

/** A set's pass outputs as eval/pass.ts keeps them for a multi-label head. */
function outputs(s: { logits: number[]; targets: number[] }, keepProbs = false): SetOutputs {
  const n = s.logits.length / C;
  return {
    count: n,
    labels: new Int32Array(n).fill(-1),
    predictions: new Int32Array(n).fill(-1),
    losses: multiLabelLosses(s.logits, s.targets, C),
    entropies: multiLabelEntropies(s.logits, C),
    probs: keepProbs ? multiLabelProbs(s.logits) : undefined,
    multiLabel: counts(s),
  };
}

describe('multi-label per-set metrics (by hand)', () => {
  it('keeps targets and predictions (logit > 0) as 0/1 bytes', () => {
    const c = counts(TEST);
    expect([...c.predicted]).toEqual([0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0]);
    expect([...c.targets]).toEqual(TEST.targets);
    // z = 0 exactly predicts 0
    expect([...multiLabelCounts([0, 1e-9, -0], [1, 1, 0], 3).predicted]).toEqual([0, 1, 0]);
  });

  it('micro-F1, exact match and loss (mean over every entry) of the test set', () => {
    const m = multiLabelMetrics(counts(TEST), 'test');
    // TP 3 (ex0 l1, ex1 l2, ex2 l0), FP 3 (ex1 l0, ex2 l1, ex3 l1), FN 2 (ex1 l1, ex3 l2)
    expect(value(m.micro_f1)).toBeCloseTo(6 / (6 + 3 + 2), 15);
    expect(value(m.exact_acc)).toBe(1 / 4);
    const bce = (z: number, t: number) =>
      -t * Math.log(1 / (1 + Math.exp(-z))) - (1 - t) * Math.log(1 / (1 + Math.exp(z)));
    const all = TEST.logits.map((z, k) => bce(z, TEST.targets[k]));
    const perExample = multiLabelLosses(TEST.logits, TEST.targets, C);
    const meanOf = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(meanOf(perExample)).toBeCloseTo(meanOf(all), 14);
    expect(perExample[1]).toBeCloseTo((bce(1, 0) + bce(-1, 1) + bce(1, 1)) / 3, 14);
  });

  it('entropy feature: the mean binary entropy of σ(z), 0·ln 0 = 0', () => {
    const h = (p: number) => (p > 0 && p < 1 ? -p * Math.log(p) - (1 - p) * Math.log(1 - p) : 0);
    const e = multiLabelEntropies([0, 2, -40, 1000, -1000, 0.3], C);
    expect(e[0]).toBeCloseTo((Math.LN2 + h(1 / (1 + Math.exp(-2))) + h(1 / (1 + Math.exp(40)))) / 3, 14);
    expect(e[1]).toBeCloseTo(h(1 / (1 + Math.exp(-0.3))) / 3, 14);
    expect([...e].every(Number.isFinite)).toBe(true);
  });

  it('sigmoids in float64, finite for any logit', () => {
    const p = multiLabelProbs(Float32Array.from([0, 2, -2, 800, -800]));
    expect(p[0]).toBe(0.5);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(p[1] + p[2]).toBeCloseTo(1, 15);
    expect([p[3], p[4]]).toEqual([1, 0]);
  });
});

describe('the forgotten label', () => {
  it('is the one label every forget example carries and no retain example does', () => {
    expect(forgottenLabel(counts(FORGET), counts(RETAIN))).toBe(1);
  });

  it('is absent when the retain set carries it, when several labels qualify, or when forget is empty', () => {
    const retainWith1 = { logits: RETAIN.logits, targets: [1, 0, 0, 0, 1, 1] };
    expect(forgottenLabel(counts(FORGET), counts(retainWith1))).toBeUndefined();
    const twoLabels = { logits: [1, 1, 1, 1, 1, 1], targets: [0, 1, 1, 0, 1, 1] };
    expect(forgottenLabel(counts(twoLabels), counts({ logits: [1, 1, 1], targets: [1, 0, 0] }))).toBeUndefined();
    expect(forgottenLabel(counts({ logits: [], targets: [] }), counts(RETAIN))).toBeUndefined();
    // no label common to every forget example
    const mixed = { logits: [1, 1, 1, 1, 1, 1], targets: [1, 0, 0, 0, 1, 0] };
    expect(forgottenLabel(counts(mixed), counts(RETAIN))).toBeUndefined();
  });

  it('recall, binary F1 and the other labels micro-F1 by hand', () => {
    // forget: example 0 predicts label 1, example 1 does not
    expect(labelRecall(counts(FORGET), 1, 'forget')).toMatchObject({ ok: true, value: 0.5 });
    const t = counts(TEST);
    // test examples carrying label 1: 0 (predicted) and 1 (not)
    expect(labelRecall(t, 1, 'test')).toMatchObject({ ok: true, value: 0.5 });
    // label 1: TP 1, FP 2 (examples 2, 3), FN 1: 2/(2 + 2 + 1)
    expect(value(labelF1(t, 1, 'test'))).toBeCloseTo(0.4, 15);
    // labels 0 and 2: TP 2 (ex1 l2, ex2 l0), FP 1 (ex1 l0), FN 1 (ex3 l2): 4/(4 + 1 + 1)
    expect(value(microF1Without(t, 1, 'test'))).toBeCloseTo(2 / 3, 15);
    expect(labelF1(t, 1, 'test').metric).toMatchObject({ name: 'binary_f1', params: { label: 1, threshold: 0.5 } });
    // nobody carries label 0 here, nobody predicts it
    const none = counts({ logits: [-1, 1, -1], targets: [0, 1, 0] });
    expect(labelRecall(none, 0, 'test')).toMatchObject({ ok: false, reason: 'no test example carries label 0' });
    expect(labelF1(none, 0, 'test').ok).toBe(false);
  });
});

describe('distances to a retrained model (Bernoulli sigmoids)', () => {
  const js1 = (() => {
    // JS(Bernoulli(0.9), Bernoulli(0.5)), M = Bernoulli(0.7)
    const kl = (a: number, m: number) => a * Math.log(a / m) + (1 - a) * Math.log((1 - a) / (1 - m));
    return 0.5 * kl(0.9, 0.7) + 0.5 * kl(0.5, 0.7);
  })();
  const p = [0.9, 1, 0.3, 0.3];
  const q = [0.5, 0, 0.3, 0.3];

  it('js_to_retrain: mean over examples of the mean over labels of JS, natural log, 0·ln 0 = 0', () => {
    // example 0: (js1 + ln 2)/2 (Bernoulli(1) against Bernoulli(0) is ln 2); example 1: 0
    const r = bernoulliJsDivergence(p, q, 2);
    expect(value(r)).toBeCloseTo((js1 + Math.LN2) / 2 / 2, 15);
    expect(r.metric).toMatchObject({ name: 'js_divergence', params: { log: 'natural' } });
    expect(value(bernoulliJsDivergence(p, p, 2))).toBe(0);
    // the same as the two-class JS of the rows [p, 1 − p]
    const rows = (a: number[]) => ({ data: a.flatMap((v) => [v, 1 - v]), dims: [a.length, 2] });
    expect(value(bernoulliJsDivergence([0.9, 0.2], [0.5, 0.7], 1))).toBeCloseTo(
      value(jsDivergence(rows([0.9, 0.2]), rows([0.5, 0.7]))),
      15,
    );
  });

  it('l1_to_retrain: mean over examples of the sum over labels of |p − q|', () => {
    // example 0: 0.4 + 1; example 1: 0
    expect(value(sigmoidL1Distance(p, q, 2))).toBeCloseTo(0.7, 15);
    expect(sigmoidL1Distance([], [], 2).ok).toBe(false);
    expect(() => sigmoidL1Distance([0.5, 0.5], [0.5], 2)).toThrow(RangeError);
  });
});

describe('computeMetrics on a multi-label head', () => {
  it("reports the README's names, with the forgotten label's test examples as mia_loss's unseen set", () => {
    const retrainForget = outputs({ logits: FORGET.logits.map((z) => z - 1), targets: FORGET.targets }, true);
    const m = computeMetrics(
      { forget: outputs(FORGET, true), retain: outputs(RETAIN), test: outputs(TEST) },
      { retrainForget },
    );
    expect(m.values.forget_label_recall).toBe(0.5);
    expect(m.values.test_forget_label_recall).toBe(0.5);
    expect(m.values.test_forget_label_f1).toBeCloseTo(0.4, 15);
    expect(m.values.test_retain_labels_micro_f1).toBeCloseTo(2 / 3, 15);
    expect(m.values.test_micro_f1).toBeCloseTo(6 / 11, 15);
    expect(m.values.test_exact_acc).toBe(0.25);
    for (const k of ['forget_loss', 'retain_loss', 'test_loss', 'mia'])
      expect(Number.isFinite(m.values[k]), k).toBe(true);
    // two forget examples, two unseen: too few for the attack's splits, but the unseen set is the label's
    expect(m.definitions.mia_loss.params).toMatchObject({ negative: 'test examples carrying label 1' });
    expect(m.definitions.mia.params).toMatchObject({ feature: 'mean binary entropy over labels' });
    const p = multiLabelProbs(FORGET.logits);
    const q = multiLabelProbs(FORGET.logits.map((z) => z - 1));
    expect(m.values.js_to_retrain).toBeCloseTo(value(bernoulliJsDivergence(p, q, C)), 15);
    expect(m.values.l1_to_retrain).toBeCloseTo(value(sigmoidL1Distance(p, q, C)), 15);
    expect(m.values.js_to_retrain).toBeGreaterThan(0);
  });

  it('without a forgotten label the label metrics are left out, and a gate on them fails as not computed', () => {
    const m = computeMetrics({ forget: outputs(FORGET), retain: outputs(TEST), test: outputs(TEST) });
    for (const k of ['forget_label_recall', 'test_forget_label_recall', 'test_forget_label_f1'])
      expect(k in m.definitions, k).toBe(false);
    expect(m.definitions.mia_loss.params).toMatchObject({ negative: 'test' });
    const verdict = judge([parseGate('forget_label_recall<=0.1')], m);
    expect(verdict.verdict).toBe('rejected');
    expect(verdict.gates[0]).toMatchObject({
      passed: false,
      reason: 'the forget set does not all carry one label that the retain set lacks',
    });
  });

  it('gates: the new names are accepted where the sets allow them', () => {
    const all = availableMetrics({ retain: true, test: true, retrain: true });
    for (const k of [
      'forget_label_recall',
      'test_forget_label_recall',
      'test_forget_label_f1',
      'test_retain_labels_micro_f1',
      'forget_micro_f1',
      'test_exact_acc',
    ])
      expect(all, k).toContain(k);
    expect(() => checkGateMetrics([parseGate('forget_label_recall<=0.1')], all, '')).not.toThrow();
    expect(() => checkGateMetrics([parseGate('forget_label_recall<=0.1')], availableMetrics({}), '')).toThrow(
      /forget_label_recall is not computed by this run/,
    );
  });

  it('mia with only one of the sets it is fit on says which it lacks, instead of being left out', () => {
    const testOnly = computeMetrics({ forget: single([0, 1]), test: single([0, 1, 2, 0]) });
    expect(testOnly.values.mia).toBeUndefined();
    expect(testOnly.notComputable.mia).toMatch(/retain set against the test set; give --retain too$/);
    expect(testOnly.definitions.mia.name).toBe('mia');
    expect(computeMetrics({ forget: single([0, 1]), retain: single([2, 2]) }).notComputable.mia).toMatch(
      /give --test too$/,
    );
    expect('mia' in computeMetrics({ forget: single([0, 1]) }).definitions).toBe(false);
  });

  it("the forgotten class's test metrics need the retain set too (the class is one it lacks)", () => {
    const testOnly = availableMetrics({ test: true }, 'single-label');
    expect(testOnly).toContain('mia_loss');
    expect(testOnly).not.toContain('test_forget_class_acc');
    expect(() => checkGateMetrics([parseGate('test_forget_class_acc<=0.1')], testOnly, '')).toThrow(
      /test_forget_class_acc is not computed by this run/,
    );
    expect(availableMetrics({ retain: true, test: true }, 'single-label')).toContain('test_forget_class_acc');
    // a forget set of two classes, both in the retain set: the gate fails saying why
    const m = computeMetrics({ forget: single([0, 1]), retain: single([0, 1, 2, 2]), test: single([0, 1, 2, 0]) });
    expect('test_forget_class_acc' in m.values).toBe(false);
    expect(judge([parseGate('test_retain_classes_acc>=0.5')], m).gates[0]).toMatchObject({
      passed: false,
      reason: 'the forget set is not all of one class that the retain set lacks',
    });
  });
});

describe('scrub eval on the multi-label fixture', () => {
  const DIR = `${FIXTURES}/multilabel`;
  const DATA = `${DIR}/x.npy,${DIR}/y.npy`;
  const out = mkdtempSync(join(tmpdir(), 'scrub-eval-multilabel-'));

  it('forgetting label 3 (examples 3 and 8): the label metrics, and js/l1 = 0 against the same model', async () => {
    const model = `${DIR}/sigmoid.onnx`;
    const e = await run(
      'eval',
      model,
      '--forget',
      `${DATA}@label=3`,
      '--retain',
      `${DATA}@~label=3`,
      '--test',
      DATA,
      '--retrain',
      model,
      '--require',
      'forget_label_recall<=1',
      '--json',
      '-o',
      join(out, 'e.json'),
    );
    expect(e.code, e.err).toBe(0);
    const report = JSON.parse(e.out);
    const values = report.metrics.values;
    expect(report.sets.forget.count).toBe(2);
    for (const k of [
      'forget_micro_f1',
      'forget_exact_acc',
      'forget_loss',
      'retain_micro_f1',
      'test_micro_f1',
      'test_exact_acc',
      'test_loss',
      'forget_label_recall',
      'test_forget_label_recall',
      'test_forget_label_f1',
      'test_retain_labels_micro_f1',
      'mia',
      'js_to_retrain',
      'l1_to_retrain',
    ])
      expect(Number.isFinite(values[k]), k).toBe(true);
    expect(values.js_to_retrain).toBe(0);
    expect(values.l1_to_retrain).toBe(0);
    // forget examples are the test examples carrying label 3
    expect(values.test_forget_label_recall).toBe(values.forget_label_recall);
    expect(report.metrics.definitions.mia_loss.params.negative).toBe('test examples carrying label 3');
    expect(report.acceptance.verdict).toBe('accepted');
  });
});
