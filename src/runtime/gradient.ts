// Gradients of a model's loss (mean cross-entropy, or LF-SSD's mean squared logit norm) with respect
// to its parameters, on ONNX Runtime.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  buildArtifact,
  buildForwardArtifact,
  gradName,
  LABELS,
  LOSS,
  MATCHED_INPUTS,
  PER_SAMPLE_LOSS,
  squaredGradName,
} from '../autodiff/artifact.js';
import { differentiablePath } from '../autodiff/engine.js';
import { LOSS_KINDS, type LossKind } from '../autodiff/loss.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { BadInputError, ScrubError } from '../core/errors.js';
import { DataType, DTYPE_NAMES, tensorToFloat32, type Dim, type Model } from '../graph/ir.js';
import { discoverParameters, selectParameters, type Parameter } from '../graph/params.js';
import { rows } from '../core/tensor.js';
import { probeShapes, type ShapeMap } from './shapes.js';
import { Session, type Device, type HostTensor } from './session.js';

/** Bumped whenever the artifact's layout changes. */
export const ARTIFACT_VERSION = 1;

let engineFingerprint: string | undefined;
/** SHA-256 of the autodiff code that builds artifacts: a cache never outlives the rules that made it. */
function fingerprint(): string {
  if (engineFingerprint) return engineFingerprint;
  const h = createHash('sha256');
  const dirs = [new URL('../autodiff/', import.meta.url), new URL('../autodiff/rules/', import.meta.url)];
  for (const dir of dirs)
    for (const f of readdirSync(dir)
      .filter((n) => /\.(js|ts)$/.test(n))
      .sort())
      h.update(f).update(readFileSync(new URL(f, dir)));
  engineFingerprint = h.digest('hex');
  return engineFingerprint;
}

export type { LossKind } from '../autodiff/loss.js';

export interface GradientOptions<L extends LossKind = LossKind> {
  /** Default 'cross-entropy' (call `run` with labels); 'logit-norm' takes none (call `runLabelFree`). */
  loss?: L;
  device?: Device;
  threads?: number;
  /** Regular expression over ONNX or PyTorch names choosing the parameters. */
  params?: string;
  squared?: boolean;
  /** Cache folder for built artifacts, or false for none. Default: $SCRUB_CACHE_DIR or ~/.cache/scrub. */
  cache?: string | false;
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
  loss: LossKind;
  params: Parameter[];
  logits: string;
  classes: number;
  inputs: InputSpec[];
}

export function modelHash(model: Model): string {
  const h = createHash('sha256').update(model.bytes);
  for (const t of model.graph.initializers.values()) if (t.location.kind === 'external') h.update(t.bytes);
  return h.digest('hex');
}

/** Trainable parameters, found with the same path analysis the backward pass uses. */
export function findParameters(model: Model, shapes: ShapeMap): Parameter[] {
  return discoverParameters(model, (graph, candidates) => {
    const outs = graph.outputs.map((o) => o.name);
    const path = differentiablePath(graph, shapes, candidates, outs);
    const used = new Set(path.nodes.flatMap((k) => graph.nodes[k].inputs));
    return new Set(candidates.filter((c) => used.has(c)));
  });
}

export function modelInputs(model: Model): InputSpec[] {
  const inits = new Set(model.graph.initializers.keys());
  return model.graph.inputs
    .filter((i) => !inits.has(i.name))
    .map((i) => ({ name: i.name, dtype: i.elemType, dims: i.shape ?? [] }));
}

/** Either kind; `loss` tells them apart (and narrows the type). */
export type AnyGradientModel = GradientModel<'cross-entropy'> | GradientModel<'logit-norm'>;

/** A batch of the 'matched' loss (autodiff/loss.ts): soft targets [N·C] row-major, and w, v, g [N]. */
export interface MatchedBatch {
  targets: Float32Array;
  weights: Float32Array;
  matchWeights: Float32Array;
  targetLogOdds: Float32Array;
}

export class GradientModel<L extends LossKind = 'cross-entropy'> {
  private constructor(
    readonly loss: L,
    private readonly session: Session,
    readonly params: Parameter[],
    readonly inputs: InputSpec[],
    readonly classes: number,
    private readonly logitsName: string,
    private readonly squared: boolean,
    readonly source: string,
    /** The weights fed when a run names no others: the model's own values. */
    private readonly defaults: ReadonlyMap<string, Float32Array>,
    /** Opens the forward-only session (built on first use: SSD never needs it). */
    private readonly openForward: () => Promise<Session>,
  ) {}

  private forward?: Promise<Session>;

  static open(model: Model, opts?: GradientOptions<'cross-entropy'>): Promise<GradientModel<'cross-entropy'>>;
  static open(
    model: Model,
    opts: GradientOptions<'logit-norm'> & { loss: 'logit-norm' },
  ): Promise<GradientModel<'logit-norm'>>;
  static open(model: Model, opts: GradientOptions<'matched'> & { loss: 'matched' }): Promise<GradientModel<'matched'>>;
  static open(model: Model, opts: GradientOptions): Promise<AnyGradientModel>;
  static async open(model: Model, opts: GradientOptions = {}): Promise<AnyGradientModel | GradientModel<'matched'>> {
    const loss = opts.loss ?? 'cross-entropy';
    if (!LOSS_KINDS.includes(loss)) throw new Error(`unknown loss ${loss}; expected ${LOSS_KINDS.join(' or ')}`);
    const squared = opts.squared ?? false;
    const cacheDir =
      opts.cache === false
        ? undefined
        : (opts.cache ?? process.env.SCRUB_CACHE_DIR ?? join(homedir(), '.cache', 'scrub'));
    const key = createHash('sha256')
      .update(`${modelHash(model)}|${opts.params ?? ''}|${squared}|${loss}|${ARTIFACT_VERSION}|${fingerprint()}`)
      .digest('hex')
      .slice(0, 32);
    let bytes: Uint8Array | undefined;
    let meta: CachedMeta | undefined;
    if (cacheDir && existsSync(join(cacheDir, `${key}.json`)) && existsSync(join(cacheDir, `${key}.onnx`))) {
      try {
        meta = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as CachedMeta;
        bytes = new Uint8Array(readFileSync(join(cacheDir, `${key}.onnx`)));
        if (meta.version !== ARTIFACT_VERSION || meta.loss !== loss) bytes = meta = undefined;
      } catch {
        bytes = meta = undefined;
      }
    }
    if (!bytes || !meta) {
      const built = await buildFor(model, opts.params, squared, loss);
      bytes = built.bytes;
      meta = built.meta;
      if (cacheDir) {
        try {
          mkdirSync(cacheDir, { recursive: true });
          writeAtomic(join(cacheDir, `${key}.onnx`), bytes);
          writeAtomic(join(cacheDir, `${key}.json`), new TextEncoder().encode(JSON.stringify(meta)));
        } catch {
          // An unwritable cache only costs a rebuild next time.
        }
      }
    }
    const session = await Session.create(bytes, { device: opts.device, threads: opts.threads });
    const m = meta;
    const defaults = new Map(m.params.map((p) => [p.name, tensorToFloat32(model.graph.initializers.get(p.name)!)]));
    const openForward = () =>
      Session.create(buildForwardArtifact(model, m.params), { device: opts.device, threads: opts.threads });
    const make = <K extends LossKind>(k: K) =>
      new GradientModel(
        k,
        session,
        m.params,
        m.inputs,
        m.classes,
        m.logits,
        squared,
        model.path,
        defaults,
        openForward,
      );
    return loss === 'logit-norm' ? make('logit-norm') : loss === 'matched' ? make('matched') : make('cross-entropy');
  }

  /** Throws a ScrubError when a batch does not fit the model (shape, dtype, label range). */
  checkBatch(x: HostTensor, labels: BigInt64Array): void {
    checkInput(this.source, this.inputs[0], x);
    checkLabels(this.source, labels, x.dims[0], this.classes);
  }

  /** Cross-entropy loss and gradients for one batch; `weights` replaces parameter values for this call. */
  async run(
    this: GradientModel<'cross-entropy'>,
    x: HostTensor,
    labels: BigInt64Array,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    this.expect('cross-entropy', 'run');
    this.checkBatch(x, labels);
    return this.execute({ [this.inputs[0].name]: x, [LABELS]: { data: labels, dims: [labels.length] } }, weights);
  }

  /** Logit-norm loss and gradients for one batch (no labels); `weights` as for `run`. */
  async runLabelFree(
    this: GradientModel<'logit-norm'>,
    x: HostTensor,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    this.expect('logit-norm', 'runLabelFree');
    checkInput(this.source, this.inputs[0], x);
    return this.execute({ [this.inputs[0].name]: x }, weights);
  }

  /** The 'matched' loss and its gradients for one batch; `weights` as for `run`. */
  async runMatched(
    this: GradientModel<'matched'>,
    x: HostTensor,
    m: MatchedBatch,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Promise<GradientResult> {
    this.expect('matched', 'runMatched');
    checkInput(this.source, this.inputs[0], x);
    const n = x.dims[0];
    if (
      m.targets.length !== n * this.classes ||
      [m.weights, m.matchWeights, m.targetLogOdds].some((a) => a.length !== n)
    )
      throw new Error(
        `GradientModel.runMatched: a batch of ${n} needs targets of ${n}×${this.classes} and per-sample arrays of ${n}`,
      );
    return this.execute(
      {
        [this.inputs[0].name]: x,
        [MATCHED_INPUTS.targets]: { data: m.targets, dims: [n, this.classes] },
        [MATCHED_INPUTS.weights]: { data: m.weights, dims: [n] },
        [MATCHED_INPUTS.matchWeights]: { data: m.matchWeights, dims: [n] },
        [MATCHED_INPUTS.targetLogOdds]: { data: m.targetLogOdds, dims: [n] },
      },
      weights,
    );
  }

  // A cast can defeat the `this` types above; the artifact's inputs cannot be fed the other way.
  private expect(loss: LossKind, method: string): void {
    if (this.loss !== loss)
      throw new Error(
        `GradientModel.${method} needs a model opened with loss '${loss}'; this one computes '${this.loss}'.`,
      );
  }

  /** Logits [N·classes] of `weights` (default: the model's own) for one batch: a forward pass only. */
  async logits(x: HostTensor, weights?: ReadonlyMap<string, Float32Array>): Promise<Float32Array> {
    checkInput(this.source, this.inputs[0], x);
    this.forward ??= this.openForward();
    const session = await this.forward;
    const out = await session.run(this.withWeights({ [this.inputs[0].name]: x }, weights));
    return out[session.outputNames[0]].data as Float32Array;
  }

  private withWeights(
    feeds: Record<string, HostTensor>,
    weights?: ReadonlyMap<string, Float32Array>,
  ): Record<string, HostTensor> {
    for (const p of this.params) {
      const w = weights?.get(p.name) ?? this.defaults.get(p.name)!;
      if (w.length !== this.defaults.get(p.name)!.length)
        throw new BadInputError(
          `weights for ${p.name}: ${w.length} values, the parameter [${p.shape}] has ${this.defaults.get(p.name)!.length}.`,
        );
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

async function buildFor(
  model: Model,
  pattern: string | undefined,
  squared: boolean,
  loss: LossKind,
): Promise<{ bytes: Uint8Array; meta: CachedMeta }> {
  const inputs = modelInputs(model);
  if (inputs.length !== 1)
    throw new BadInputError(
      `${model.path}: scrub handles models with one input; this one has ${inputs.length} (${inputs.map((i) => i.name).join(', ')}).`,
    );
  const shapes = await probeShapes(model);
  const all = findParameters(model, shapes);
  if (all.length === 0)
    throw new BadInputError(
      `${model.path}: no trainable float parameters found (every float initializer is a constant or off the input→output path). Nothing to unlearn.`,
    );
  const params = selectParameters(all, pattern, model.path);
  const artifact = buildArtifact(model, shapes, params, defaultRegistry(), { squared, loss });
  return {
    bytes: artifact.bytes,
    meta: { version: ARTIFACT_VERSION, loss, params, logits: artifact.logits, classes: artifact.classes, inputs },
  };
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
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
      `input ${spec.name} of ${source} takes ${DTYPE_NAMES[spec.dtype]}, got ${DTYPE_NAMES[dtype] ?? x.data.constructor.name}.`,
    );
  const bad =
    x.dims.length !== spec.dims.length ||
    spec.dims.some((d, i) => typeof d === 'number' && d !== x.dims[i]) ||
    x.dims.some((d) => d <= 0);
  if (bad)
    throw new BadInputError(
      `input ${spec.name} of ${source} takes shape [${spec.dims.map((d) => d ?? '?').join(', ')}], got [${x.dims.join(', ')}].`,
    );
}

export function checkLabels(source: string, labels: BigInt64Array, n: number, classes: number): void {
  if (labels.length !== n)
    throw new BadInputError(
      `labels: ${labels.length} labels for ${n} inputs of ${source}; they must match one to one.`,
    );
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0n || labels[i] >= BigInt(classes))
      throw new BadInputError(
        `labels: label ${labels[i]} at index ${i} is outside the model's ${classes} classes (0..${classes - 1}).`,
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
