// The record of an unlearning run: metrics of the input and the edited model (and of a retrained
// one) in one pass over the sets, the forget-set manifest, hashes, changes and the verdict.
import { openDataset } from '../data/dataset.js';
import { evaluateModels } from '../eval/run.js';
import type { Metrics } from '../eval/evaluate.js';
import { loadModel } from '../graph/load.js';
import { datasetOptions, type CommonOptions, type UnlearningReport } from '../ssd/run.js';
import { modelInputs } from '../runtime/gradient.js';
import { ortVersion } from '../runtime/session.js';
import { version } from '../version.js';
import { judge, type Acceptance, type Gate } from './gates.js';
import { ManifestBuilder } from './manifest.js';
import { fileHash, GUARANTEE, peakRss, RECORD_SCHEMA, recordPathFor, tensorChanges, tensorHashes, writeRecord, type UnlearningRecord } from './record.js';

export interface RecordOptions extends CommonOptions {
  retain?: string;
  test?: string;
  retrain?: string;
  seed?: number;
  gates: readonly Gate[];
}

/** What a record needs to know of a run, whatever the method. */
export interface RecordSubject {
  model: { path: string };
  output: { path: string; dataFiles: string[] };
  forget: { source: string; labelled: boolean };
  parameters: readonly { name: string; torchName?: string }[];
  method: NonNullable<UnlearningRecord['method']>;
  seconds: number;
}

export function dampeningSubject(r: UnlearningReport): RecordSubject {
  return {
    model: r.model,
    output: r.output,
    forget: r.forget,
    parameters: r.parameters,
    method: {
      name: r.method,
      hyperparameters: { alpha: r.hyperparameters.alpha, lambda: r.hyperparameters.lambda },
      batchSize: r.hyperparameters.batchSize,
      details: { fullImportance: r.full, selected: r.selected, elements: r.elements, forgetDigest: r.forget.digest },
    },
    seconds: r.seconds,
  };
}

export interface Recorded {
  path: string;
  record: UnlearningRecord;
  acceptance: Acceptance;
}

export async function recordUnlearning(report: RecordSubject, o: RecordOptions): Promise<Recorded> {
  const t0 = performance.now();
  const input = loadModel(report.model.path);
  const output = loadModel(report.output.path);
  const manifest = new ManifestBuilder();
  let before: Metrics | undefined;
  let after: Metrics | undefined;
  let retrain: Metrics | undefined;
  if (report.forget.labelled) {
    const paths = [report.model.path, report.output.path, ...(o.retrain ? [o.retrain] : [])];
    const e = await evaluateModels(paths, { ...o, model: report.model.path, forget: report.forget.source, onForgetBatch: (b) => manifest.add(b) });
    [before, after, retrain] = e.metrics;
  } else {
    // no labels: the manifest still names every forgotten example; label-based metrics cannot be computed
    const data = await openDataset(report.forget.source, datasetOptions({ inputs: modelInputs(input) }, input, o));
    for await (const b of data.batches(1024)) manifest.add(b);
  }
  const acceptance = judge(o.gates, after ?? { values: {}, notComputable: Object.fromEntries(o.gates.map((g) => [g.metric, 'the forget set has no labels'])), definitions: {} });
  const params = report.parameters.map((p) => ({ name: p.name, torchName: p.torchName }));
  const record: UnlearningRecord = {
    schema: RECORD_SCHEMA,
    createdAt: new Date().toISOString(),
    software: { scrub: version(), node: process.version, onnxruntime: ortVersion(o.device), executionProvider: o.device ?? 'cpu' },
    input: { model: fileHash(report.model.path), dataFiles: [] },
    output: { model: fileHash(report.output.path), dataFiles: report.output.dataFiles.map(fileHash), tensors: tensorHashes(output) },
    changes: tensorChanges(input, output, params),
    forgetSet: manifest.build(report.forget.source),
    method: report.method,
    metrics: { before, after, ...(retrain && o.retrain ? { retrain: { ...retrain, model: fileHash(o.retrain) } } : {}) },
    resources: { wallSeconds: report.seconds + (performance.now() - t0) / 1000, peakRssBytes: peakRss() },
    acceptance,
    guarantee: GUARANTEE,
  };
  const path = recordPathFor(report.output.path);
  writeRecord(path, record);
  return { path, record, acceptance };
}
