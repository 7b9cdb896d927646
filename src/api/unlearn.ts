// The main job: edit a model so that it forgets a set, judge the edited model against the gates
// while it is still staged, and commit it only when they pass. A rejected model is never written;
// its record is, as OUT.rejected.record.json, for the audit trail. The method is a row of the method
// table: open the run context, run the method, stage its weights, judge the gates, commit.
import { refuseFolderAsOutput, refuseInputAsOutput } from '../core/atomic.js';
import { externalDataPaths, externalDataPathsOf } from '../graph/load.js';
import { outputDataFiles } from '../graph/write.js';
import { BadInputError } from '../core/errors.js';
import { describeLoaded } from '../eval/run.js';
import { headChoice, RunContext, type CommonOptions } from '../context/index.js';
import {
  METHOD_NAMES,
  METHODS,
  VARIANTS,
  fisherBeside,
  methodNamed,
  methodOptions,
  methodsTaking,
  requireHead,
  type MethodReport,
} from '../methods/table.js';
import { checkRunGates, parseGate } from '../record/gates.js';
import { recordPathFor, stageRecord, writeRecord } from '../record/record.js';
import { judgeUnlearning, type RecordSubject } from '../record/unlearning.js';
import { REPORT_SCHEMA, type UnlearnReport } from './report.js';
import { besideModel } from '../core/paths.js';

/** The methods `unlearn` runs: the method table's names ('ssd', 'lf-ssd', 'gradtau', 'finetune'). */
export type UnlearnMethod = string;
export const UNLEARN_METHODS: readonly string[] = METHOD_NAMES;

export interface UnlearnOptions extends CommonOptions {
  model: string;
  /** The forget set: a data spec, as the command line takes it. */
  forget: string;
  /** How the report and the record name the forget set (default: the spec). */
  forgetName?: string;
  /** A row of the method table; default ssd. */
  method?: UnlearnMethod;
  /** The edited model (default MODEL.unlearned.onnx); its record goes beside it. */
  out?: string;
  /** The retain set: trained on by ∇τ and finetune, evaluated for the record under every method. */
  retain?: string;
  /** A held-out set (∇τ's L_val). */
  val?: string;
  /** Seed of every random draw: the methods' batch order and the attacks' splits (default 0). */
  seed?: number;
  // the record's evaluation
  test?: string;
  retrain?: string;
  /** Acceptance gates, as `--require`: 'forget_acc<=0.05', 'test_acc>=0.9'. */
  require?: readonly string[];
  // SSD and LF-SSD (methods/ssd)
  fisher?: string;
  train?: string;
  alpha?: number | 'auto';
  lambda?: number | 'auto';
  // ∇τ (methods/gradtau)
  schedule?: string;
  /** Any other method's options, by the keys its row declares. */
  [option: string]: unknown;
}

/** The rejected run's record: beside where the model would have gone, never over an accepted model's record. */
export function rejectedRecordPathFor(modelPath: string): string {
  return besideModel(modelPath, '.rejected.record.json');
}

/**
 * Runs a method of the table on a model and a forget set, evaluates the edited model (staged) for the
 * record, judges the gates and writes the model and its record only when they pass. Rejects with a
 * BadInputError for bad options or data (before any long pass where it can tell), UnsupportedModelError
 * for a model scrub cannot differentiate, DivergedError when training blows up, and the signal's reason
 * when aborted; nothing is left half-written in any case.
 */
export async function unlearn(o: UnlearnOptions): Promise<UnlearnReport> {
  const method = methodNamed(o.method);
  const gates = (o.require ?? []).map(parseGate);
  // (the gates' metrics are checked once the head says which exist, below, before any pass)
  // an option of another method would be ignored: refuse it (the table says whose it is)
  for (const opt of methodOptions())
    if (o[opt.key] !== undefined && !method.options.some((x) => x.key === opt.key))
      throw new BadInputError(
        `--${opt.flag} is an option of ${methodsTaking(opt.key).join(' and ')}, not of --method ${method.name}; ` +
          'remove it, or choose that method.',
      );
  // the common options only some methods read: refused elsewhere too, rather than ignored
  const readers = (has: (m: (typeof METHODS)[number]) => boolean) =>
    METHODS.filter(has)
      .map((m) => m.name)
      .join(' and ');
  if (o.val !== undefined && !method.sets.val)
    throw new BadInputError(
      `--val is the held-out set of ${readers((m) => !!m.sets.val)}; --method ${method.name} does not read it: ` +
        'remove it, or choose that method.',
    );
  if (o.batchSize !== undefined && !method.batchSize)
    throw new BadInputError(
      `--batch-size sets the importance passes of ${readers((m) => !!m.batchSize)}; --method ${method.name} ` +
        'fixes its own batches: remove it, or choose that method.',
    );
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new BadInputError(`seed ${seed}: expected a non-negative integer.`);
  o.signal?.throwIfAborted();

  const ctx = RunContext.open(o);
  try {
    // where the model and its record go, refused now rather than once the run is done: a folder in the
    // way, or anything the run reads (a Fisher file found beside the model included)
    const beside = Object.values(VARIANTS).map((v) => fisherBeside(o.model, v));
    const read = [o.model, o.fisher, ...beside, o.train, o.forget, o.retain, o.val, o.test, o.retrain, o.labels];
    // a model's external data files are its input as much as the model file is
    read.push(...externalDataPaths(ctx.model), ...externalDataPathsOf(o.retrain));
    for (const [path, what] of [
      [ctx.out, 'the edited model'],
      ...outputDataFiles(ctx.model, ctx.out).map((p) => [p, 'its external data'] as const),
      [recordPathFor(ctx.out), 'its record'],
      [rejectedRecordPathFor(ctx.out), 'the record of a rejected run'],
    ] as const) {
      refuseFolderAsOutput(path, what);
      refuseInputAsOutput(path, [...read, o.tokenizer], '-o');
    }
    // what evaluation (and so the record and the gates) cannot take is refused before any pass
    const { head } = await describeLoaded(ctx.model, headChoice(o), o.model);
    requireHead(method, head, o.model);
    // the gates' metrics, now that the head says which exist
    checkRunGates(gates, o, head.kind);
    const run = await method.run(ctx, { ...o, seed });
    ctx.throwIfAborted();
    const staged = ctx.stage(run.weights);
    const report: MethodReport = await run.finish(staged);
    const forgetName = o.forgetName;
    const subject: RecordSubject = {
      model: report.model,
      output: { path: staged.final.model, dataFiles: staged.final.dataFiles, staged },
      forget: { source: report.forget.source, labelled: report.forget.labelled, name: forgetName },
      parameters: report.parameters,
      method: method.record(report),
      seconds: report.seconds,
    };
    const { record, acceptance } = await judgeUnlearning(subject, {
      ...o,
      seed,
      gates,
      // the sets a method's pass kept in memory are read from there (the forget set, by SSD), and the
      // edited model's logits its check computed on them are not computed again
      openSet: (spec, what, opts) => ctx.openAs(spec, what, opts),
      logitsOf: (path, head, batch) => ctx.logitsOf(path, head, batch),
      // the input model as loaded and probed at the start
      inputModel: ctx.model,
      parallel: await ctx.parallel(),
      forms: ctx.forwardForms,
    });
    ctx.throwIfAborted();
    const accepted = acceptance.verdict !== 'rejected';
    let recordPath: string;
    if (accepted) {
      recordPath = recordPathFor(staged.final.model);
      // the record staged first: one that cannot be written leaves no model without it
      const staging = stageRecord(recordPath, record);
      try {
        ctx.commit();
      } catch (e) {
        staging.abort();
        throw e;
      }
      staging.commit();
    } else {
      ctx.abort();
      recordPath = rejectedRecordPathFor(staged.final.model);
      writeRecord(recordPath, { ...record, output: undefined });
    }
    return {
      schema: REPORT_SCHEMA,
      kind: 'unlearn',
      ...report,
      ...(forgetName ? { forget: { ...report.forget, source: forgetName } } : {}),
      output: { path: staged.final.model, dataFiles: staged.final.dataFiles, written: accepted },
      record: recordPath,
      settings: record.settings!,
      metrics: record.metrics,
      acceptance,
    } as UnlearnReport;
  } finally {
    // after commit() the stage is gone; on any failure (an abort included) nothing is left of it
    await ctx.release();
  }
}
