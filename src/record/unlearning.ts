// The record of an unlearning run: metrics of the input and the edited model (and of a retrained
// one) in one pass over the sets, the forget-set manifest, hashes, changes and the verdict. The
// edited model is read where it is staged, so that a rejected model is never committed.
import { basename, dirname, join } from 'node:path';
import { describeLoaded, evaluateModels, type PassHooks } from '../eval/run.js';
import { EVAL_BATCH } from '../eval/pass.js';
import type { Metrics } from '../eval/evaluate.js';
import type { Model } from '../graph/ir.js';
import type { SkippedExample } from '../data/dataset.js';
import { loadModel } from '../graph/load.js';
import { shareProbe } from '../runtime/shapes.js';
import type { ModelOutput } from '../graph/write.js';
import { datasetOptions, headChoice, openSet, type CommonOptions } from '../context/index.js';
import { modelInputs } from '../runtime/gradient.js';
import type { ParallelChoice } from '../runtime/parallel.js';
import { judge, type Acceptance, type Gate } from './gates.js';
import { ManifestBuilder } from './manifest.js';
import {
  externalDataHashes,
  fileHash,
  GUARANTEE,
  UNCHANGED,
  peakRss,
  recordHeader,
  runSettings,
  tensorChanges,
  tensorHashes,
  type FileHash,
  type UnlearningRecord,
} from './record.js';

export interface RecordOptions extends CommonOptions {
  retain?: string;
  test?: string;
  retrain?: string;
  seed?: number;
  gates: readonly Gate[];
  /** How the sets are opened (PassHooks.openSet): the run context's openAs reads what its passes kept. */
  openSet?: PassHooks['openSet'];
  /** Logits a pass of the run already computed (PassHooks.logitsOf): the run context's logitsOf. */
  logitsOf?: PassHooks['logitsOf'];
  /** The input model as the run loaded it (and probed it), instead of loading its file again. */
  inputModel?: Model;
  /** How the run's gradient passes used the cores: as run, and how that was chosen (RunContext.parallel). */
  parallel?: ParallelChoice;
  /** The run's forward forms so far (RunContext.forwardForms: SSD's check's), for the evaluation's. */
  forms?: PassHooks['forms'];
}

/** What a record needs to know of a run, whatever the method. */
export interface RecordSubject {
  model: { path: string };
  /** Where the model goes; read from output.staged while it is staged. */
  output: ModelOutput;
  /** `source` is opened; `name` (default: source) is how the record names the set. */
  forget: { source: string; labelled: boolean; name?: string };
  parameters: readonly { name: string; torchName?: string }[];
  method: NonNullable<UnlearningRecord['method']>;
  seconds: number;
}

export interface Judged {
  record: UnlearningRecord;
  acceptance: Acceptance;
}

/** Evaluates the edited model (where it is staged, if it is) and judges the gates; writes nothing. */
export async function judgeUnlearning(report: RecordSubject, o: RecordOptions): Promise<Judged> {
  const t0 = performance.now();
  const readAt = report.output.staged?.path ?? report.output.path;
  const input = o.inputModel ?? loadModel(report.model.path);
  const output = loadModel(readAt);
  // the edited model is the input's graph with other weights: the input's shapes, not a probe of its own
  shareProbe(output, input);
  // the head the method and the metrics read, for the record (the input's probe, already run)
  const { head } = await describeLoaded(input, headChoice(o), report.model.path);
  const manifest = new ManifestBuilder();
  let skipped: readonly SkippedExample[] = [];
  let before: Metrics | undefined;
  let after: Metrics | undefined;
  let retrain: Metrics | undefined;
  let forward: ParallelChoice | undefined;
  if (report.forget.labelled) {
    const paths = [report.model.path, readAt, ...(o.retrain ? [o.retrain] : [])];
    const e = await evaluateModels(paths, {
      ...o,
      models: new Map([
        [report.model.path, input],
        [readAt, output],
      ]),
      model: report.model.path,
      forget: report.forget.source,
      onForgetBatch: (b) => manifest.add(b),
      onForgetSet: (data) => (skipped = data.skippedExamples),
    });
    [before, after, retrain] = e.metrics;
    forward = e.parallel;
  } else {
    // no labels: the manifest still names every forgotten example; label-based metrics cannot be computed
    const unused = (['retain', 'test', 'retrain'] as const).filter((k) => o[k]).map((k) => `--${k}`);
    if (unused.length)
      o.onNote?.({
        kind: 'note',
        message:
          `${unused.join(', ')} not evaluated: the record's metrics are computed with the forget set's labels, ` +
          `and ${report.forget.source} has none (evaluate the edited model with \`scrub eval\` on a labelled set)`,
      });
    const dopts = datasetOptions({ inputs: modelInputs(input) }, input, o);
    const data = await (o.openSet ?? openSet)(report.forget.source, 'forget', dopts);
    let done = 0;
    for await (const b of data.batches(EVAL_BATCH)) {
      o.signal?.throwIfAborted();
      manifest.add(b);
      done += b.y.length;
      o.onProgress?.('forget', done, data.count);
    }
    skipped = data.skippedExamples;
  }
  const acceptance = judge(
    o.gates,
    after ?? {
      values: {},
      notComputable: Object.fromEntries(o.gates.map((g) => [g.metric, 'the forget set has no labels'])),
      definitions: {},
    },
  );
  const params = report.parameters.map((p) => ({ name: p.name, torchName: p.torchName }));
  const changes = tensorChanges(input, output, params);
  const record: UnlearningRecord = {
    ...recordHeader(o.device),
    input: { model: fileHash(report.model.path), dataFiles: externalDataHashes(input) },
    output: {
      model: hashAs(readAt, report.output.path),
      dataFiles: report.output.dataFiles.map((d) => hashAs(join(dirname(readAt), basename(d)), d)),
      tensors: tensorHashes(output),
    },
    changes,
    forgetSet: manifest.build(report.forget.name ?? report.forget.source, skipped),
    settings: runSettings(input, o, head, o.parallel, forward),
    method: report.method,
    metrics: {
      before,
      after,
      ...(retrain && o.retrain ? { retrain: { ...retrain, model: fileHash(o.retrain) } } : {}),
    },
    resources: { wallSeconds: report.seconds + (performance.now() - t0) / 1000, peakRssBytes: peakRss() },
    acceptance,
    guarantee: changes.some((c) => c.elementsChanged > 0) ? GUARANTEE : UNCHANGED,
  };
  return { record, acceptance };
}

/** The hash of the file at `at`, named by the path it will have. */
function hashAs(at: string, path: string): FileHash {
  return { ...fileHash(at), path };
}
