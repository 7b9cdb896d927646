// Gradients of a model's loss with respect to its parameters, on ONNX Runtime. The loss is an entry
// of the loss registry (autodiff/losses): the mean cross-entropy by default, LF-SSD's logit norm, or
// a method's own (∇τ's 'matched'); one `run(inputs, lossFeeds)` serves them all.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  buildArtifact,
  buildForwardArtifact,
  gradName,
  LOSS,
  MASK,
  PER_SAMPLE_LOSS,
  freezeParameters,
  refuseOldOpset,
  squaredGradName,
} from '../autodiff/artifact.js';
import { differentiablePath } from '../autodiff/engine.js';
import {
  lossDefinition,
  lossesTaking,
  lossHeads,
  registeredLosses,
  lossInputName,
  type LossDefinition,
  type LossFeeds,
} from '../autodiff/losses/index.js';
import { trainingBatchNorms } from '../autodiff/rules/batch-normalization.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { makeDirs, writeFileAtomic } from '../core/atomic.js';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { rows, type Feeds } from '../core/tensor.js';
import { DataType, DTYPE_NAMES, tensorToFloat32, type Dim, type Model } from '../graph/ir.js';
import { findHead, type Head, type HeadChoice } from '../graph/head.js';
import { refuseQuantized } from '../graph/quantized.js';
import { discoverParameters, selectParameters, type Parameter } from '../graph/params.js';
import { chunkStarts, fixedBatch, paddedRows } from './batching.js';
import { probeModel, type Probe, type ShapeMap } from './shapes.js';
import { ortVersion, Session, type Device, type HostTensor } from './session.js';
import { workerCount, WorkerSessions } from './workers.js';
import {
  candidates,
  choiceFile,
  hostKey,
  PassForm,
  scrubCacheDir,
  type ParallelChoice,
  type ParallelForm,
} from './parallel.js';

/** One run over part of a logical batch: its first row, its rows, the rows fed (with padding), its result. */
interface ChunkResult {
  start: number;
  count: number;
  size: number;
  result: GradientResult;
}

export type { LossFeeds } from '../autodiff/losses/index.js';

/** The largest model ONNX Runtime parses from bytes (protobuf's 2 GiB), less room for the graph. */
const PROTOBUF_LIMIT = 2 ** 31 - 64 * 2 ** 20;

/**
 * Whether an artifact of `artifactBytes` bytes with these parameter values built in as initializers
 * (GradientOptions.frozen) stays under protobuf's 2 GiB; a larger model keeps its weights fed.
 */
export function fitsFrozen(artifactBytes: number, values: ReadonlyMap<string, Float32Array>): boolean {
  let total = artifactBytes;
  for (const v of values.values()) total += v.byteLength;
  return total <= PROTOBUF_LIMIT;
}

/** Bumped whenever the artifact's layout changes. */
export const ARTIFACT_VERSION = 4;

let engineFingerprint: string | undefined;
/** SHA-256 of the autodiff code that builds artifacts: a cache never outlives the rules that made it. */
function fingerprint(): string {
  if (engineFingerprint) return engineFingerprint;
  const h = createHash('sha256');
  const dirs = ['../autodiff/', '../autodiff/rules/', '../autodiff/losses/'].map((d) => new URL(d, import.meta.url));
  for (const dir of dirs)
    for (const f of readdirSync(dir)
      .filter((n) => /\.(js|ts)$/.test(n))
      .sort())
      h.update(f).update(readFileSync(new URL(f, dir)));
  engineFingerprint = h.digest('hex');
  return engineFingerprint;
}

export interface GradientOptions {
  /** The loss: a registered name or a definition (autodiff/losses). Default 'cross-entropy'. */
  loss?: string | LossDefinition;
  device?: Device;
  /**
   * Intra-op threads of the session (default: ONNX Runtime's). With neither this nor `workers`, a long
   * pass measures the form (parallel.ts).
   */
  threads?: number;
  /** Regular expression over ONNX or PyTorch names choosing the parameters. */
  params?: string;
  squared?: boolean;
  /** Cache folder for built artifacts, or false for none. Default: $SCRUB_CACHE_DIR or ~/.cache/scrub. */
  cache?: string | false;
  /** The model output holding the class scores (default: found from the model; graph/head.ts). */
  output?: string;
  /** The head is multi-label (--multi-label; a Sigmoid over several classes is without it): graph/head.ts. */
  multiLabel?: boolean;
  /**
   * The weights never change between runs (SSD's importance passes): they are built into the session
   * as initializers, which ONNX Runtime prepacks (about 1.2× on Conv nets), and a run given other
   * `weights` is refused. A model whose weights would take it past protobuf's 2 GiB keeps them fed.
   */
  frozen?: boolean;
  /** Told when a pass starts measuring its parallel form (a line for the user: it takes a few seconds). */
  onNote?: (message: string) => void;
  /**
   * Data parallelism (CPU only): each batch is split over this many worker threads, one single-threaded
   * session each, and their gradients summed exactly as a fixed batch's chunks are (within float
   * rounding of one session's). Not used for a fixed batch, a loss without a reduction or a
   * training-form BatchNormalization (whose statistics are the batch's): those run in one session.
   * With neither this nor `threads` on the CPU provider, a long pass first measures ONNX Runtime's
   * default threads, a thread per core and a worker per core on its batch and keeps the fastest
   * (parallel.ts, plan).
   */
  workers?: number;
}

export interface GradientResult {
  loss: number;
  perSample: Float32Array;
  logits: Float32Array;
  grads: Map<string, Float32Array>;
  squared?: Map<string, Float32Array>;
}

export interface InputSpec {
  name: string;
  dtype: number;
  dims: Dim[];
}

interface CachedMeta {
  version: number;
  loss: string;
  params: Parameter[];
  logits: string;
  classes: number;
  head: Head;
  /** The model's data inputs, with the batch the probe found where it was traced at one size. */
  inputs: InputSpec[];
  traced?: Probe['traced'];
  /** Whether the artifact takes a per-row mask (a batch fixed above 1: padded rows are masked out). */
  masked: boolean;
}

export function modelHash(model: Model): string {
  const h = createHash('sha256').update(model.bytes);
  for (const t of model.graph.initializers.values()) if (t.location.kind === 'external') h.update(t.bytes);
  return h.digest('hex');
}

/**
 * Trainable parameters, found with the same path analysis the backward pass uses: the float
 * initializers on a differentiable path to `seeds` (default: the head's logits, graph/head.ts).
 */
export function findParameters(model: Model, shapes: ShapeMap, seeds?: readonly string[]): Parameter[] {
  const outs = seeds ?? [findHead(model, (name) => shapes.get(name)).logits];
  return discoverParameters(model, (graph, candidates) => {
    const path = differentiablePath(graph, shapes, candidates, outs, {
      registry: defaultRegistry(),
      opsets: model.opsetImports,
    });
    const used = new Set(path.nodes.flatMap((k) => graph.nodes[k].inputs));
    return new Set(candidates.filter((c) => used.has(c)));
  });
}

/**
 * The loss a head calls for: `loss` where it fits the head (LossDefinition.heads), its swap there
 * (the cross-entropy of a multi-label head is its mean binary cross-entropy), else an
 * UnsupportedModelError naming the loss, the head and what fits.
 */
export function headLoss(loss: LossDefinition, head: Head, source: string): LossDefinition {
  if (lossHeads(loss).includes(head.kind)) return loss;
  const swap = loss.swap?.[head.kind];
  if (swap) return lossDefinition(swap);
  const fits = registeredLosses()
    .filter((l) => lossHeads(l).includes(head.kind))
    .map((l) => l.name);
  throw new UnsupportedModelError(
    `${source}: loss ${loss.name} (${loss.description}) is not defined for the ${head.kind} head ${head.output}; ` +
      `a method computing ${fits.join(' or ')} takes it (SSD, LF-SSD).`,
  );
}

export function modelInputs(model: Model): InputSpec[] {
  const inits = new Set(model.graph.initializers.keys());
  return model.graph.inputs
    .filter((i) => !inits.has(i.name))
    .map((i) => ({ name: i.name, dtype: i.elemType, dims: i.shape ?? [] }));
}

/**
 * A model's gradient artifact (forward, loss, backward) open on ONNX Runtime, with a forward-only
 * session for the logits of new weights. Inputs are batch-first; parameters are float32 and fed at
 * every run (`weights` replaces any of them for one call).
 */
export class GradientModel {
  private constructor(
    /** The loss this artifact computes (its registry name). */
    readonly loss: string,
    readonly lossDefinition: LossDefinition,
    private session: Session,
    readonly params: Parameter[],
    readonly inputs: InputSpec[],
    readonly classes: number,
    /** The model's head: which output holds the class scores and which value is differentiated. */
    readonly head: Head,
    private readonly logitsName: string,
    private readonly squared: boolean,
    readonly source: string,
    /** The weights fed when a run names no others: the model's own values. */
    private readonly defaults: ReadonlyMap<string, Float32Array>,
    /** Opens the forward-only session (built on first use: SSD never needs it). */
    /** Opens the forward artifact (logits) with these intra-op threads (none: as the options say). */
    private readonly openForward: (threads?: number) => Promise<Session>,
    private readonly masked: boolean,
    /** The model's training-form BatchNormalization nodes (their statistics are the physical batch's). */
    private readonly trainingNorms: readonly string[],
    /** The gradient session holds the weights as initializers (GradientOptions.frozen). */
    private readonly frozen: boolean,
    /** Where the model was traced at one batch size although it declares a symbolic one: that size, and why. */
    readonly traced: Probe['traced'] | undefined,
    /** The data-parallel sessions (GradientOptions.workers, or as measured), if any. */
    private workers: WorkerSessions | undefined,
    /** The artifact as the sessions of other forms open it, while the form is to be measured. */
    private runnable: Uint8Array | undefined,
    /** The gradient runs' form: as given (GradientOptions.threads, .workers), or to be measured. */
    private readonly form: PassForm,
    /** The forward runs' threads (logits), likewise. */
    private readonly logitsForm: PassForm,
  ) {
    this.batch = fixedBatch(inputs);
  }

  /**
   * The threads the forward passes (logits) run with (none: ONNX Runtime's default) and how they were
   * settled: as the options say, or measured on the first batch of more than one row of a long pass
   * (planLogits), or an earlier run's measurement.
   */
  get logitsParallel(): ParallelChoice {
    return this.logitsForm.choice;
  }

  /**
   * Says that the coming forward pass (logits) makes about `runs` runs: as `plan` does for gradient runs,
   * its first run of more than one row measures the threads (no workers) where the pass is long enough.
   */
  planLogits(runs: number, signal?: AbortSignal): void {
    this.logitsForm.plan(runs, signal);
  }

  /**
   * The form the runs take (threads, workers; no threads: ONNX Runtime's default) and how it was settled:
   * as the options say, or measured on the first run of more than one row (until then `by` is 'options').
   */
  get parallel(): ParallelChoice {
    const choice = this.form.choice;
    if (choice.by !== 'options' || !choice.workers) return choice;
    // --workers: one thread each where the runs split over them; none where they stay in one session
    // (a fixed batch, a loss without a reduction, a training-form BatchNormalization)
    return this.splits ? { ...choice, threads: 1 } : { ...choice, workers: undefined };
  }

  /**
   * Says that the coming pass makes about `runs` runs. Where the parallel form is measured (neither
   * GradientOptions.threads nor .workers given) and no earlier run on this machine chose it, the pass's
   * first run measures it if the pass would take at least MEASURE_MIN_PASS_MS in the runtime's default
   * form, long enough to repay the measurement; a shorter pass runs in that form (or as an earlier run
   * chose). Without a plan, the same as a short pass. `signal` is checked between the measurement's runs.
   */
  plan(runs: number, signal?: AbortSignal): void {
    this.form.plan(runs, signal);
  }

  /**
   * The batch the model runs at where it is fixed (declared, or traced: `traced`): every run feeds
   * that many rows at a time and combines them exactly; undefined where the batch is free.
   */
  readonly batch: number | undefined;

  /**
   * The worker threads a run of more than one row is split over (GradientOptions.workers), or 1 where
   * runs stay in the one session (no workers, a fixed batch, a loss without a reduction, a
   * training-form BatchNormalization).
   */
  get parallelWorkers(): number {
    return this.workers && this.splits ? this.workers.count : 1;
  }

  /** Whether a batch may be split over workers: a free batch, a loss that combines, no batch statistics. */
  private get splits(): boolean {
    return this.batch === undefined && !!this.lossDefinition.reduction && this.trainingNorms.length === 0;
  }

  private forward?: Promise<Session>;

  /**
   * Builds (or reads from the cache) the gradient artifact of `model` for a loss and opens it.
   * Throws UnsupportedModelError for a model scrub cannot differentiate (an op without a rule, an
   * output that is not logits), BadInputError for a `params` pattern that selects nothing.
   */
  static async open(model: Model, opts: GradientOptions = {}): Promise<GradientModel> {
    let def = typeof opts.loss === 'object' ? opts.loss : lossDefinition(opts.loss ?? 'cross-entropy');
    const squared = opts.squared ?? false;
    const cacheDir = scrubCacheDir(opts.cache);
    // a loss defined outside autodiff/ (a method's own) is keyed by its code too, and by the code of
    // the losses it swaps to on other heads (headLoss)
    const swaps = Object.values(def.swap ?? {}).map((name) => {
      const swapped = registeredLosses().find((l) => l.name === name);
      return swapped ? swapped.build.toString() : name;
    });
    const lossCode = createHash('sha256').update(def.build.toString()).update(swaps.join('|')).digest('hex');
    const key = createHash('sha256')
      .update(`${modelHash(model)}|${opts.params ?? ''}|${opts.output ?? ''}|${opts.multiLabel ?? false}|`)
      .update(`${squared}|${def.name}|${lossCode}|`)
      .update(`${ARTIFACT_VERSION}|`)
      .update(fingerprint())
      .digest('hex')
      .slice(0, 32);
    let bytes: Uint8Array | undefined;
    let meta: CachedMeta | undefined;
    if (cacheDir && existsSync(join(cacheDir, `${key}.json`)) && existsSync(join(cacheDir, `${key}.onnx`))) {
      try {
        meta = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as CachedMeta;
        bytes = new Uint8Array(readFileSync(join(cacheDir, `${key}.onnx`)));
        if (meta.version !== ARTIFACT_VERSION || meta.loss !== headLoss(def, meta.head, model.path).name)
          bytes = meta = undefined;
      } catch {
        bytes = meta = undefined;
      }
    }
    if (!bytes || !meta) {
      const built = await buildFor(model, opts.params, squared, def, {
        output: opts.output,
        multiLabel: opts.multiLabel,
      });
      bytes = built.bytes;
      meta = built.meta;
      if (cacheDir) {
        try {
          makeDirs(cacheDir);
          writeFileAtomic(join(cacheDir, `${key}.onnx`), bytes);
          writeFileAtomic(join(cacheDir, `${key}.json`), JSON.stringify(meta));
        } catch {
          // An unwritable cache only costs a rebuild next time.
        }
      }
    }
    const m = meta;
    def = headLoss(def, m.head, model.path);
    const defaults = new Map(m.params.map((p) => [p.name, tensorToFloat32(model.graph.initializers.get(p.name)!)]));
    const device = opts.device ?? 'cpu';
    const count = workerCount(opts.workers, device);
    const measure = opts.threads === undefined && opts.workers === undefined && device === 'cpu';
    // a protobuf model holds at most 2 GiB: past that the weights stay fed (the same values, unpacked)
    const frozen = (opts.frozen ?? false) && fitsFrozen(bytes.byteLength, defaults);
    const runnable = frozen ? freezeParameters(bytes, m.params, defaults) : bytes;
    const session = await Session.create(runnable, { device: opts.device, threads: opts.threads });
    let workers: WorkerSessions | undefined;
    if (count > 1) {
      try {
        workers = await WorkerSessions.open(runnable, count, model.path);
      } catch (e) {
        await session.release();
        throw e;
      }
    }
    const site = { host: hostKey(ortVersion(device)), onNote: opts.onNote, options: '--threads or --workers' };
    let forwardBytes: Uint8Array | undefined;
    const openForward = (threads = opts.threads) =>
      Session.create((forwardBytes ??= buildForwardArtifact(model, m.params, m.head)), {
        device: opts.device,
        threads,
      });
    return new GradientModel(
      def.name,
      def,
      session,
      m.params,
      m.inputs,
      m.classes,
      m.head,
      m.logits,
      squared,
      model.path,
      defaults,
      openForward,
      m.masked,
      trainingBatchNorms(model.graph, model.opsetImports),
      frozen,
      m.traced,
      workers,
      measure ? runnable : undefined,
      new PassForm(
        { threads: opts.threads, ...(count > 1 ? { workers: count } : {}), by: 'options' },
        measure
          ? { ...site, file: cacheDir && choiceFile(cacheDir, key, frozen), what: "this pass's first batch" }
          : undefined,
      ),
      new PassForm(
        { threads: opts.threads, by: 'options' },
        measure
          ? {
              ...site,
              file: cacheDir && `${cacheDir}/${key}.logits.parallel.json`,
              what: "this forward pass's first batch",
            }
          : undefined,
      ),
    );
  }

  /**
   * Throws a BadInputError, in the loss's words (class indices: 0 and 1 for a binary head), where
   * `labels` do not fit it; `index` maps each label to its example's position in `source`.
   */
  checkLabels(labels: BigInt64Array, source: string, index?: readonly number[]): void {
    this.lossDefinition.check?.({ labels }, labels.length, this.classes, source, index);
  }

  /**
   * The loss, per-example losses [N], logits [N·C] and gradients (float32, one per parameter, in the
   * parameter's shape) of one batch.
   * - `inputs`: the model's inputs by name, or the tensor of a one-input model ([N, ...], its dtype).
   * - `lossFeeds`: the loss's per-batch inputs by key (float32 or int64, [N] or [N, C] as the loss
   *   declares), or, for a loss whose one input is `labels`, the int64 labels [N] alone.
   * - `weights`: parameter values for this call (default: the model's own), float32 by name.
   * Throws BadInputError for inputs or feeds that do not fit, naming the input and what it takes.
   */
  async run(
    inputs: HostTensor | Feeds,
    lossFeeds: LossFeeds | BigInt64Array = {},
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    const feeds = this.modelFeeds(inputs);
    const n = feeds[this.inputs[0].name].dims[0];
    for (const spec of this.inputs)
      if (feeds[spec.name].dims[0] !== n)
        throw new BadInputError(
          `${this.source}: input ${spec.name} has ${feeds[spec.name].dims[0]} examples, ` +
            `${this.inputs[0].name} has ${n}; every input takes the same examples.`,
        );
    const given: LossFeeds = lossFeeds instanceof BigInt64Array ? { labels: lossFeeds } : lossFeeds;
    const def = this.lossDefinition;
    let count = 0;
    let unknown = false;
    for (const k in given) {
      count++;
      if (!def.inputs.some((i) => i.key === k)) unknown = true;
    }
    if (unknown || count !== def.inputs.length) {
      const keys = def.inputs.map((i) => i.key);
      const fits = lossesTaking(Object.keys(given)).map((f) => `'${f}'`);
      const what = count ? `loss feeds [${Object.keys(given).join(', ')}]` : 'no loss feeds';
      const also = fits.length > 1 ? ` (${fits.slice(1).join(', ')} also take them)` : '';
      throw new BadInputError(
        `GradientModel.run with ${what} needs a model opened with loss ${fits[0] ?? 'taking them'}; ` +
          `this one computes '${this.loss}', which takes [${keys.join(', ')}]${also}.`,
      );
    }
    // the loss's own check first, in its words (a label range, its arrays' sizes), then the shapes
    def.check?.(given, n, this.classes, this.source);
    for (const i of def.inputs) {
      const data = given[i.key];
      const size = i.shape === 'batch' ? n : n * this.classes;
      const want = i.dtype === 'int64' ? BigInt64Array : Float32Array;
      if (!(data instanceof want) || data.length !== size)
        throw new BadInputError(
          `loss ${def.name}: ${i.key} for a batch of ${n} must be ${i.dtype} ` +
            `[${i.shape === 'batch' ? n : `${n}, ${this.classes}`}], got ${data.constructor.name} of ${data.length}.`,
        );
      feeds[lossInputName(i.key)] = { data, dims: i.shape === 'batch' ? [n] : [n, this.classes] };
    }
    await this.settle(feeds, n, weights);
    return this.dispatch(feeds, n, weights);
  }

  /** A batch's run in the form chosen: split over the workers, at once, or in chunks of a fixed batch. */
  private dispatch(
    feeds: Record<string, HostTensor>,
    n: number,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    if (n > 1 && this.parallelWorkers > 1) return this.runParallel(feeds, n, weights);
    if (this.batch === undefined || n === this.batch) {
      if (this.masked) feeds[MASK] = { data: new Float32Array(n).fill(1), dims: [n] };
      return this.execute(feeds, weights);
    }
    return this.runChunked(feeds, n, this.batch, weights);
  }

  /**
   * Settles the gradient runs' form at the first run of more than one row where it is measured
   * (parallel.ts PassForm.ready: an earlier run's choice on this machine, or each form timed on this batch
   * where the planned pass is long enough).
   */
  private async settle(
    feeds: Record<string, HostTensor>,
    n: number,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<void> {
    if (!this.form.open) return;
    const single = this.session;
    type Lane = { session?: Session; workers?: WorkerSessions };
    const first: Lane = { session: single };
    await this.form.ready<Lane>(
      n,
      // each worker holds the artifact again: past AUTO_WORKERS_BYTES they are not tried
      () => candidates(availableParallelism(), this.splits && this.runnable!.byteLength <= AUTO_WORKERS_BYTES),
      () => first,
      {
        open: (form) => this.openForm(form, single),
        use: (lane) => ([this.session, this.workers] = [lane.session ?? single, lane.workers]),
        // workers keep the single session for runs of one row
        release: async (lane) =>
          lane.workers ? lane.workers.release() : lane === first && this.workers ? undefined : lane.session!.release(),
      },
      () => this.dispatch({ ...feeds }, n, weights),
    );
    if (!this.form.open) this.runnable = undefined; // settled: the artifact's bytes are not needed again
  }

  /** The sessions of a form: the one opened with the runtime's default threads, another session, or workers. */
  private async openForm(
    form: ParallelForm,
    single: Session,
  ): Promise<{ session?: Session; workers?: WorkerSessions }> {
    const runnable = this.runnable!;
    if (form.workers) return { workers: await WorkerSessions.open(runnable, form.workers, this.source) };
    if (form.threads === undefined) return { session: single };
    return { session: await Session.create(runnable, { threads: form.threads, source: this.source }) };
  }

  /**
   * One logical batch of `n` rows of a model whose batch is fixed at `size`, as consecutive runs of
   * `size` rows (a partial last one padded, its padded rows masked out of dL/dlogits and dropped from
   * every output): the loss and gradients of the whole batch, exactly (LossDefinition.reduction:
   * a 'mean' loss weighs chunk c by size/n, a 'sum' loss adds them; zero-fed padded rows add nothing).
   */
  private async runChunked(
    feeds: Record<string, HostTensor>,
    n: number,
    size: number,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    const def = this.lossDefinition;
    const why = (what: string) =>
      new UnsupportedModelError(
        `${this.source}: its batch is fixed at ${size}, so a batch of ${n} runs as chunks of ${size}; ${what}. ` +
          'Re-export the model with a dynamic batch axis (torch.onnx.export dynamic_axes).',
      );
    if (!def.reduction) throw why(`loss ${def.name} cannot be combined over chunks`);
    if (this.trainingNorms.length > 0)
      throw why(
        `its training-form BatchNormalization ${this.trainingNorms[0]} would take the statistics of each chunk ` +
          'instead of the batch (or export it in eval mode)',
      );
    if (this.masked && def.reduction === 'sum' && n % size !== 0)
      for (const i of def.inputs)
        if (i.dtype !== 'float32')
          throw why(`loss ${def.name} has a non-float input (${i.key}) that cannot zero a padded row`);
    const lossKeys = new Set(def.inputs.map((i) => lossInputName(i.key)));
    const parts: ChunkResult[] = [];
    for (const { start, count } of chunkStarts(n, size)) {
      const chunk: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(feeds))
        chunk[name] = paddedRows(t, start, count, size, lossKeys.has(name));
      if (this.masked) {
        const mask = new Float32Array(size);
        mask.fill(1, 0, count);
        chunk[MASK] = { data: mask, dims: [size] };
      }
      parts.push({ start, count, size, result: await this.execute(chunk, weights) });
    }
    return this.combine(n, parts);
  }

  /**
   * One logical batch of `n` rows split over the worker sessions (GradientOptions.workers), each part
   * run at the same time on its own core, combined exactly as runChunked combines chunks.
   */
  private async runParallel(
    feeds: Record<string, HostTensor>,
    n: number,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    const pool = this.workers!;
    const k = Math.min(pool.count, n);
    const spans = Array.from({ length: k }, (_, i) => {
      const start = Math.round((i * n) / k);
      return { start, count: Math.round(((i + 1) * n) / k) - start };
    });
    const parts = spans.map(({ start, count }) => {
      const part: Record<string, HostTensor> = {};
      // a copy of the part's rows only: a view would carry its whole buffer to the worker
      for (const [name, t] of Object.entries(feeds)) {
        const view = rows(t, start, start + count);
        part[name] = { data: view.data.slice() as HostTensor['data'], dims: view.dims };
      }
      if (this.masked) part[MASK] = { data: new Float32Array(count).fill(1), dims: [count] };
      return this.fed(part, weights);
    });
    const outs = await pool.run(parts);
    return this.combine(
      n,
      spans.map((s, i) => ({ ...s, size: s.count, result: this.resultOf(outs[i]) })),
    );
  }

  /**
   * The loss and gradients of a logical batch of `n` rows from runs over its parts (LossDefinition.reduction:
   * a 'mean' loss weighs a part of `size` rows fed by size/n, a 'sum' loss adds them; padded rows, fed
   * zero loss weights, add nothing), summed in float64; squared gradients from the combined ones.
   */
  private combine(n: number, parts: ChunkResult[]): GradientResult {
    const def = this.lossDefinition;
    const acc = new Map(this.params.map((p) => [p.name, new Float64Array(this.defaults.get(p.name)!.length)]));
    const perSample = new Float32Array(n);
    const logits = new Float32Array(n * this.classes);
    let loss = 0;
    for (const { start, count, size, result: r } of parts) {
      const scale = def.reduction === 'mean' ? size / n : 1;
      for (const [name, g] of r.grads) {
        const a = acc.get(name)!;
        for (let k = 0; k < g.length; k++) a[k] += scale * g[k];
      }
      perSample.set(r.perSample.subarray(0, count), start);
      logits.set(r.logits.subarray(0, count * this.classes), start * this.classes);
      if (def.reduction === 'sum') loss += r.loss;
      else for (let k = 0; k < count; k++) loss += r.perSample[k] / n;
    }
    const grads = new Map([...acc].map(([name, a]) => [name, Float32Array.from(a)]));
    const result: GradientResult = { loss, perSample, logits, grads };
    if (this.squared) result.squared = new Map([...grads].map(([name, g]) => [name, g.map((v) => v * v)]));
    return result;
  }

  /** Logits [N·classes] of `weights` (default: the model's own) for one batch: a forward pass only. */
  async logits(inputs: HostTensor | Feeds, weights?: ReadonlyMap<string, Float32Array>): Promise<Float32Array> {
    const feeds = this.modelFeeds(inputs);
    this.forward ??= this.openForward();
    let session = await this.forward;
    await this.logitsForm.ready(
      feeds[this.inputs[0].name].dims[0],
      () => candidates(availableParallelism(), false),
      () => session,
      {
        open: (form) => this.openForward(form.threads),
        use: (s) => void (this.forward = Promise.resolve((session = s))),
        release: (s) => s.release(),
      },
      () => this.runLogits(session, { ...feeds }, weights),
    );
    return this.runLogits(await this.forward, feeds, weights);
  }

  private runLogits(
    session: Session,
    feeds: Record<string, HostTensor>,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<Float32Array> {
    return chunkedLogits(feeds, this.batch, async (f) => {
      const out = await session.run(this.withWeights(f, weights));
      return out[session.outputNames[0]].data as Float32Array;
    });
  }

  /** The model's inputs as feeds, each checked against its spec. */
  private modelFeeds(inputs: HostTensor | Feeds): Record<string, HostTensor> {
    if (isTensor(inputs) && this.inputs.length === 1) {
      checkInput(this.source, this.inputs[0], inputs);
      return { [this.inputs[0].name]: inputs };
    }
    const byName: Feeds = isTensor(inputs) ? { [this.inputs[0].name]: inputs } : inputs;
    const feeds: Record<string, HostTensor> = {};
    for (const spec of this.inputs) {
      const x = byName[spec.name];
      if (!x)
        throw new BadInputError(
          `${this.source} takes inputs ${this.inputs.map((i) => i.name).join(', ')}; ${spec.name} was not given.`,
        );
      checkInput(this.source, spec, x);
      feeds[spec.name] = x;
    }
    return feeds;
  }

  private withWeights(
    feeds: Record<string, HostTensor>,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Record<string, HostTensor> {
    for (const p of this.params) {
      const w = weights?.get(p.name) ?? this.defaults.get(p.name)!;
      const want = this.defaults.get(p.name)!.length;
      if (w.length !== want)
        throw new BadInputError(`weights for ${p.name}: ${w.length} values, the parameter [${p.shape}] has ${want}.`);
      feeds[p.name] = { data: w, dims: p.shape };
    }
    return feeds;
  }

  private async execute(
    feeds: Record<string, HostTensor>,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    return this.resultOf(await this.session.run(this.fed(feeds, weights)));
  }

  /** A run's feeds with the weights: none where they are built in (frozen), where others are refused. */
  private fed(
    feeds: Record<string, HostTensor>,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Record<string, HostTensor> {
    if (!this.frozen) return this.withWeights(feeds, weights);
    if (weights?.size)
      throw new Error(
        `${this.source}: this gradient model was opened with frozen weights; open it without to feed others`,
      );
    return feeds;
  }

  /** The outputs of one run of the artifact as a GradientResult. */
  private resultOf(out: Record<string, HostTensor>): GradientResult {
    const grads = new Map(this.params.map((p) => [p.name, out[gradName(p.name)].data as Float32Array]));
    const result: GradientResult = {
      loss: (out[LOSS].data as Float32Array)[0],
      perSample: out[PER_SAMPLE_LOSS].data as Float32Array,
      logits: out[this.logitsName].data as Float32Array,
      grads,
    };
    if (this.squared)
      result.squared = new Map(this.params.map((p) => [p.name, out[squaredGradName(p.name)].data as Float32Array]));
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.workers?.release();
    if (this.forward) await (await this.forward).release();
  }
}

/** Each worker holds the artifact: past this size (weights built in) workers are not among the forms measured. */
const AUTO_WORKERS_BYTES = 256 * 2 ** 20;

/**
 * The logits [N·classes] of a batch of feeds run by `forward`, in chunks of `batch` rows (padded rows
 * dropped) where the model's batch is fixed, else at once.
 */
export async function chunkedLogits(
  feeds: Record<string, HostTensor>,
  batch: number | undefined,
  forward: (feeds: Record<string, HostTensor>) => Promise<Float32Array>,
): Promise<Float32Array> {
  const n = Object.values(feeds)[0].dims[0];
  if (batch === undefined || n === batch) return forward(feeds);
  let logits: Float32Array | undefined;
  for (const { start, count } of chunkStarts(n, batch)) {
    const chunk = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, paddedRows(t, start, count, batch)]));
    const out = await forward(chunk);
    const per = out.length / batch;
    logits ??= new Float32Array(n * per);
    logits.set(out.subarray(0, count * per), start * per);
  }
  return logits!;
}

function isTensor(x: HostTensor | Feeds): x is HostTensor {
  return ArrayBuffer.isView((x as HostTensor).data) && Array.isArray((x as HostTensor).dims);
}

async function buildFor(
  model: Model,
  pattern: string | undefined,
  squared: boolean,
  loss: LossDefinition,
  choice: HeadChoice,
): Promise<{ bytes: Uint8Array; meta: CachedMeta }> {
  refuseQuantized(model);
  const declared = modelInputs(model);
  if (declared.length === 0) throw new UnsupportedModelError(`${model.path}: the model has no data input.`);
  refuseOldOpset(model); // before ONNX Runtime meets ops older than opset 7
  const { shapes, traced } = await probeModel(model);
  const inputs = declared.map((i) => ({
    ...i,
    dims: shapes.get(i.name)?.dims.map((d, k) => d ?? i.dims[k]) ?? i.dims,
  }));
  const head = findHead(model, (name) => shapes.get(name), choice);
  loss = headLoss(loss, head, model.path);
  const all = findParameters(model, shapes, [head.logits]);
  if (all.length === 0)
    throw new BadInputError(
      `${model.path}: no trainable float parameters found (every float initializer is a constant or off the ` +
        'input→output path). Nothing to unlearn.',
    );
  const params = selectParameters(all, pattern, model.path);
  const artifact = buildArtifact(model, shapes, params, defaultRegistry(), { squared, loss, head });
  const meta = {
    version: ARTIFACT_VERSION,
    loss: loss.name,
    params,
    logits: artifact.logits,
    classes: artifact.classes,
    head: artifact.head,
  };
  return { bytes: artifact.bytes, meta: { ...meta, inputs, masked: artifact.masked, ...(traced ? { traced } : {}) } };
}

const ARRAY_DTYPE: Record<string, number> = {
  Float32Array: DataType.FLOAT,
  BigInt64Array: DataType.INT64,
  Int32Array: DataType.INT32,
  Float64Array: DataType.DOUBLE,
};

/**
 * Throws BadInputError where `x` does not fit the input `spec`: its dtype, its rank and every fixed
 * dimension but the batch (a batch fixed by the model is met by running in chunks: GradientModel.run).
 */
export function checkInput(source: string, spec: InputSpec, x: HostTensor): void {
  const dtype = ARRAY_DTYPE[x.data.constructor.name];
  if (dtype !== spec.dtype)
    throw new BadInputError(
      `input ${spec.name} of ${source} takes ${DTYPE_NAMES[spec.dtype]}, ` +
        `got ${DTYPE_NAMES[dtype] ?? x.data.constructor.name}.`,
    );
  const bad =
    x.dims.length !== spec.dims.length ||
    spec.dims.some((d, i) => i > 0 && typeof d === 'number' && d !== x.dims[i]) ||
    x.dims.some((d) => d <= 0);
  if (bad) {
    const shown = spec.dims.map((d) => d ?? '?').join(', ');
    throw new BadInputError(`input ${spec.name} of ${source} takes shape [${shown}], got [${x.dims.join(', ')}].`);
  }
}

export interface MeanGradient {
  loss: number;
  count: number;
  grads: Map<string, Float32Array>;
}

/**
 * Gradient of the mean loss over a whole set, computed in chunks so memory stays flat:
 * the mean over N is Σ_chunks (n_c/N)·mean over the chunk, accumulated in float64. `labels` are the
 * loss's feeds for the whole set (class indices [N], or `{ targets }` [N·C] for a multi-label head).
 */
export async function meanGradient(
  gm: GradientModel,
  x: HostTensor | Feeds,
  labels: BigInt64Array | LossFeeds,
  chunk: number,
): Promise<MeanGradient> {
  const inputs: Feeds = isTensor(x) ? { [gm.inputs[0].name]: x } : x;
  const n = Object.values(inputs)[0].dims[0];
  const feeds: LossFeeds = labels instanceof BigInt64Array ? { labels } : labels;
  for (const [key, data] of Object.entries(feeds))
    if (data.length % n !== 0 || (key === 'labels' && data.length !== n))
      throw new BadInputError(
        `${key}: ${key === 'labels' ? `${data.length} labels` : `${data.length} values`} for ${n} inputs; ` +
          'they must match one to one.',
      );
  const slice = (s: number, e: number): LossFeeds =>
    Object.fromEntries(
      Object.entries(feeds).map(([k, d]) => {
        const per = d.length / n;
        return [k, d.subarray(s * per, e * per) as typeof d];
      }),
    );
  const acc = new Map(gm.params.map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
  let loss = 0;
  gm.plan(Math.ceil(n / chunk));
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const part = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, rows(t, s, e)]));
    const r = await gm.run(part, slice(s, e));
    const w = (e - s) / n;
    loss += w * r.loss;
    for (const [name, g] of r.grads) {
      const a = acc.get(name)!;
      for (let i = 0; i < g.length; i++) a[i] += w * g[i];
    }
  }
  return { loss, count: n, grads: new Map([...acc].map(([k, v]) => [k, Float32Array.from(v)])) };
}
