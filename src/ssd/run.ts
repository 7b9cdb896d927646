// SSD end to end: full-data importance (from a Fisher file or a pass over the train set), one
// pass over the forget set, dampening, and the edited model staged, checked and committed.
import { existsSync } from 'node:fs';
import { openDataset, type Dataset, type DatasetOptions } from '../data/dataset.js';
import { exampleDigests, hex, SetDigest } from '../data/digest.js';
import { ScrubError } from '../errors.js';
import { numElements, tensorToFloat32, type Model } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import { stageModel } from '../graph/write.js';
import { ForwardModel } from '../runtime/forward.js';
import { GradientModel, modelHash } from '../runtime/gradient.js';
import type { Device } from '../runtime/session.js';
import { version } from '../version.js';
import { dampen, SSD_DEFAULTS } from './dampen.js';
import { checkFisher, fisherFromSums, readFisher, type FisherFile } from './fisher-file.js';
import { countCorrect, importanceMeans, importanceSums, type ImportanceSums } from './importance.js';

export const SSD_BATCH = 64;

export type Stage = 'full' | 'forget' | 'evaluate';

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

export interface SsdReport {
  method: 'ssd';
  model: { path: string; sha256: string };
  output: { path: string; dataFiles: string[] };
  hyperparameters: { alpha: number; lambda: number; batchSize: number };
  full: { source: 'fisher' | 'train'; path: string; count: number; batches: number; digest: string; seconds: number };
  forget: { source: string; count: number; batches: number; digest: string; seconds: number };
  parameters: SsdParameterReport[];
  selected: number;
  elements: number;
  forgetAccuracy: { before: number; after: number };
  seconds: number;
}

/** Per-channel normalisation: explicit options, else the model's metadata (scrub.mean/scrub.std). */
export function normalisation(model: Model, mean?: number[], std?: number[]): { mean?: number[]; std?: number[] } {
  const parse = (key: string) => {
    const v = model.metadata.get(key);
    return v === undefined ? undefined : v.split(',').map(Number);
  };
  return { mean: mean ?? parse('scrub.mean'), std: std ?? parse('scrub.std') };
}

export function datasetOptions(gm: GradientModel, model: Model, o: CommonOptions): DatasetOptions {
  const input = gm.inputs[0];
  return { input: { dtype: input.dtype, dims: input.dims }, ...normalisation(model, o.mean, o.std), labels: o.labels, onBadInput: o.onBadInput, onNote: o.onNote };
}

export async function openSet(spec: string, what: string, opts: DatasetOptions): Promise<Dataset> {
  const data = await openDataset(spec, opts);
  if (data.count === 0) throw new ScrubError(`${spec}: the ${what} set is empty; nothing to ${what === 'forget' ? 'forget' : 'learn importance from'}.`);
  return data;
}

export async function runSsd(o: SsdOptions): Promise<SsdReport> {
  const t0 = performance.now();
  const alpha = o.alpha ?? SSD_DEFAULTS.alpha;
  const lambda = o.lambda ?? SSD_DEFAULTS.lambda;
  const batchSize = o.batchSize ?? SSD_BATCH;
  if (!(alpha > 0) || !(lambda > 0)) throw new ScrubError(`--alpha and --lambda must be positive numbers (got ${alpha}, ${lambda}).`);
  const beside = o.model.replace(/(\.onnx)?$/, '.fisher');
  if (!o.fisher && !o.train && existsSync(beside)) {
    o = { ...o, fisher: beside };
    o.onNote?.({ kind: 'note', message: `using the Fisher file beside the model: ${beside}` });
  }
  if (!o.fisher && !o.train)
    throw new ScrubError('SSD compares the forget set with the full training data: pass --fisher FILE (made once with `scrub fisher MODEL TRAIN -o FILE`) or --train DATA.');
  const model = loadModel(o.model);
  const sha256 = modelHash(model);
  const out = o.out ?? o.model.replace(/(\.onnx)?$/, '.unlearned.onnx');
  const gm = await GradientModel.open(model, { params: o.params, device: o.device, threads: o.threads });
  try {
    const dopts = datasetOptions(gm, model, o);
    let fisher: FisherFile | undefined;
    if (o.fisher) {
      fisher = readFisher(o.fisher);
      checkFisher(o.fisher, fisher, sha256, gm.params, batchSize);
    }
    if (fisher && o.train) await checkFisherData(o.fisher!, fisher, await openSet(o.train, 'train', dopts), batchSize);
    const forgetSet = await openSet(o.forget, 'forget', dopts);
    let full: ImportanceSums;
    if (fisher) {
      const d = fisher.header.data;
      full = { sums: fisher.sums, batches: d.batches, count: d.count, batchSize: d.batchSize, digest: d.digest, correct: 0, seconds: 0 };
    } else {
      const train = await openSet(o.train!, 'train', dopts);
      full = await importanceSums(gm, train, batchSize, { signal: o.signal, onProgress: (d, t) => o.onProgress?.('full', d, t) });
    }
    const forget = await importanceSums(gm, forgetSet, batchSize, { signal: o.signal, onProgress: (d, t) => o.onProgress?.('forget', d, t) });
    if (forget.digest === full.digest)
      throw new ScrubError(`${o.forget}: the forget set is the whole training set; SSD would dampen by comparison with itself. Retrain from scratch instead, or forget a subset.`);

    const fullMean = importanceMeans(full);
    const forgetMean = importanceMeans(forget);
    const replacements = new Map<string, Float32Array>();
    const parameters: SsdParameterReport[] = [];
    for (const p of gm.params) {
      const w = tensorToFloat32(model.graph.initializers.get(p.name)!);
      const r = dampen(w, fullMean.get(p.name)!, forgetMean.get(p.name)!, { alpha, lambda });
      if (r.selected > 0) replacements.set(p.name, r.weights);
      parameters.push({ name: p.name, torchName: p.torchName, transposed: p.transposed, shape: p.shape, elements: numElements(p.shape), selected: r.selected });
    }

    const staged = stageModel(model, out, replacements);
    let after: number;
    try {
      after = await accuracyOf(staged.path, gm, forgetSet, batchSize, o);
    } catch (e) {
      staged.abort();
      throw e;
    }
    const written = staged.commit();
    return {
      method: 'ssd',
      model: { path: o.model, sha256 },
      output: { path: written.model, dataFiles: written.dataFiles },
      hyperparameters: { alpha, lambda, batchSize },
      full: { source: fisher ? 'fisher' : 'train', path: (o.fisher ?? o.train)!, count: full.count, batches: full.batches, digest: full.digest, seconds: full.seconds },
      forget: { source: o.forget, count: forget.count, batches: forget.batches, digest: forget.digest, seconds: forget.seconds },
      parameters,
      selected: parameters.reduce((a, p) => a + p.selected, 0),
      elements: parameters.reduce((a, p) => a + p.elements, 0),
      forgetAccuracy: { before: forget.correct / forget.count, after },
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await gm.release();
  }
}

/** Refuses a Fisher file computed on other data than the given train set (hashes only, no gradients). */
async function checkFisherData(path: string, f: FisherFile, train: Dataset, batchSize: number): Promise<void> {
  const digest = new SetDigest();
  for await (const batch of train.batches(Math.max(batchSize, 1024))) for (const d of exampleDigests(batch)) digest.add(d);
  const d = f.header.data;
  if (digest.count !== d.count || hex(digest.digest()) !== d.digest)
    throw new ScrubError(`${path}: this Fisher file was computed on another data set (${d.description}, ${d.count} examples) than --train ${train.description} (${digest.count} examples). Compute it again with \`scrub fisher\`.`);
}

/** Top-1 accuracy of a model file on a set (forward passes only). */
export async function accuracyOf(path: string, gm: GradientModel, data: Dataset, batchSize: number, o: CommonOptions): Promise<number> {
  const fm = await ForwardModel.open(path, gm.inputs[0], { device: o.device, threads: o.threads });
  try {
    let correct = 0;
    let n = 0;
    for await (const batch of data.batches(Math.max(batchSize, 256))) {
      o.signal?.throwIfAborted();
      correct += countCorrect(await fm.logits(batch.x), batch, gm.classes);
      n += batch.y.length;
      o.onProgress?.('evaluate', n, data.count);
    }
    return n ? correct / n : 0;
  } finally {
    await fm.release();
  }
}

/** The full-data importance written to a Fisher file. */
export async function computeFisher(o: CommonOptions & { model: string; train: string }): Promise<FisherFile> {
  const model = loadModel(o.model);
  const gm = await GradientModel.open(model, { params: o.params, device: o.device, threads: o.threads });
  try {
    const train = await openSet(o.train, 'train', datasetOptions(gm, model, o));
    const sums = await importanceSums(gm, train, o.batchSize ?? SSD_BATCH, { signal: o.signal, onProgress: (d, t) => o.onProgress?.('full', d, t) });
    return fisherFromSums(sums, { sha256: modelHash(model), source: o.model }, train.description, gm.params, `scrub ${version()}`);
  } finally {
    await gm.release();
  }
}
