import { embeddingRows } from '../graph/head.js';
import { idOutOfRange } from '../data/convert.js';
import { loadLabelFeeds, loadNamedInputs } from '../data/arrays.js';
import { checkHeadLabels } from '../context/index.js';
import { encodeNpy } from '../data/npy.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { refuseInputAsOutput } from '../core/atomic.js';
import { BadInputError } from '../core/errors.js';
import { externalDataPaths, loadModel } from '../graph/load.js';
import { prepareOutputFolder } from '../context/run-context.js';
import { trainingBatchNormNote, trainingBatchNorms } from '../autodiff/rules/batch-normalization.js';
import { checkInput, GradientModel, meanGradient } from '../runtime/gradient.js';
import { deviceOption, intOption, parseCommand, requireOne, type Io } from './io.js';
import { writeFilesAtomically } from './output.js';
import { ranOn } from './options.js';
import { measurementOf, type Measurement } from '../runtime/parallel.js';
import { REPORT_SCHEMA } from '../api/report.js';

const USAGE =
  'scrub grad MODEL --x X.npy --y Y.npy --out DIR [--params REGEX] [--output NAME] [--multi-label] ' +
  '[--batch-size N] [--threads N] [--workers N] [--device cpu|cuda|wasm] [--quiet] [--json]';

export interface GradSummary {
  schema: typeof REPORT_SCHEMA;
  kind: 'grad';
  model: string;
  count: number;
  loss: number;
  dtype: 'float32';
  /** How the passes ran: examples a run, the provider, the threads and the workers the runs split over. */
  settings: {
    batchSize: number;
    device: string;
    threads?: number;
    workers?: number;
    parallel?: Measurement;
  };
  parameters: {
    name: string;
    torchName?: string;
    transposed: boolean;
    shape: number[];
    l2: number;
    head: number[];
    file: string;
  }[];
}

/** File name for a parameter's gradient: the ONNX name with unsafe characters replaced. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function gradCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: {
      x: { type: 'string' },
      y: { type: 'string' },
      out: { type: 'string', short: 'o' },
      params: { type: 'string' },
      output: { type: 'string' },
      'multi-label': { type: 'boolean' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      workers: { type: 'string' },
      device: { type: 'string' },
      // no progress to silence (one pass over X.npy): taken as every other command takes it
      quiet: { type: 'boolean', short: 'q' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const modelPath = requireOne(positionals, 'MODEL', USAGE);
  // a folder of NAME.npy inputs (a model with several) holds its y.npy too
  const beside = values.x && existsSync(values.x) && statSync(values.x).isDirectory() && join(values.x, 'y.npy');
  values.y ??= beside && existsSync(beside) ? beside : undefined;
  if (!values.x || !values.y || !values.out)
    throw new BadInputError(
      `--x, --y and --out are required (--y is DIR/y.npy where --x is a folder); usage: ${USAGE}`,
    );
  const batch = intOption(values['batch-size'], 'batch-size', 256);
  const run = {
    device: deviceOption(values.device),
    threads: intOption(values.threads, 'threads', 0) || undefined,
    workers: intOption(values.workers, 'workers', 0) || undefined,
  };
  const model = loadModel(modelPath);
  // every option is read by now; before any pass --out is created (or refused), and a failed run
  // leaves no empty folder of ours
  const folder = prepareOutputFolder(values.out, '--out');
  let gm: GradientModel;
  try {
    gm = await GradientModel.open(model, {
      params: values.params,
      output: values.output,
      multiLabel: values['multi-label'],
      // the model's own weights throughout: built in, so ONNX Runtime prepacks them (1.2x on resnet18)
      frozen: true,
      ...run,
    });
  } catch (e) {
    folder.removeIfEmpty();
    throw e;
  }
  // what runs: the workers where the runs split over them (not at a fixed batch, for one), else the threads
  const split = gm.parallelWorkers;
  const ran = split > 1 ? { ...run, threads: 1, workers: split } : { ...run, workers: undefined };
  try {
    if (run.workers && run.workers > 1 && split === 1)
      io.err(
        `note: --workers ${run.workers}: this model's runs stay in one session (its batch is fixed, or its ` +
          "BatchNormalization takes the batch's statistics).",
      );
    // the files it will write, none of them over its own inputs (--out . beside x.npy, say)
    for (const name of ['summary.json', ...gm.params.map((p) => `${safeFileName(p.name)}.npy`)])
      refuseInputAsOutput(
        join(values.out, name),
        [modelPath, ...externalDataPaths(model), values.x, values.y],
        '--out',
      );
    const bnNote = trainingBatchNormNote(trainingBatchNorms(model.graph, model.opsetImports));
    if (bnNote) io.err(`note: ${bnNote}`);
    const x = loadNamedInputs(values.x, gm.inputs, modelPath);
    for (const note of x.notes) io.err(`note: ${note}`);
    // a shape or dtype the model cannot take, named by the file that holds it
    for (const spec of gm.inputs) {
      const file = gm.inputs.length > 1 ? join(values.x, `${spec.name}.npy`) : values.x;
      try {
        checkInput(modelPath, spec, x.feeds[spec.name]);
      } catch (e) {
        throw e instanceof BadInputError ? new BadInputError(`${file}: ${e.message}`) : e;
      }
    }
    for (const [name, rows] of embeddingRows(model)) {
      const t = x.feeds[name];
      const per = t ? t.data.length / t.dims[0] : 0;
      for (let i = 0; t && i < t.dims[0]; i++) {
        const why = idOutOfRange(t.data.subarray(i * per, (i + 1) * per) as BigInt64Array, rows);
        if (why) throw new BadInputError(`${values.x}: input ${name}, example ${i}: ${why}.`);
      }
    }
    const y = loadLabelFeeds(values.y);
    checkHeadLabels(
      { targets: 'targets' in y ? y.targets : undefined, labelled: true },
      values.y,
      gm.head.kind === 'multi-label',
    );
    // the labels' faults named in their file's words, before any pass
    const count = x.feeds[gm.inputs[0].name].dims[0];
    const given = 'labels' in y ? y.labels.length : y.targets.length / y.width;
    if (given !== count)
      throw new BadInputError(
        `${values.y}: ${given} labels for the ${count} examples of ${values.x}; they must match one to one.`,
      );
    if ('labels' in y) gm.checkLabels(y.labels, values.y);
    const result = await meanGradient(gm, x.feeds, 'targets' in y ? { targets: y.targets } : y.labels, batch);
    // where neither --threads nor --workers was given, the form the pass chose by measurement
    const p = gm.parallel;
    const measurement = measurementOf(p);
    if (measurement) Object.assign(ran, { threads: p.threads, workers: p.workers, parallel: measurement });
    const files = new Map<string, Uint8Array | string>();
    const summary: GradSummary = {
      schema: REPORT_SCHEMA,
      kind: 'grad',
      model: modelPath,
      count: result.count,
      loss: result.loss,
      dtype: 'float32',
      settings: {
        batchSize: batch,
        device: ran.device ?? 'cpu',
        threads: ran.threads,
        workers: ran.workers,
        ...(measurement && { parallel: measurement }),
      },
      parameters: [],
    };
    for (const p of gm.params) {
      const g = result.grads.get(p.name)!;
      const file = `${safeFileName(p.name)}.npy`;
      files.set(file, encodeNpy(g, p.shape));
      let sq = 0;
      for (const v of g) sq += v * v;
      summary.parameters.push({ ...p, l2: Math.sqrt(sq), head: Array.from(g.subarray(0, 8)), file });
    }
    files.set('summary.json', JSON.stringify(summary, null, 1) + '\n');
    io.signal?.throwIfAborted();
    writeFilesAtomically(values.out, files);
    if (values.json) io.out(JSON.stringify(summary));
    else {
      io.out(
        `loss ${summary.loss.toPrecision(8)} over ${summary.count} examples; ` +
          `${summary.parameters.length} gradients written to ${values.out}/ (${ranOn(ran)})`,
      );
      for (const p of summary.parameters)
        io.out(`  ${(p.torchName ?? p.name).padEnd(36)} [${p.shape.join(', ')}]  l2 ${p.l2.toExponential(4)}`);
    }
    return 0;
  } finally {
    await gm.release();
    folder.removeIfEmpty();
  }
}
