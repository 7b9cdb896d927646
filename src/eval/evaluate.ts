// The report's metrics from the passes' outputs, under the names report.json uses: those of
// test/fixtures/FIXTURES.md ("Metrics") for single-label heads, and of the text fixtures' README
// (../shared/text/README.md "Metrics") for multi-label ones.
import { jsDivergence, l1Distance, MIA, miaEntropyFromFeatures, miaLoss } from './metrics.js';
import {
  bernoulliJsDivergence,
  forgottenLabel,
  labelF1,
  labelRecall,
  microF1Without,
  MULTI_LABEL_LOSS,
  multiLabelMetrics,
  sigmoidL1Distance,
} from './multilabel.js';
import type { MetricDescriptor, MetricResult } from './result.js';
import { setDistributions, type SetDistributions } from './histogram.js';
import type { SetOutputs } from './pass.js';

export interface Metrics {
  /** Metric name → value (report.json's names). */
  values: Record<string, number>;
  /** Metric name → why it could not be computed. */
  notComputable: Record<string, string>;
  /** Metric name → what exactly was computed (version and parameters). */
  definitions: Record<string, MetricDescriptor>;
  /**
   * Set name → histograms of its per-example loss and softmax entropy (histogram.ts: counts over fixed
   * bins, no examples), for every set evaluated. Absent from records written before scrub kept them.
   */
  distributions?: Record<string, SetDistributions>;
}

export interface SetsOutputs {
  forget: SetOutputs;
  retain?: SetOutputs;
  test?: SetOutputs;
}

/** The forgotten class when every forget label is one label that no retain example has (single-label heads). */
export function forgottenClass(forget: SetOutputs, retain?: SetOutputs): number | undefined {
  if (!retain || forget.count === 0 || forget.multiLabel) return undefined;
  const c = forget.labels[0];
  if (forget.labels.some((l) => l !== c)) return undefined;
  return retain.labels.includes(c) ? undefined : c;
}

const ACC: MetricDescriptor = { name: 'accuracy', version: 1, params: { top: 1, ties: 'lowest-index' } };
const LOSS: MetricDescriptor = { name: 'cross_entropy', version: 1, params: { reduction: 'mean', log: 'natural' } };

/**
 * Every metric the sets allow, by report.json's name: per set `SET_acc` and `SET_loss` (a multi-label
 * head: also `SET_exact_acc` and `SET_micro_f1`, multilabel.ts); with a forgotten class (single-label)
 * `test_forget_class_acc` and `test_retain_classes_acc`, or with a forgotten label (multi-label,
 * forgottenLabel) `forget_label_recall`, `test_forget_label_recall`, `test_forget_label_f1` and
 * `test_retain_labels_micro_f1`; `mia` (retain and test), `mia_loss` (test: unseen = the test examples
 * of the forgotten class or label where there is one, else all of them); and, given the retrained
 * model's forget-set outputs with their probabilities (keepProbs), `js_to_retrain` and `l1_to_retrain`.
 * What a set lacks is left out; what cannot be computed from what is there is in `notComputable`.
 * Given the head's class count (`classes`), `distributions` holds every set's loss and entropy histograms.
 */
export function computeMetrics(
  s: SetsOutputs,
  opts: { seed?: number; retrainForget?: SetOutputs; classes?: number } = {},
): Metrics {
  const m: Metrics = { values: {}, notComputable: {}, definitions: {} };
  const put = (name: string, r: MetricResult) => {
    m.definitions[name] = r.metric;
    if (r.ok) m.values[name] = r.value;
    else m.notComputable[name] = r.reason;
  };
  for (const [name, o] of Object.entries(s) as [string, SetOutputs | undefined][]) {
    if (!o) continue;
    if (o.multiLabel) {
      // a multi-label head: entry accuracy, exact match and micro-F1 at 0.5, mean binary cross-entropy
      for (const [k, r] of Object.entries(multiLabelMetrics(o.multiLabel, name))) put(`${name}_${k}`, r);
      put(
        `${name}_loss`,
        o.count
          ? { ok: true, value: mean(o.losses), metric: MULTI_LABEL_LOSS }
          : { ok: false, reason: `the ${name} set is empty`, metric: MULTI_LABEL_LOSS },
      );
      continue;
    }
    put(
      `${name}_acc`,
      o.count
        ? { ok: true, value: accuracyOf(o), metric: ACC }
        : { ok: false, reason: `the ${name} set is empty`, metric: ACC },
    );
    put(
      `${name}_loss`,
      o.count
        ? { ok: true, value: mean(o.losses), metric: LOSS }
        : { ok: false, reason: `the ${name} set is empty`, metric: LOSS },
    );
  }
  const ml = s.forget.multiLabel;
  const cls = forgottenClass(s.forget, s.retain);
  const label = ml && s.retain?.multiLabel ? forgottenLabel(ml, s.retain.multiLabel) : undefined;
  let unseen = s.test?.losses;
  let unseenIs = 'test';
  if (cls !== undefined && s.test) {
    const inClass = (i: number) => s.test!.labels[i] === cls;
    put('test_forget_class_acc', classAccuracy(s.test, inClass, `test examples of class ${cls}`));
    put(
      'test_retain_classes_acc',
      classAccuracy(s.test, (i) => !inClass(i), `test examples of other classes`),
    );
    unseen = s.test.losses.filter((_, i) => inClass(i));
  }
  if (label !== undefined) {
    // the multi-label counterpart: the forgotten label's recall and F1, the other labels' micro-F1
    put('forget_label_recall', labelRecall(ml!, label, 'forget'));
    const t = s.test?.multiLabel;
    if (t) {
      put('test_forget_label_recall', labelRecall(t, label, 'test'));
      put('test_forget_label_f1', labelF1(t, label, 'test'));
      put('test_retain_labels_micro_f1', microF1Without(t, label, 'test'));
      unseen = s.test!.losses.filter((_, i) => t.targets[i * t.width + label] === 1);
      unseenIs = `test examples carrying label ${label}`;
    }
  }
  if (s.retain && s.test) {
    const r = miaEntropyFromFeatures(s.retain.entropies, s.forget.entropies, s.test.entropies);
    put('mia', ml ? withParams(r, { feature: 'mean binary entropy over labels' }) : r);
  } else if (s.retain || s.test) {
    // one of the two sets the attack is fit on: say what is missing rather than leave mia out silently
    const missing = s.retain ? 'test' : 'retain';
    const r: MetricResult = {
      ok: false,
      reason: `the entropy attack is fit on the retain set against the test set; give --${missing} too`,
      metric: MIA,
    };
    put('mia', ml ? withParams(r, { feature: 'mean binary entropy over labels' }) : r);
  }
  if (unseen) {
    const r = miaLoss(s.forget.losses, unseen, opts.seed ?? 0);
    put('mia_loss', ml ? withParams(r, { feature: 'mean binary cross-entropy over labels', negative: unseenIs }) : r);
  }
  const q = opts.retrainForget;
  if (q?.probs && s.forget.probs) {
    if (ml) {
      put('js_to_retrain', bernoulliJsDivergence(s.forget.probs, q.probs, ml.width));
      put('l1_to_retrain', sigmoidL1Distance(s.forget.probs, q.probs, ml.width));
    } else {
      const k = s.forget.probs.length / Math.max(1, s.forget.count);
      const rows = (p: Float64Array) => ({ data: p, dims: [s.forget.count, k] });
      put('js_to_retrain', jsDivergence(rows(s.forget.probs), rows(q.probs)));
      put('l1_to_retrain', l1Distance(rows(s.forget.probs), rows(q.probs)));
    }
  }
  if (opts.classes !== undefined) {
    m.distributions = {};
    for (const [name, o] of Object.entries(s) as [string, SetOutputs | undefined][])
      if (o) m.distributions[name] = setDistributions(o, opts.classes);
  }
  return m;
}

/** Retrained minus evaluated, for every metric both have. */
export function gaps(model: Metrics, retrain: Metrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(model.values))
    if (k in retrain.values && !k.endsWith('_to_retrain')) out[k] = v - retrain.values[k];
  return out;
}

/** `r` with its descriptor's parameters amended (a multi-label head's attack features). */
function withParams(r: MetricResult, params: Record<string, string>): MetricResult {
  return { ...r, metric: { ...r.metric, params: { ...r.metric.params, ...params } } };
}

function accuracyOf(o: SetOutputs): number {
  let c = 0;
  for (let i = 0; i < o.count; i++) if (o.predictions[i] === o.labels[i]) c++;
  return c / o.count;
}

function classAccuracy(o: SetOutputs, take: (i: number) => boolean, what: string): MetricResult {
  let n = 0;
  let c = 0;
  for (let i = 0; i < o.count; i++)
    if (take(i)) {
      n++;
      if (o.predictions[i] === o.labels[i]) c++;
    }
  return n ? { ok: true, value: c / n, metric: ACC } : { ok: false, reason: `no ${what}`, metric: ACC };
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}
