// Labelled sets held in memory, for methods that draw minibatches in a fresh random order every
// epoch (∇τ, finetune): one float32 array of examples and their int64 labels (or, for multi-hot
// labels, float32 targets [count·C] beside labels that are all NO_LABEL).
import { BadInputError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { tensorToFloat32, type Model } from '../graph/ir.js';

/** A labelled set in memory: `count` examples of `exampleDims` each, float32, row-major. */
export interface ExampleSet {
  x: Float32Array;
  /** Class indices; all NO_LABEL (−1) where the labels are multi-hot (see `targets`). */
  y: BigInt64Array;
  /** Multi-hot labels, row-major [count·labelWidth], each 0 or 1; present exactly when labelWidth is. */
  targets?: Float32Array;
  /** C where the set's labels are multi-hot (Dataset.labelWidth); absent for class indices. */
  labelWidth?: number;
  count: number;
  exampleDims: readonly number[];
}

/**
 * Reads a float32, labelled Dataset into memory (at most `limit` examples, in set order). Throws
 * BadInputError for a set without labels or with inputs that are not float32.
 */
export async function loadExamples(
  ds: Dataset,
  opts: { limit?: number; signal?: AbortSignal; user?: string } = {},
): Promise<ExampleSet> {
  const limit = Math.min(opts.limit ?? ds.count, ds.count);
  const per = ds.exampleDims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(limit * per);
  const y = new BigInt64Array(limit);
  const width = ds.labelWidth;
  const targets = width === undefined ? undefined : new Float32Array(limit * width);
  let n = 0;
  if (limit > 0)
    for await (const b of ds.batches(Math.min(1024, limit))) {
      opts.signal?.throwIfAborted();
      if (!(b.x.data instanceof Float32Array))
        throw new BadInputError(
          `${ds.description}: ${opts.user ?? 'this method'} holds its sets in memory as float32 and does not ` +
            'take integer inputs (token ids) yet; use --method ssd, which streams any input type.',
        );
      if (!b.labelled) throw new BadInputError(`${ds.description}: this method needs labels.`);
      const take = Math.min(b.y.length, limit - n);
      x.set(b.x.data.subarray(0, take * per), n * per);
      y.set(b.y.subarray(0, take), n);
      if (targets) {
        if (!b.targets) throw new Error(`${ds.description}: a batch of a multi-hot set came without targets`);
        targets.set(b.targets.subarray(0, take * width!), n * width!);
      }
      n += take;
      if (n >= limit) break;
    }
  return {
    x: n === limit ? x : x.slice(0, n * per),
    y: n === limit ? y : y.slice(0, n),
    ...(targets && { targets: n === limit ? targets : targets.slice(0, n * width!), labelWidth: width }),
    count: n,
    exampleDims: [...ds.exampleDims],
  };
}

/** The examples at `indices` of `set`, as a batch the model takes (with their targets where the set has them). */
export function gather(
  set: ExampleSet,
  indices: ArrayLike<number>,
): { x: { data: Float32Array; dims: number[] }; y: BigInt64Array; targets?: Float32Array } {
  const per = set.x.length / Math.max(1, set.count);
  const x = new Float32Array(indices.length * per);
  const y = new BigInt64Array(indices.length);
  const c = set.labelWidth ?? 0;
  const targets = set.targets && new Float32Array(indices.length * c);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(set.x.subarray(i * per, (i + 1) * per), k * per);
    y[k] = set.y[i];
    targets?.set(set.targets!.subarray(i * c, (i + 1) * c), k * c);
  }
  const batch = { x: { data: x, dims: [indices.length, ...set.exampleDims] }, y };
  return targets ? { ...batch, targets } : batch;
}

/** The first `n` examples of a set (a view, no copy). */
export function headOf(set: ExampleSet, n: number): ExampleSet {
  const m = Math.min(n, set.count);
  const per = set.x.length / Math.max(1, set.count);
  const head = { x: set.x.subarray(0, m * per), y: set.y.subarray(0, m), count: m, exampleDims: set.exampleDims };
  if (!set.targets) return head;
  return { ...head, targets: set.targets.subarray(0, m * set.labelWidth!), labelWidth: set.labelWidth };
}

/** Copies of the model's values of the parameters `gm` differentiates: the starting weights. */
export function initialWeights(model: Model, gm: { params: readonly { name: string }[] }): Map<string, Float32Array> {
  return new Map(
    gm.params.map((p) => {
      const t = model.graph.initializers.get(p.name);
      if (!t) throw new Error(`${p.name} is not an initializer of ${model.path}`);
      return [p.name, tensorToFloat32(t).slice()];
    }),
  );
}
