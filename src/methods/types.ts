// What an unlearning method is to the rest of scrub: one row of the method table (table.ts). A
// method names itself, declares its options (type, default, help) and the sets it needs, and runs on
// a RunContext, returning the new weights; the API stages them, lets the method finish its report
// against the staged model, judges the gates and commits. The CLI's flags and help, the request
// schema's options and the report schema's method section are all read from these declarations.
import type { HeadKind } from '../graph/head.js';
import type { StagedModel } from '../graph/write.js';
import type { RunContext } from '../context/index.js';

/** How an option's value is read from the command line and checked (the request schema's type). */
export type OptionKind = 'positive' | 'positive-or-auto' | 'string' | 'choice' | 'file' | 'data';

export interface MethodOption {
  /** The key in the API's options and in a request, camelCase. */
  key: string;
  /** The command-line flag, without the dashes. */
  flag: string;
  kind: OptionKind;
  /** Placeholder in usage lines: FILE, DATA, A. */
  arg: string;
  /** For kind 'choice'. */
  choices?: readonly string[];
  /** The value used when the option is not given (documented in help and schema). */
  default?: string | number;
  /** One sentence for --help and the request schema's description. */
  help: string;
}

/** The sets a method reads besides the forget set: 'required' ones must be given. */
export interface MethodSets {
  retain?: 'required';
  val?: 'required';
}

/** What every method gets: the sets' specs, the seed, and its own options under their keys. */
export interface MethodInputs {
  forget: string;
  retain?: string;
  val?: string;
  /** Seed of every random draw (default 0). */
  seed: number;
  [option: string]: unknown;
}

/** The part of every method's report the API and the record rely on. */
export interface MethodReport {
  method: string;
  model: { path: string; sha256: string };
  forget: { source: string; count: number; labelled: boolean };
  parameters: readonly { name: string; torchName?: string }[];
  seconds: number;
}

/** The record's method section (record/record.ts UnlearningRecord.method). */
export interface RecordMethod {
  name: string;
  hyperparameters: Record<string, number | string | boolean>;
  batchSize?: number;
  seed?: number;
  details?: Record<string, unknown>;
}

/** A method's result: the new weights, and how to complete its report once they are staged. */
export interface MethodRun<R extends MethodReport> {
  /** New values of (some of) the model's float initializers, by name. */
  weights: ReadonlyMap<string, Float32Array>;
  /** The method's report, given the staged model (e.g. to evaluate the edited file). */
  finish(staged: StagedModel): Promise<R> | R;
}

/** JSON Schema (draft-07) of the method-specific fields of its report. */
export interface ReportSection {
  properties: Record<string, unknown>;
  required: readonly string[];
}

/** The heads whose classes exclude each other: every method handles these. */
export const SINGLE_LABEL_HEADS: readonly HeadKind[] = ['logits', 'softmax', 'log-softmax', 'binary'];

export interface UnlearningMethod<R extends MethodReport = MethodReport> {
  /** --method NAME. */
  name: string;
  /** For people: 'SSD', '∇τ'. */
  title: string;
  /** One or two sentences for --help: what it does and when to use it. */
  summary: string;
  /** A few words where methods are listed by name, e.g. 'label-free SSD, for a forget set without labels'. */
  brief?: string;
  /** A baseline the literature compares with, rather than an unlearning method to use. */
  baseline?: boolean;
  options: readonly MethodOption[];
  sets: MethodSets;
  /**
   * Its passes take their minibatch size from --batch-size (SSD's importance passes); a method whose
   * schedule fixes its batches (∇τ's, finetune's 256) has it refused rather than ignored.
   */
  batchSize?: boolean;
  /**
   * The heads it handles (graph/head.ts); default SINGLE_LABEL_HEADS. Another head is refused before any
   * pass, naming the methods that take it.
   */
  heads?: readonly HeadKind[];
  /** Runs the method; throws BadInputError for unusable sets or options (before any long pass). */
  run(ctx: RunContext, o: MethodInputs): Promise<MethodRun<R>>;
  /** The record's method section: every setting, and what the run did. */
  record(report: R): RecordMethod;
  /** Lines of the command's text summary (the first names the method and the model). */
  summaryLines(report: R): string[];
  /** The report schema's method-specific fields (besides method, model, forget, parameters, seconds). */
  reportSchema: ReportSection;
}
