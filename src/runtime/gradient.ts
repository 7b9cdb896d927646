// Gradients of a model's loss with respect to its parameters, on ONNX Runtime. The loss is an entry
// of the loss registry (autodiff/losses): the mean cross-entropy by default, LF-SSD's logit norm, or
// a method's own (∇τ's 'matched'); one `run(inputs, lossFeeds)` serves them all.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  buildArtifact,
  buildForwardArtifact,
  gradName,
  LOSS,
  PER_SAMPLE_LOSS,
  squaredGradName,
} from '../autodiff/artifact.js';
import { differentiablePath } from '../autodiff/engine.js';
import {
  binaryCrossEntropy,
  crossEntropy,
  lossDefinition,
  lossesTaking,
  lossInputName,
  type LossDefinition,
  type LossFeeds,
} from '../autodiff/losses/index.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { writeFileAtomic } from '../core/atomic.js';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { rows, type Feeds } from '../core/tensor.js';
import { DataType, DTYPE_NAMES, tensorToFloat32, type Dim, type Model } from '../graph/ir.js';
import { findHead, type Head } from '../graph/head.js';
import { refuseQuantized } from '../graph/quantized.js';
import { discoverParameters, selectParameters, type Parameter } from '../graph/params.js';
import { probeShapes, type ShapeMap } from './shapes.js';
import { Session, type Device, type HostTensor } from './session.js';

export type { LossFeeds } from '../autodiff/losses/index.js';

/** Bumped whenever the artifact's layout changes. */
export const ARTIFACT_VERSION = 3;

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
  threads?: number;
  /** Regular expression over ONNX or PyTorch names choosing the parameters. */
  params?: string;
  squared?: boolean;
  /** Cache folder for built artifacts, or false for none. Default: $SCRUB_CACHE_DIR or ~/.cache/scrub. */
  cache?: string | false;
  /** The model output holding the class scores (default: found from the model; graph/head.ts). */
  output?: string;
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
  inputs: InputSpec[];
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
 * The loss the head calls for: the cross-entropy of a single-logit (binary) head is the binary
 * cross-entropy with logits (graph/head.ts); every other loss as asked.
 */
function headLoss(loss: LossDefinition, head: Head): LossDefinition {
  return head.kind === 'binary' && loss.name === crossEntropy.name ? binaryCrossEntropy : loss;
}

/** The model's one data input; UnsupportedModelError naming them where it has several. */
export function requireOneInput(model: Model, source = model.path): InputSpec[] {
  const inputs = modelInputs(model);
  if (inputs.length !== 1)
    throw new UnsupportedModelError(
      `${source}: scrub handles models with one input; this one has ${inputs.length} ` +
        `(${inputs.map((i) => i.name).join(', ')}).`,
    );
  return inputs;
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
    private readonly session: Session,
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
    private readonly openForward: () => Promise<Session>,
  ) {}

  private forward?: Promise<Session>;

  /**
   * Builds (or reads from the cache) the gradient artifact of `model` for a loss and opens it.
   * Throws UnsupportedModelError for a model scrub cannot differentiate (an op without a rule, an
   * output that is not logits), BadInputError for a `params` pattern that selects nothing.
   */
  static async open(model: Model, opts: GradientOptions = {}): Promise<GradientModel> {
    let def = typeof opts.loss === 'object' ? opts.loss : lossDefinition(opts.loss ?? 'cross-entropy');
    const squared = opts.squared ?? false;
    const cacheDir =
      opts.cache === false
        ? undefined
        : (opts.cache ?? process.env.SCRUB_CACHE_DIR ?? join(homedir(), '.cache', 'scrub'));
    // a loss defined outside autodiff/ (a method's own) is keyed by its code too
    const lossCode = createHash('sha256').update(def.build.toString()).digest('hex');
    const key = createHash('sha256')
      .update(`${modelHash(model)}|${opts.params ?? ''}|${opts.output ?? ''}|${squared}|${def.name}|${lossCode}|`)
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
        if (meta.version !== ARTIFACT_VERSION || meta.loss !== headLoss(def, meta.head).name) bytes = meta = undefined;
      } catch {
        bytes = meta = undefined;
      }
    }
    if (!bytes || !meta) {
      const built = await buildFor(model, opts.params, squared, def, opts.output);
      bytes = built.bytes;
      meta = built.meta;
      if (cacheDir) {
        try {
          mkdirSync(cacheDir, { recursive: true });
          writeFileAtomic(join(cacheDir, `${key}.onnx`), bytes);
          writeFileAtomic(join(cacheDir, `${key}.json`), JSON.stringify(meta));
        } catch {
          // An unwritable cache only costs a rebuild next time.
        }
      }
    }
    const session = await Session.create(bytes, { device: opts.device, threads: opts.threads });
    const m = meta;
    def = headLoss(def, m.head);
    const defaults = new Map(m.params.map((p) => [p.name, tensorToFloat32(model.graph.initializers.get(p.name)!)]));
    const openForward = () =>
      Session.create(buildForwardArtifact(model, m.params, m.head), { device: opts.device, threads: opts.threads });
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
    );
  }

  /**
   * Throws a BadInputError, in the loss's words (class indices, or 0/1 for a binary head), where
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
    return this.execute(feeds, weights);
  }

  /** Logits [N·classes] of `weights` (default: the model's own) for one batch: a forward pass only. */
  async logits(inputs: HostTensor | Feeds, weights?: ReadonlyMap<string, Float32Array>): Promise<Float32Array> {
    const feeds = this.modelFeeds(inputs);
    this.forward ??= this.openForward();
    const session = await this.forward;
    const out = await session.run(this.withWeights(feeds, weights));
    return out[session.outputNames[0]].data as Float32Array;
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
    const out = await this.session.run(this.withWeights(feeds, weights));
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
    if (this.forward) await (await this.forward).release();
  }
}

function isTensor(x: HostTensor | Feeds): x is HostTensor {
  return ArrayBuffer.isView((x as HostTensor).data) && Array.isArray((x as HostTensor).dims);
}

async function buildFor(
  model: Model,
  pattern: string | undefined,
  squared: boolean,
  loss: LossDefinition,
  output: string | undefined,
): Promise<{ bytes: Uint8Array; meta: CachedMeta }> {
  refuseQuantized(model);
  const inputs = requireOneInput(model);
  const shapes = await probeShapes(model);
  const head = findHead(model, (name) => shapes.get(name), output);
  loss = headLoss(loss, head);
  const all = findParameters(model, shapes, [head.logits]);
  if (all.length === 0)
    throw new BadInputError(
      `${model.path}: no trainable float parameters found (every float initializer is a constant or off the ` +
        'input→output path). Nothing to unlearn.',
    );
  const params = selectParameters(all, pattern, model.path);
  const artifact = buildArtifact(model, shapes, params, defaultRegistry(), { squared, loss, output });
  const meta = {
    version: ARTIFACT_VERSION,
    loss: loss.name,
    params,
    logits: artifact.logits,
    classes: artifact.classes,
    head: artifact.head,
  };
  return { bytes: artifact.bytes, meta: { ...meta, inputs } };
}

const ARRAY_DTYPE: Record<string, number> = {
  Float32Array: DataType.FLOAT,
  BigInt64Array: DataType.INT64,
  Int32Array: DataType.INT32,
  Float64Array: DataType.DOUBLE,
};

export function checkInput(source: string, spec: InputSpec, x: HostTensor): void {
  const dtype = ARRAY_DTYPE[x.data.constructor.name];
  if (dtype !== spec.dtype)
    throw new BadInputError(
      `input ${spec.name} of ${source} takes ${DTYPE_NAMES[spec.dtype]}, ` +
        `got ${DTYPE_NAMES[dtype] ?? x.data.constructor.name}.`,
    );
  const batch = spec.dims[0];
  const sameExample =
    x.dims.length === spec.dims.length &&
    spec.dims.every((d, i) => i === 0 || typeof d !== 'number' || d === x.dims[i]);
  const shown = spec.dims.map((d) => d ?? '?').join(', ');
  const orOne = ', or use `scrub grad --batch-size 1`';
  if (typeof batch === 'number' && x.dims[0] !== batch && sameExample)
    throw new UnsupportedModelError(
      `${source}: input ${spec.name} has its batch fixed at ${batch} ([${shown}]), and this pass feeds ` +
        `${x.dims[0]} examples at a time; scrub does not split minibatches into fixed-size runs yet. Re-export ` +
        `the model with a dynamic batch axis (torch.onnx.export dynamic_axes)${batch === 1 ? orOne : ''}.`,
    );
  const bad =
    x.dims.length !== spec.dims.length ||
    spec.dims.some((d, i) => typeof d === 'number' && d !== x.dims[i]) ||
    x.dims.some((d) => d <= 0);
  if (bad)
    throw new BadInputError(
      `input ${spec.name} of ${source} takes shape [${spec.dims.map((d) => d ?? '?').join(', ')}], ` +
        `got [${x.dims.join(', ')}].`,
    );
}

export interface MeanGradient {
  loss: number;
  count: number;
  grads: Map<string, Float32Array>;
}

/**
 * Gradient of the mean loss over a whole set, computed in chunks so memory stays flat:
 * the mean over N is Σ_chunks (n_c/N)·mean over the chunk, accumulated in float64.
 */
export async function meanGradient(
  gm: GradientModel,
  x: HostTensor,
  labels: BigInt64Array,
  chunk: number,
): Promise<MeanGradient> {
  const n = x.dims[0];
  if (labels.length !== n)
    throw new BadInputError(`labels: ${labels.length} labels for ${n} inputs; they must match one to one.`);
  const acc = new Map(gm.params.map((p) => [p.name, new Float64Array(p.shape.reduce((a, b) => a * b, 1))]));
  let loss = 0;
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const r = await gm.run(rows(x, s, e), labels.subarray(s, e));
    const w = (e - s) / n;
    loss += w * r.loss;
    for (const [name, g] of r.grads) {
      const a = acc.get(name)!;
      for (let i = 0; i < g.length; i++) a[i] += w * g[i];
    }
  }
  return { loss, count: n, grads: new Map([...acc].map(([k, v]) => [k, Float32Array.from(v)])) };
}
