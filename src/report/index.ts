// scrub report: a record drawn as one self-contained HTML page (html.ts), for people who review an
// erasure: the verdict, the metrics, the distributions, the attacks, the change, the settings, the hashes.
// The record is checked first (check.ts); a record that fails is refused and nothing is written.
import { dirname, resolve } from 'node:path';
import { refuseFolderAsOutput, refuseInputAsOutput, writeFileAtomic } from '../core/atomic.js';
import { BadInputError } from '../core/errors.js';
import type { UnlearningRecord } from '../record/record.js';
import { prepareOutputFolder } from '../context/run-context.js';
import { readCheckedRecord } from './check.js';
import { reportHtml } from './html.js';

export { readCheckedRecord, schemaProblems, consistencyProblems, RECORD_JSON_SCHEMA } from './check.js';
export type { Histogram, Distributions } from './distributions.js';

/** The report beside a record: X.record.json → X.report.html (any other name: NAME.report.html). */
export function reportPathFor(recordPath: string): string {
  return /\.record\.json$/.test(recordPath)
    ? recordPath.replace(/\.record\.json$/, '.report.html')
    : `${recordPath.replace(/\.json$/, '')}.report.html`;
}

/** The report page of a record already read and checked (readCheckedRecord); `source` names it in the page. */
export function renderReport(record: UnlearningRecord, source: string): Promise<string> {
  return reportHtml(record, source);
}

export interface WrittenReport {
  /** Where the page was written. */
  path: string;
  /** The record it draws. */
  record: string;
  /** Seconds spent reading, checking, drawing and writing. */
  seconds: number;
}

/**
 * Reads and checks the record at `recordPath`, draws it and writes the page to `out` (default
 * reportPathFor(recordPath)) through a temporary file and a rename. Throws BadInputError (exit 2),
 * writing nothing, for a record that is missing, damaged, altered or does not validate, and for an
 * `out` that cannot be written; rejects with `signal`'s reason, writing nothing, where it is aborted
 * before the write.
 */
export async function writeReport(
  recordPath: string,
  out = reportPathFor(recordPath),
  signal?: AbortSignal,
): Promise<WrittenReport> {
  const t0 = performance.now();
  const record = readCheckedRecord(recordPath);
  // never over the record, nor over a file it names (the models, their data files)
  const named = [record.input, record.output]
    .flatMap((side) => (side ? [side.model, ...side.dataFiles] : []))
    .flatMap((f) => [f.path, resolve(dirname(recordPath), f.path)]);
  refuseFolderAsOutput(out, 'the report');
  refuseInputAsOutput(out, [recordPath, ...named], '-o');
  const html = await renderReport(record, recordPath);
  // cancelled while it drew: nothing written
  signal?.throwIfAborted();
  // -o's folder is created when missing, as every command's output folder is (and removed if left empty)
  const folder = prepareOutputFolder(dirname(resolve(out)), '-o');
  try {
    writeFileAtomic(out, html);
  } catch (e) {
    folder.removeIfEmpty();
    throw new BadInputError(`${out}: could not write the report: ${(e as Error).message}`);
  }
  return { path: out, record: recordPath, seconds: (performance.now() - t0) / 1000 };
}
