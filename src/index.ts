// scrub as a library: the engine the command line runs. Every function takes the command's
// options as one object and resolves to the report that `--json` prints (schema/report.schema.json).
// Nothing here prints or exits: progress comes through onProgress, notes through onNote, errors as
// ScrubError kinds (BadInputError, UnsupportedModelError, DivergedError, …: `kind` and the CLI's
// `exitCode`), and cancellation through `signal` (the run rejects with the signal's reason and
// leaves no output behind). The methods `unlearn` runs are the rows of METHODS.
export { unlearn, UNLEARN_METHODS, type UnlearnMethod, type UnlearnOptions } from './api/unlearn.js';
export { fisher, mergeFisher, type FisherOptions, type MergeFisherOptions } from './api/fisher.js';
export { evaluate, type EvaluateOptions } from './api/evaluate.js';
export { verify, type VerifyOptions } from './api/verify.js';
export { writeReport, renderReport, readCheckedRecord, reportPathFor, type WrittenReport } from './report/index.js';
export { inspect, type InspectOptions } from './api/inspect.js';
export { request, readRequest, type ErasureRequest, type RequestOptions } from './api/request.js';
export { reportSchemaPath, requestSchemaPath, validateReport } from './api/schema.js';
export { REPORT_SCHEMA } from './api/report.js';
export type {
  EvaluateReport,
  FisherReport,
  InspectReport,
  OutputReport,
  Report,
  RequestReport,
  UnlearnReport,
  VerifyReport,
} from './api/report.js';
export type { Stage } from './context/index.js';
export type { DataNote } from './data/dataset.js';
export type { Acceptance, GateResult } from './record/gates.js';
export type { UnlearningRecord } from './record/record.js';
export type { Histogram, SetDistributions } from './eval/histogram.js';
export {
  BadInputError,
  CancelledError,
  DivergedError,
  EXIT_CODES,
  GateFailedError,
  ScrubError,
  UnsupportedModelError,
  isCancellation,
  type ErrorKind,
} from './core/errors.js';
export { METHODS, type MethodOption, type UnlearningMethod } from './methods/table.js';
