// SSD and LF-SSD end to end: full-data importance (from a Fisher file or a pass over the train set),
// one pass over the forget set, dampening, and the edited model staged, checked and committed.
import { existsSync } from 'node:fs';
import {
  openDataset,
  requireLabels,
  withoutLabels,
  type Dataset,
  type DatasetOptions,
  type InputSpec,
} from '../data/dataset.js';
import { exampleDigests, hex, SetDigest } from '../data/digest.js';
import { BadInputError } from '../core/errors.js';
import { numElements, tensorToFloat32, type Model } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import { settle, stageModel, type ModelOutput } from '../graph/write.js';
import { ForwardModel } from '../runtime/forward.js';
import { GradientModel, modelHash, type AnyGradientModel } from '../runtime/gradient.js';
import type { Device } from '../runtime/session.js';
import { version } from '../core/version.js';
import { dampen, SSD_DEFAULTS } from './dampen.js';
import {
  checkFisher,
  fisherFromSums,
  readFisher,
  type FisherFile,
  type FisherPart,
  type FisherShard,
} from './fisher-file.js';
import { shardRange, type ShardSpec } from './fisher-shard.js';
import { countCorrect, importanceMeans, importanceSums, topClasses, type ImportanceSums } from './importance.js';
import { METHODS, NO_LABELS_REMEDY, type Method, type MethodSpec } from './method.js';

export const SSD_BATCH = 64;

/** The passes that report progress. */
export type Stage = 'full' | 'forget' | 'retain' | 'test' | 'evaluate' | 'gradtau';

export interface CommonOptions {
  params?: string;
  device?: Device;
  threads?: number;
  batchSize?: number;
  mean?: number[];
  std?: number[];
  labels?: string;
  onBadInput?: 'stop' | 'skip';
  onNote?: DatasetOptions['onNote'];
  onProgress?: (stage: Stage, done: number, total: number) => void;
  signal?: AbortSignal;
  /** Unlearning runs: leave the edited model staged (report.output.staged) so that the caller commits it only once the gates pass. */
  keepStaged?: boolean;
}

export interface SsdOptions extends CommonOptions {
  model: string;
  forget: string;
  fisher?: string;
  train?: string;
  alpha?: number;
  lambda?: number;
  out?: string;
}

export interface SsdParameterReport {
  name: string;
  torchName?: string;
  transposed: boolean;
  shape: number[];
  elements: number;
  selected: number;
}

interface DampeningReport {
  method: Method;
  model: { path: string; sha256: string };
  output: ModelOutput;
  hyperparameters: { alpha: number; lambda: number; batchSize: number };
  full: { source: 'fisher' | 'train'; path: string; count: number; batches: number; digest: string; seconds: number };
  forget: { source: string; count: number; labelled: boolean; batches: number; digest: string; seconds: number };
  parameters: SsdParameterReport[];
  selected: number;
  elements: number;
  /** Top-1 accuracy on the forget set; null for a forget set without labels. */
  forgetAccuracy: { before: number; after: number } | null;
  /** Share of forget examples whose top-1 class the edit changed (needs no labels). */
  forgetPredictionsChanged: number;
  seconds: number;
}

export interface SsdReport extends DampeningReport {
  method: 'ssd';
  forgetAccuracy: { before: number; after: number };
}

export interface LfSsdReport extends DampeningReport {
  method: 'lf-ssd';
}

export type UnlearningReport = SsdReport | LfSsdReport;

/** Per-channel normalisation: explicit options, else the model's metadata (scrub.mean/scrub.std). */
export function normalisation(model: Model, mean?: number[], std?: number[]): { mean?: number[]; std?: number[] } {
  const parse = (key: string) => {
    const v = model.metadata.get(key);
    return v === undefined ? undefined : v.split(',').map(Number);
  };
  return { mean: mean ?? parse('scrub.mean'), std: std ?? parse('scrub.std') };
}

export function datasetOptions(gm: { inputs: readonly InputSpec[] }, model: Model, o: CommonOptions): DatasetOptions {
  const input = gm.inputs[0];
  return {
    input: { dtype: input.dtype, dims: input.dims },
    ...normalisation(model, o.mean, o.std),
    labels: o.labels,
    onBadInput: o.onBadInput,
    onNote: o.onNote,
  };
}

export async function openSet(spec: string, what: string, opts: DatasetOptions): Promise<Dataset> {
  const data = await openDataset(spec, opts);
  if (data.count === 0)
    throw new BadInputError(
      `${spec}: the ${what} set is empty; nothing to ${what === 'forget' ? 'forget' : 'learn importance from'}.`,
    );
  return data;
}

/** SSD: the forget set and the train set need labels (so the report always has the forget accuracy). */
export function runSsd(o: SsdOptions): Promise<SsdReport> {
  return runDampening(METHODS.ssd, o) as Promise<SsdReport>;
}

/** LF-SSD: labels are not needed, and ignored where present (but for the forget accuracy). */
export function runLfSsd(o: SsdOptions): Promise<LfSsdReport> {
  return runDampening(METHODS['lf-ssd'], o) as Promise<LfSsdReport>;
}

async function runDampening(method: MethodSpec, o: SsdOptions): Promise<UnlearningReport> {
  const t0 = performance.now();
  const alpha = o.alpha ?? SSD_DEFAULTS.alpha;
  const lambda = o.lambda ?? SSD_DEFAULTS.lambda;
  const batchSize = o.batchSize ?? SSD_BATCH;
  if (!(alpha > 0) || !(lambda > 0))
    throw new BadInputError(`--alpha and --lambda must be positive numbers (got ${alpha}, ${lambda}).`);
  const beside = o.model.replace(/(\.onnx)?$/, method.besideSuffix);
  if (!o.fisher && !o.train && existsSync(beside)) {
    o = { ...o, fisher: beside };
    o.onNote?.({ kind: 'note', message: `using the Fisher file beside the model: ${beside}` });
  }
  if (!o.fisher && !o.train)
    throw new BadInputError(
      `${method.title} compares the forget set with the full training data: pass --fisher FILE (made once with \`scrub fisher MODEL TRAIN${method.fisherFlags} -o FILE\`) or --train DATA${method.name === 'lf-ssd' ? ' (labels not needed)' : ''}.`,
    );
  const model = loadModel(o.model);
  const sha256 = modelHash(model);
  const out = o.out ?? o.model.replace(/(\.onnx)?$/, '.unlearned.onnx');
  const gm = await GradientModel.open(model, {
    loss: method.loss,
    params: o.params,
    device: o.device,
    threads: o.threads,
  });
  try {
    const dopts = datasetOptions(gm, model, o);
    const needLabels = (data: Dataset, spec: string) => {
      if (method.name === 'ssd') requireLabels(data, spec, 'SSD', NO_LABELS_REMEDY);
    };
    let fisher: FisherFile | undefined;
    if (o.fisher) {
      fisher = readFisher(o.fisher);
      checkFisher(o.fisher, fisher, sha256, gm.params, batchSize, method.fisherKind);
    }
    if (fisher && o.train) {
      const train = await openSet(o.train, 'train', dopts);
      needLabels(train, o.train);
      await checkFisherData(o.fisher!, fisher, train, batchSize, gm);
    }
    const forgetSet = await openSet(o.forget, 'forget', dopts);
    needLabels(forgetSet, o.forget);
    let full: ImportanceSums;
    if (fisher) {
      const d = fisher.header.data;
      full = {
        sums: fisher.sums,
        batches: d.batches,
        count: d.count,
        batchSize: d.batchSize,
        digest: d.digest,
        correct: 0,
        seconds: 0,
      };
    } else {
      const train = await openSet(o.train!, 'train', dopts);
      needLabels(train, o.train!);
      full = await importanceSums(gm, train, batchSize, {
        signal: o.signal,
        onProgress: (d, t) => o.onProgress?.('full', d, t),
      });
    }
    const forget = await importanceSums(gm, forgetSet, batchSize, {
      keepPredictions: true,
      signal: o.signal,
      onProgress: (d, t) => o.onProgress?.('forget', d, t),
    });
    if (forget.digest === full.digest)
      throw new BadInputError(
        `${o.forget}: the forget set is the whole training set; ${method.title} would dampen by comparison with itself. Retrain from scratch instead, or forget a subset.`,
      );

    const fullMean = importanceMeans(full);
    const forgetMean = importanceMeans(forget);
    const replacements = new Map<string, Float32Array>();
    const parameters: SsdParameterReport[] = [];
    for (const p of gm.params) {
      const w = tensorToFloat32(model.graph.initializers.get(p.name)!);
      const r = dampen(w, fullMean.get(p.name)!, forgetMean.get(p.name)!, { alpha, lambda });
      if (r.selected > 0) replacements.set(p.name, r.weights);
      parameters.push({
        name: p.name,
        torchName: p.torchName,
        transposed: p.transposed,
        shape: p.shape,
        elements: numElements(p.shape),
        selected: r.selected,
      });
    }

    const staged = stageModel(model, out, replacements);
    let after: ForgetOutcome;
    try {
      after = await forgetOutcome(staged.path, gm, forgetSet, forget.predictions!, batchSize, o);
    } catch (e) {
      staged.abort();
      throw e;
    }
    const output = settle(staged, o.keepStaged);
    return {
      method: method.name,
      model: { path: o.model, sha256 },
      output,
      hyperparameters: { alpha, lambda, batchSize },
      full: {
        source: fisher ? 'fisher' : 'train',
        path: (o.fisher ?? o.train)!,
        count: full.count,
        batches: full.batches,
        digest: full.digest,
        seconds: full.seconds,
      },
      forget: {
        source: o.forget,
        count: forget.count,
        labelled: forgetSet.labelled,
        batches: forget.batches,
        digest: forget.digest,
        seconds: forget.seconds,
      },
      parameters,
      selected: parameters.reduce((a, p) => a + p.selected, 0),
      elements: parameters.reduce((a, p) => a + p.elements, 0),
      forgetAccuracy: after.accuracy === null ? null : { before: forget.correct / forget.count, after: after.accuracy },
      forgetPredictionsChanged: after.changed,
      seconds: (performance.now() - t0) / 1000,
    } as UnlearningReport;
  } finally {
    await gm.release();
  }
}

/** Refuses a Fisher file computed on other data than the given train set (hashes only, no gradients). */
async function checkFisherData(
  path: string,
  f: FisherFile,
  train: Dataset,
  batchSize: number,
  gm: AnyGradientModel,
): Promise<void> {
  const digest = new SetDigest();
  for await (const batch of train.batches(Math.max(batchSize, 1024)))
    for (const d of exampleDigests(gm.loss === 'logit-norm' ? withoutLabels(batch) : batch)) digest.add(d);
  const d = f.header.data;
  if (digest.count !== d.count || hex(digest.digest()) !== d.digest)
    throw new BadInputError(
      `${path}: this Fisher file was computed on another data set (${d.description}, ${d.count} examples) than --train ${train.description} (${digest.count} examples). Compute it again with \`scrub fisher\`.`,
    );
}

export interface ForgetOutcome {
  /** Top-1 accuracy of the edited model; null for a set without labels. */
  accuracy: number | null;
  /** Share of examples whose top-1 class differs from `before` (per position in the set). */
  changed: number;
}

/** How the edited model file does on the forget set (forward passes only). */
export async function forgetOutcome(
  path: string,
  gm: AnyGradientModel,
  data: Dataset,
  before: Int32Array,
  batchSize: number,
  o: CommonOptions,
): Promise<ForgetOutcome> {
  const fm = await ForwardModel.open(path, gm.inputs[0], { device: o.device, threads: o.threads });
  try {
    let correct = 0;
    let changed = 0;
    let n = 0;
    for await (const batch of data.batches(Math.max(batchSize, 256))) {
      o.signal?.throwIfAborted();
      const logits = await fm.logits(batch.x);
      correct += countCorrect(logits, batch, gm.classes);
      topClasses(logits, gm.classes).forEach((c, i) => {
        if (c !== before[batch.index[i]]) changed++;
      });
      n += batch.y.length;
      o.onProgress?.('evaluate', n, data.count);
    }
    return { accuracy: data.labelled ? (n ? correct / n : 0) : null, changed: n ? changed / n : 0 };
  } finally {
    await fm.release();
  }
}

export type FisherPassOptions = CommonOptions & { model: string; train: string; method?: Method };

/** The full-data importance written to a Fisher file. */
export async function computeFisher(o: FisherPassOptions): Promise<FisherFile> {
  const { header, sums } = await importancePass(o);
  return { header, sums: sums.sums };
}

/** Shard K/N of the full-data importance: the sums over its range of minibatches (see fisher-shard.ts). */
export async function computeFisherPart(o: FisherPassOptions & { shard: ShardSpec }): Promise<FisherPart> {
  if (o.onBadInput === 'skip')
    throw new BadInputError(
      `--shard cannot be combined with --on-bad-input skip: a skipped example shifts every later minibatch, so the parts would not add up to the single pass. Fix or remove the bad examples instead.`,
    );
  const { header, sums, shard } = await importancePass(o, o.shard);
  const { digest: _rangeDigest, ...data } = header.data;
  return { header: { ...header, data, shard: shard! }, sums: sums.sums, exampleDigests: sums.exampleDigests! };
}

async function importancePass(
  o: FisherPassOptions,
  shardSpec?: ShardSpec,
): Promise<{ header: FisherFile['header']; sums: ImportanceSums; shard?: FisherShard }> {
  const method = METHODS[o.method ?? 'ssd'];
  const batchSize = o.batchSize ?? SSD_BATCH;
  const model = loadModel(o.model);
  const gm = await GradientModel.open(model, {
    loss: method.loss,
    params: o.params,
    device: o.device,
    threads: o.threads,
  });
  try {
    const train = await openSet(o.train, 'train', datasetOptions(gm, model, o));
    if (method.name === 'ssd') requireLabels(train, o.train, 'SSD', NO_LABELS_REMEDY);
    const shard = shardSpec && shardRange(train.count, batchSize, shardSpec);
    const positions = shard && { start: shard.examples[0], end: shard.examples[1] };
    const sums = await importanceSums(gm, train, batchSize, {
      positions,
      keepDigests: !!shard,
      signal: o.signal,
      onProgress: (d, t) => o.onProgress?.('full', d, t),
    });
    const description =
      method.name === 'lf-ssd' && train.labelled ? `${train.description} (labels ignored)` : train.description;
    // A part's header describes the whole set (its count and minibatches), the shard its range.
    const whole = shard ? { ...sums, count: train.count, batches: Math.ceil(train.count / batchSize) } : sums;
    const f = fisherFromSums(
      whole,
      { sha256: modelHash(model), source: o.model },
      description,
      gm.params,
      `scrub ${version()}`,
      method.fisherKind,
    );
    return { header: f.header, sums, shard };
  } finally {
    await gm.release();
  }
}
