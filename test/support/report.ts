// Records for the report's tests: a real record with histograms added to its metrics blocks, in the
// shape scrub writes (metrics.MODEL.distributions.SET.{loss,entropy} = { edges, counts, nonFinite }),
// and the histograms taken away again (a record written before scrub kept them).
import { existsSync } from 'node:fs';
import { it, TestRunner } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { recordDigest, type UnlearningRecord } from '../../src/record/record.js';
import { REQUIRE_DATASETS } from './datasets.js';

/** Debian's chromium (apt-get install chromium); SCRUB_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.SCRUB_CHROMIUM || '/usr/bin/chromium';

/**
 * Whether the browser suites of this file must be skipped: chromium is missing and
 * SCRUB_REQUIRE_DATASETS is not 1 (then the run ends with a line saying how to install it). Under
 * SCRUB_REQUIRE_DATASETS=1 (.ci/run) a missing chromium adds a failing test instead.
 */
export function withoutChromium(): boolean {
  if (existsSync(CHROMIUM)) return false;
  const note = `skipped: chromium not found at ${CHROMIUM} (Debian package chromium): apt-get install chromium`;
  if (process.env[REQUIRE_DATASETS] === '1')
    it('has chromium', () => {
      throw new Error(`${note.replace(/^skipped: /, '')}; ${REQUIRE_DATASETS}=1 makes that a failure`);
    });
  else {
    const meta = TestRunner.getCurrentSuite().file.meta;
    meta.missingDataset = meta.missingDataset ? `${meta.missingDataset}\n${note}` : note;
  }
  return true;
}

/** The loss edges: 0, then 1e-4 … 100 log-spaced, 8 bins a decade. */
export const LOSS_EDGES = [0, ...Array.from({ length: 49 }, (_, k) => Number((10 ** (-4 + k / 8)).toPrecision(12)))];
/** The entropy edges of a 10-class softmax: 30 bins over [0, ln 10]. */
export const ENTROPY_EDGES = Array.from({ length: 31 }, (_, k) => (k / 30) * Math.log(10));

/** Counts of `values` in bins [edges[i], edges[i+1]); below the first edge: the first bin, above the last: the last. */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    let i = edges.findIndex((e) => e > v) - 1;
    if (i < 0) i = v < edges[0] ? 0 : counts.length - 1;
    counts[Math.min(i, counts.length - 1)]++;
  }
  return counts;
}

/** A seeded uniform draw in [0, 1): scrub's own generator. */
function uniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.nextFloat();
}

/**
 * The record with loss and entropy histograms in every metrics block, for every set the block has
 * `SET_loss` for: `n` examples (the forget set's count for forget) drawn log-normal around the
 * block's mean loss, entropies on [0, ln 10] growing with the loss, one non-finite loss in the test
 * set of the edited model.
 */
export function withDistributions(record: UnlearningRecord, n = 1000): UnlearningRecord {
  const r = structuredClone(record);
  let seed = 1;
  for (const block of [r.metrics.before, r.metrics.after, r.metrics.retrain]) {
    if (!block) continue;
    const distributions: Record<string, unknown> = {};
    for (const set of ['forget', 'retain', 'test', 'val']) {
      const mean = block.values[`${set}_loss`];
      if (mean === undefined) continue;
      const count = set === 'forget' ? (r.forgetSet?.count ?? n) : n;
      const u = uniform(seed++);
      const losses = Array.from({ length: count }, () => {
        const z = Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
        return Math.exp(Math.log(mean) - 1 + 1.6 * z);
      });
      const entropies = losses.map((l) => Math.log(10) * (1 - Math.exp(-l)) * (0.7 + 0.3 * u()));
      const nonFinite = block === r.metrics.after && set === 'test' ? 1 : 0;
      distributions[set] = {
        loss: { edges: LOSS_EDGES, counts: binCounts(losses.slice(nonFinite), LOSS_EDGES), nonFinite },
        entropy: { edges: ENTROPY_EDGES, counts: binCounts(entropies, ENTROPY_EDGES), nonFinite: 0 },
      };
    }
    (block as { distributions?: unknown }).distributions = distributions;
  }
  return r;
}

/** The record as scrub wrote it before it kept histograms: no `distributions` in any metrics block, no digest. */
export function withoutDistributions(record: UnlearningRecord): UnlearningRecord {
  const r = structuredClone(record);
  for (const block of [r.metrics.before, r.metrics.after, r.metrics.retrain])
    if (block) delete (block as { distributions?: unknown }).distributions;
  delete r.digest;
  return r;
}

/**
 * A record derived from a real one, as scrub would have written it: its digest computed again (a
 * record without one stays without), so that what a test checks is the content, not the digest.
 */
export function resigned(record: UnlearningRecord): UnlearningRecord {
  return record.digest === undefined ? record : { ...record, digest: recordDigest(record) };
}
