// Labelled sets held in memory, for methods that draw minibatches in a fresh random order every
// epoch (∇τ, finetune): one float32 array of examples and their int64 labels.
import { BadInputError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { tensorToFloat32, type Model } from '../graph/ir.js';

/** A labelled set in memory: `count` examples of `exampleDims` each, float32, row-major. */
export interface ExampleSet {
  x: Float32Array;
  y: BigInt64Array;
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
      n += take;
      if (n >= limit) break;
    }
  return {
    x: n === limit ? x : x.slice(0, n * per),
    y: n === limit ? y : y.slice(0, n),
    count: n,
    exampleDims: [...ds.exampleDims],
  };
}

/** The examples at `indices` of `set`, as a batch the model takes. */
export function gather(
  set: ExampleSet,
  indices: ArrayLike<number>,
): { x: { data: Float32Array; dims: number[] }; y: BigInt64Array } {
  const per = set.x.length / Math.max(1, set.count);
  const x = new Float32Array(indices.length * per);
  const y = new BigInt64Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(set.x.subarray(i * per, (i + 1) * per), k * per);
    y[k] = set.y[i];
  }
  return { x: { data: x, dims: [indices.length, ...set.exampleDims] }, y };
}

/** The first `n` examples of a set (a view, no copy). */
export function headOf(set: ExampleSet, n: number): ExampleSet {
  const m = Math.min(n, set.count);
  const per = set.x.length / Math.max(1, set.count);
  return { x: set.x.subarray(0, m * per), y: set.y.subarray(0, m), count: m, exampleDims: set.exampleDims };
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
