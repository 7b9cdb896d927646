// The main job: edit a model so that it forgets a set, judge the edited model against the gates
// while it is still staged, and commit it only when they pass. A rejected model is never written;
// its record is, as OUT.rejected.record.json, for the audit trail.
import { BadInputError } from '../core/errors.js';
import { runGradTauUnlearning } from '../gradtau/unlearn.js';
import type { StagedModel } from '../graph/write.js';
import { availableMetrics, checkGateMetrics, parseGate } from '../record/gates.js';
import { recordPathFor, writeRecord } from '../record/record.js';
import { dampeningSubject, gradtauSubject, judgeUnlearning, type RecordSubject } from '../record/unlearning.js';
import { runLfSsd, runSsd, type CommonOptions } from '../ssd/run.js';
import { REPORT_SCHEMA, type UnlearnReport } from './report.js';

export type UnlearnMethod = 'ssd' | 'lf-ssd' | 'gradtau';
export const UNLEARN_METHODS: readonly UnlearnMethod[] = ['ssd', 'lf-ssd', 'gradtau'];

export interface UnlearnOptions extends Omit<CommonOptions, 'keepStaged'> {
  model: string;
  /** The forget set: a data spec, as the command line takes it. */
  forget: string;
  /** How the report and the record name the forget set (default: the spec). */
  forgetName?: string;
  /** Default ssd. */
  method?: UnlearnMethod;
  /** The edited model (default MODEL.unlearned.onnx); its record goes beside it. */
  out?: string;
  // SSD and LF-SSD
  fisher?: string;
  train?: string;
  alpha?: number;
  lambda?: number;
  // ∇τ (retain is also evaluated for the record under every method)
  retain?: string;
  val?: string;
  schedule?: string;
  seed?: number;
  // the record's evaluation
  test?: string;
  retrain?: string;
  /** Acceptance gates, as `--require`: 'forget_acc<=0.05', 'test_acc>=0.9'. */
  require?: readonly string[];
}

/** The rejected run's record: beside where the model would have gone, never over an accepted model's record. */
export function rejectedRecordPathFor(modelPath: string): string {
  return modelPath.replace(/(\.onnx)?$/, '.rejected.record.json');
}

export async function unlearn(o: UnlearnOptions): Promise<UnlearnReport> {
  const method = o.method ?? 'ssd';
  if (!UNLEARN_METHODS.includes(method))
    throw new BadInputError(
      `method ${method}: this scrub implements ssd, lf-ssd (label-free SSD, for a forget set without labels) and gradtau.`,
    );
  const gates = (o.require ?? []).map(parseGate);
  const hint = method === 'gradtau' ? 'add --test/--retrain for more' : 'add --retain/--test/--retrain for more';
  checkGateMetrics(gates, availableMetrics({ retain: !!o.retain, test: !!o.test, retrain: !!o.retrain }), hint);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new BadInputError(`seed ${seed}: expected a non-negative integer.`);
  o.signal?.throwIfAborted();

  const run = { ...o, keepStaged: true };
  let subject: RecordSubject;
  let report: Omit<UnlearnReport, 'schema' | 'kind' | 'output' | 'record' | 'metrics' | 'acceptance'>;
  if (method === 'gradtau') {
    const r = await runGradTauUnlearning(run);
    [subject, report] = [gradtauSubject(r), r];
  } else {
    const r = await (method === 'lf-ssd' ? runLfSsd : runSsd)(run);
    [subject, report] = [dampeningSubject(r), r];
  }
  const staged = subject.output.staged as StagedModel;
  try {
    if (o.forgetName) subject = { ...subject, forget: { ...subject.forget, name: o.forgetName } };
    const { record, acceptance } = await judgeUnlearning(subject, { ...o, seed, gates });
    o.signal?.throwIfAborted();
    const accepted = acceptance.verdict !== 'rejected';
    let recordPath: string;
    if (accepted) {
      staged.commit();
      recordPath = recordPathFor(staged.final.model);
      writeRecord(recordPath, record);
    } else {
      staged.abort();
      recordPath = rejectedRecordPathFor(staged.final.model);
      writeRecord(recordPath, { ...record, output: undefined });
    }
    const { staged: _, ...where } = subject.output;
    return {
      schema: REPORT_SCHEMA,
      kind: 'unlearn',
      ...report,
      ...(o.forgetName ? { forget: { ...report.forget, source: o.forgetName } } : {}),
      output: { ...where, written: accepted },
      record: recordPath,
      metrics: record.metrics,
      acceptance,
    } as UnlearnReport;
  } finally {
    // after commit() the stage is gone; on any failure (an abort included) nothing is left of it
    staged.abort();
  }
}
