import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { refuseFolderAsOutput, refuseInputAsOutput } from '../core/atomic.js';
import { prepareOutputFolder } from '../context/run-context.js';
import { evaluate as evaluateModel, type EvalOptions } from '../eval/run.js';
import { checkRunGates, judge, parseGate } from '../record/gates.js';
import { ManifestBuilder } from '../record/manifest.js';
import {
  externalDataHashes,
  fileHash,
  GUARANTEE,
  peakRss,
  RECORD_SCHEMA,
  recordHeader,
  runSettings,
  writeRecord,
  type RunSettings,
  type UnlearningRecord,
} from '../record/record.js';
import { REPORT_SCHEMA, type EvaluateReport } from './report.js';
import type { Head } from '../graph/head.js';
import type { Model } from '../graph/ir.js';
import { externalDataPaths, externalDataPathsOf } from '../graph/load.js';
import type { SkippedExample } from '../data/dataset.js';
import { besideModel } from '../core/paths.js';

export interface EvaluateOptions extends EvalOptions {
  /** Acceptance gates, as `--require`: 'forget_acc<=0.05', 'test_acc>=0.9'. */
  require?: readonly string[];
  /** The record to write (default MODEL.eval.record.json). */
  out?: string;
}

/** Accuracy, loss and membership-inference metrics of a model, judged against the gates, with a record. */
export async function evaluate(o: EvaluateOptions): Promise<EvaluateReport> {
  const gates = (o.require ?? []).map(parseGate);
  const recordPath = o.out ?? besideModel(o.model, '.eval.record.json');
  const inputs = [
    o.model,
    o.retrain,
    ...externalDataPathsOf(o.retrain),
    o.forget,
    o.retain,
    o.test,
    o.labels,
    o.tokenizer,
  ];
  refuseFolderAsOutput(recordPath, 'the record');
  refuseRunRecord(recordPath);
  refuseInputAsOutput(recordPath, inputs, '-o');
  // before any pass: the record's folder is created (or refused) now; a failed run leaves no empty folder of ours
  const folder = prepareOutputFolder(dirname(recordPath), '-o');
  try {
    const t0 = performance.now();
    const manifest = new ManifestBuilder();
    let read: { model: Model; head: Head } | undefined;
    let skipped: readonly SkippedExample[] = [];
    const report = await evaluateModel({
      ...o,
      onForgetBatch: (b) => manifest.add(b),
      onForgetSet: (data) => (skipped = data.skippedExamples),
      onHead: (head, model) => {
        // the model's external data files, once it is loaded: inputs as much as the model file is
        refuseInputAsOutput(recordPath, externalDataPaths(model), '-o');
        // the metrics this run computes, by the sets given and the model's head: checked before any pass
        checkRunGates(gates, o, head.kind);
        read = { model, head };
      },
    });
    o.signal?.throwIfAborted();
    // the record says how the data was read, which head was measured and the passes' threads where measured
    const settings: RunSettings | undefined = read && runSettings(read.model, o, read.head, undefined, report.parallel);
    const acceptance = judge(gates, report.metrics);
    const record: UnlearningRecord = {
      ...recordHeader(o.device),
      input: { model: fileHash(o.model), dataFiles: read ? externalDataHashes(read.model) : [] },
      changes: [],
      forgetSet: manifest.build(o.forget, skipped),
      settings,
      metrics: {
        after: report.metrics,
        ...(report.retrain ? { retrain: { ...report.retrain.metrics, model: fileHash(report.retrain.model) } } : {}),
      },
      resources: { wallSeconds: (performance.now() - t0) / 1000, peakRssBytes: peakRss() },
      acceptance,
      guarantee: GUARANTEE,
    };
    writeRecord(recordPath, record);
    return { schema: REPORT_SCHEMA, kind: 'eval', ...report, record: recordPath, acceptance };
  } finally {
    folder.removeIfEmpty();
  }
}

/**
 * Throws a BadInputError where `path` holds the record of an unlearning run (one with a method): the
 * audit trail of an edited model, which an evaluation's record must not replace. An earlier evaluation's
 * record, or a file that is no record, is replaced as before.
 */
function refuseRunRecord(path: string): void {
  if (!existsSync(path) || statSync(path).isDirectory()) return;
  let record: { schema?: unknown; method?: unknown } | undefined;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as typeof record;
  } catch {
    return;
  }
  if (record?.schema === RECORD_SCHEMA && record.method)
    throw new BadInputError(
      `-o ${path}: this is the record of an unlearning run (the edited model's audit trail); refusing to ` +
        'replace it with an evaluation. Choose another path.',
    );
}
