// The histograms a record's metrics blocks may carry (`metrics.before|after|retrain.distributions`):
// per evaluated set (forget, retain, test, val) and per feature (the per-example loss, the softmax
// entropy), fixed bin edges and counts, never raw examples. Records written before scrub kept them
// have none; the report then draws no histograms and says why.
import type { Histogram } from '../eval/histogram.js';
import type { UnlearningRecord } from '../record/record.js';

export type { Histogram };

/** The features a set's distributions may hold, in the order the report draws them. */
export const FEATURES = ['loss', 'entropy'] as const;
export type Feature = (typeof FEATURES)[number];

/** The sets, in the order the report draws them. */
export const SETS = ['forget', 'retain', 'test', 'val'] as const;
export type SetName = (typeof SETS)[number];

export type SetDistributions = Partial<Record<Feature, Histogram>>;
export type Distributions = Partial<Record<SetName, SetDistributions>>;

/** The models a record's metrics describe, in the order the report shows them. */
export const MODELS = ['before', 'after', 'retrain'] as const;
export type ModelKey = (typeof MODELS)[number];

/** The distributions of one model's metrics block, or undefined when the record has none for it. */
export function distributionsOf(record: UnlearningRecord, model: ModelKey): Distributions | undefined {
  const block = record.metrics[model] as { distributions?: Distributions } | undefined;
  const d = block?.distributions;
  return d && Object.keys(d).length > 0 ? d : undefined;
}

/** Whether any metrics block of the record holds a histogram. */
export function hasDistributions(record: UnlearningRecord): boolean {
  return MODELS.some((m) => distributionsOf(record, m) !== undefined);
}

/** The examples a histogram counts: its bins and its non-finite values. */
export function histogramTotal(h: Histogram): number {
  return h.counts.reduce((a, c) => a + c, 0) + h.nonFinite;
}
