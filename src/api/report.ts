// The reports the library returns and `--json` prints: one versioned schema, published as
// schema/report.schema.json (every report names it in `schema` and says what it is in `kind`).
import type { ErrorKind } from '../core/errors.js';
import type { ParallelChoice } from '../runtime/parallel.js';
import type { EvalReport } from '../eval/run.js';
import type { Acceptance } from '../record/gates.js';
import type { RunSettings, UnlearningRecord } from '../record/record.js';
import type { Verification } from '../record/verify.js';
import type {
  FinetuneReport,
  FisherHeader,
  FisherShard,
  GradTauReport,
  LfSsdReport,
  SsdReport,
} from '../methods/table.js';
import type { InspectReport as ModelDescription } from '../context/inspect.js';

export const REPORT_SCHEMA = 'scrub.report/1';

interface Tagged<K extends string> {
  schema: typeof REPORT_SCHEMA;
  kind: K;
}

/** Where the edited model went; `written` is false when a gate failed (then nothing is at `path`). */
export interface OutputReport {
  path: string;
  dataFiles: string[];
  written: boolean;
}

interface Judgement {
  output: OutputReport;
  /** The record: OUT.record.json, or OUT.rejected.record.json when a gate failed. */
  record: string;
  /** How the run read its data and ran its passes (the record's settings: device, threads, workers, …). */
  settings: RunSettings;
  metrics: UnlearningRecord['metrics'];
  acceptance: Acceptance;
}

type Unlearned<R> = Tagged<'unlearn'> & R & Judgement;

/** The report of an unlearning run: the method's own section (its row in methods/table.ts) and the verdict. */
export type UnlearnReport =
  Unlearned<SsdReport> | Unlearned<LfSsdReport> | Unlearned<GradTauReport> | Unlearned<FinetuneReport>;

/**
 * The Fisher file's header, its own `kind` renamed `fisherKind`; a part file's adds `shard` (and has
 * no data digest, which only the merge computes); a merge lists its `parts`.
 */
export type FisherReport = Tagged<'fisher'> &
  Omit<FisherHeader, 'kind' | 'data'> & {
    fisher: string;
    fisherKind: FisherHeader['kind'];
    data: Omit<FisherHeader['data'], 'digest'> & { digest?: string };
    shard?: FisherShard;
    parts?: string[];
    /** The pass's form where neither --threads nor --workers was given and it was measured (runtime/parallel.ts). */
    parallel?: ParallelChoice;
  };

export type EvaluateReport = Tagged<'eval'> & EvalReport & { record: string; acceptance: Acceptance };

export type VerifyReport = Tagged<'verify'> & Verification & { model: string; record: string };

export type InspectReport = Tagged<'inspect'> & ModelDescription;

/**
 * What `--json` prints on stdout when a command fails, beside its line on stderr (the library rejects
 * with a ScrubError instead): the error's kind, the process's exit code and the line without 'scrub: '.
 */
export type ErrorReport = Tagged<'error'> & { error: { kind: ErrorKind; exitCode: number; message: string } };

export interface RequestReport extends Tagged<'request'> {
  request: string;
  verdict: Acceptance['verdict'];
  /** The one line the CLI prints: what was decided and where the files are. */
  line: string;
  report: UnlearnReport;
}

export type Report = UnlearnReport | FisherReport | EvaluateReport | VerifyReport | InspectReport | RequestReport;
