// The run context: what every unlearning run opens once and hands to its method. It loads the
// model, opens gradient models (one per loss, on the chosen device), opens and loads data sets,
// reports progress and notes, carries cancellation, and owns staging and commit of the edited
// model: a method returns new weights; the context stages them beside the output, and only the
// caller (after the gates) commits. Whatever is still staged when the context is released is removed.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { removeEmptyFolders, trackFolder, untrackFolder } from '../core/atomic.js';
import { dirname, resolve } from 'node:path';
import type { LossDefinition } from '../autodiff/losses/index.js';
import { trainingBatchNormNote, trainingBatchNorms } from '../autodiff/rules/batch-normalization.js';
import { BadInputError } from '../core/errors.js';
import { everyExampleSkipped, type Batch, type Dataset, type DatasetOptions } from '../data/dataset.js';
import { keptDataset, sameDecoding } from '../data/kept.js';
import type { Head } from '../graph/head.js';
import type { Model } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import { stageModel, type StagedModel } from '../graph/write.js';
import { GradientModel, modelHash, modelInputs } from '../runtime/gradient.js';
import { measurementOf, type FormMemo, type ParallelChoice } from '../runtime/parallel.js';
import { loadExamples, type ExampleSet } from './examples.js';
import { datasetOptions, defaultOutputPath, openSet, type CommonOptions, type Stage } from './options.js';

export interface RunContextOptions extends CommonOptions {
  /** The input model (.onnx). */
  model: string;
  /** The edited model (default MODEL.unlearned.onnx). */
  out?: string;
}

/** An output folder made ready before any pass: created when missing, removed again if a failed run leaves it empty. */
export interface OutputFolder {
  readonly path: string;
  /** The topmost folder this run created (undefined: it existed). */
  readonly created?: string;
  /** Removes the folders this run created, deepest first, as long as they are empty. */
  removeIfEmpty(): void;
}

/**
 * Creates folder `dir` (mkdir -p) before any pass, or refuses at once with a BadInputError when it cannot be
 * created (a path component is a file, no permission). `what` names the option, for the message.
 */
export function prepareOutputFolder(dir: string, what: string): OutputFolder {
  const path = resolve(dir || '.');
  if (existsSync(path)) {
    if (!statSync(path).isDirectory())
      throw new BadInputError(`${what} ${dir}: not a folder (a file is in the way); choose another path.`);
    return { path, removeIfEmpty: () => {} };
  }
  let created: string | undefined;
  try {
    created = mkdirSync(path, { recursive: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOTDIR' || err.code === 'EEXIST'
        ? 'a component of the path is a file'
        : err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
          ? 'permission denied'
          : err.message;
    throw new BadInputError(`${what} ${dir}: cannot create the folder (${why}); choose another path.`);
  }
  // a command that exits at once (a second Ctrl-C) leaves no folder of its own behind either
  if (created) trackFolder(path, created);
  return {
    path,
    created,
    removeIfEmpty() {
      if (!created) return;
      untrackFolder(path);
      removeEmptyFolders(path, created);
    },
  };
}

export class RunContext {
  /** The input model, loaded once. */
  readonly model: Model;
  /** SHA-256 of the model file and its external data. */
  readonly sha256: string;
  /** Where the edited model goes. */
  readonly out: string;
  readonly dataOptions: DatasetOptions;
  private readonly gradients = new Map<string, Promise<GradientModel>>();
  private readonly sets = new Map<string, Promise<Dataset>>();
  private readonly loaded = new Map<string, Promise<ExampleSet>>();
  private readonly kept = new Map<string, Dataset>();
  private readonly seen = new Map<string, WeakMap<Batch, Float32Array>>();
  /** The threads the run's forward passes settled (runtime/parallel.ts FormMemo): SSD's check, then the evaluation. */
  readonly forwardForms: FormMemo = new Map();
  private staged?: StagedModel;
  private readonly outFolder: OutputFolder;

  private constructor(readonly options: RunContextOptions) {
    this.model = loadModel(options.model);
    this.sha256 = modelHash(this.model);
    this.out = options.out ?? defaultOutputPath(options.model);
    this.dataOptions = datasetOptions({ inputs: modelInputs(this.model) }, this.model, options);
    // before any pass: the output's folder is created (or refused) now, not when the model is staged
    this.outFolder = prepareOutputFolder(dirname(this.out), 'output');
  }

  /** Loads the model (BadInputError for a file that is not a readable ONNX model). */
  static open(o: RunContextOptions): RunContext {
    return new RunContext(o);
  }

  /** The input model's path, as given. */
  get modelPath(): string {
    return this.options.model;
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** Rejects with the signal's reason once the run is aborted. */
  throwIfAborted(): void {
    this.options.signal?.throwIfAborted();
  }

  progress(stage: Stage, done: number, total: number): void {
    this.options.onProgress?.(stage, done, total);
  }

  /** A note for the user (printed on stderr by the CLI). */
  note(message: string): void {
    this.options.onNote?.({ kind: 'note', message });
  }

  /**
   * The gradient model of `loss` (a registered name or a definition), opened once per loss with the
   * run's parameters, device and threads; `frozen` (GradientOptions.frozen) opens another, for passes whose
   * weights never change. See GradientModel.open for what it throws.
   */
  gradientModel(
    loss: string | LossDefinition = 'cross-entropy',
    opts: { frozen?: boolean } = {},
  ): Promise<GradientModel> {
    const name = `${typeof loss === 'string' ? loss : loss.name}${opts.frozen ? '/frozen' : ''}`;
    let gm = this.gradients.get(name);
    if (!gm) {
      // told once per run: a training-form BatchNormalization is differentiated with batch statistics
      const bnNote =
        this.gradients.size === 0 &&
        trainingBatchNormNote(trainingBatchNorms(this.model.graph, this.model.opsetImports));
      if (bnNote) this.note(bnNote);
      const { params, device, threads, workers, output, multiLabel } = this.options;
      const first = this.gradients.size === 0;
      const frozen = opts.frozen;
      const onNote = (message: string) => this.note(message);
      const given = { loss, params, device, threads, workers, output, multiLabel, frozen, onNote };
      gm = GradientModel.open(this.model, given).then((g) => {
        // told once per run: a batch traced at one size runs that many examples at a time
        if (first && g.traced)
          this.note(
            `${this.modelPath} runs at batch ${g.traced.batch} only although its batch is declared free ` +
              `(${g.traced.why}); every pass feeds ${g.traced.batch} example(s) at a time and combines them exactly`,
          );
        return g;
      });
      this.gradients.set(name, gm);
    }
    return gm;
  }

  /**
   * How the run's gradient passes used the cores (GradientModel.parallel): the first gradient model's that
   * settled its form by measurement (neither threads nor workers given), else the first one's form as it
   * ran (--workers where the runs split over them); undefined where no gradient model was opened.
   */
  async parallel(): Promise<ParallelChoice | undefined> {
    let first: ParallelChoice | undefined;
    for (const pending of this.gradients.values()) {
      const gm = await pending.catch(() => undefined);
      if (gm && measurementOf(gm.parallel)) return gm.parallel;
      first ??= gm?.parallel;
    }
    return first;
  }

  /** A data set of the run, opened once per spec; an empty one is refused naming its role (`what`). */
  openSet(spec: string, what: string): Promise<Dataset> {
    let ds = this.sets.get(spec);
    if (!ds) {
      ds = openSet(spec, what, this.dataOptions);
      this.sets.set(spec, ds);
    }
    return ds;
  }

  /**
   * Keeps `batches`, every batch of one whole pass at `batchSize` over `data` (set `spec` as openSet opened
   * it), so that a later reader decoding the set the same way reads them instead of its source (openAs).
   */
  keep(spec: string, data: Dataset, batches: readonly Batch[], batchSize: number): void {
    this.kept.set(spec, keptDataset(data, batches, batchSize));
  }

  /**
   * Set `spec` opened with `opts` (a reader's own options: the record's evaluation): the batches a pass
   * of this run kept (keep) where this run's options decode it the same way, else opened from its source.
   */
  openAs(spec: string, what: string, opts: DatasetOptions): Promise<Dataset> {
    const kept = this.kept.get(spec);
    if (kept && sameDecoding(opts, this.dataOptions)) return Promise.resolve(kept);
    return openSet(spec, what, opts);
  }

  /**
   * Remembers the logits of `head` of the model file at `path` on `batch` (a forward pass of this run,
   * on the run's device and threads), so that another pass over the same batch object reads them (logitsOf).
   */
  rememberLogits(path: string, head: Pick<Head, 'logits' | 'kind'>, batch: Batch, logits: Float32Array): void {
    const key = logitsKey(path, head);
    let byBatch = this.seen.get(key);
    if (!byBatch) this.seen.set(key, (byBatch = new WeakMap()));
    byBatch.set(batch, logits);
  }

  /** The logits rememberLogits holds for this model file, head and batch object; undefined when none. */
  logitsOf(path: string, head: Pick<Head, 'logits' | 'kind'>, batch: Batch): Float32Array | undefined {
    return this.seen.get(logitsKey(path, head))?.get(batch);
  }

  /**
   * A labelled data set read into memory, every input of the model in its own dtype, once per spec
   * (BadInputError, naming `user`, without labels).
   */
  loadSet(spec: string, what: string, user = 'this method'): Promise<ExampleSet> {
    let set = this.loaded.get(spec);
    if (!set) {
      const inputName = modelInputs(this.model)[0]?.name;
      set = this.openSet(spec, what).then((ds) => {
        if (!ds.labelled) throw new BadInputError(`${spec}: the ${what} set has no labels; ${user} needs them.`);
        return loadExamples(ds, { signal: this.signal, inputName }).then((examples) => {
          // every example left out under --on-bad-input skip: nothing to train or forget on
          if (examples.count === 0) throw everyExampleSkipped(spec, what, what === 'forget' ? 'forget' : 'use');
          return examples;
        });
      });
      this.loaded.set(spec, set);
    }
    return set;
  }

  /**
   * Writes the model with `weights` replacing its initializers into a staging folder beside the
   * output and returns it; `commit()` moves it into place. One model is staged at a time.
   */
  stage(weights: ReadonlyMap<string, Float32Array>): StagedModel {
    this.staged?.abort();
    this.staged = stageModel(this.model, this.out, weights);
    return this.staged;
  }

  /** Moves the staged model into place; returns where its files went. */
  commit(): { model: string; dataFiles: string[] } {
    if (!this.staged) throw new Error('RunContext.commit: nothing is staged');
    const written = this.staged.commit();
    this.staged = undefined;
    return written;
  }

  /** Removes the staged model, if any. */
  abort(): void {
    this.staged?.abort();
    this.staged = undefined;
  }

  /**
   * Releases the gradient models and removes anything still staged, and the output folder this context created
   * when nothing was written into it.
   */
  async release(): Promise<void> {
    this.abort();
    const opened = await Promise.allSettled(this.gradients.values());
    for (const r of opened) if (r.status === 'fulfilled') await r.value.release();
    this.gradients.clear();
    this.kept.clear();
    this.seen.clear();
    this.outFolder.removeIfEmpty();
  }
}

/** A model file and the head its logits are read at. */
const logitsKey = (path: string, head: Pick<Head, 'logits' | 'kind'>) =>
  `${resolve(path)}\n${head.logits}\n${head.kind}`;
