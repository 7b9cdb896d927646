// Labelled sets held in memory, for methods that draw minibatches in a fresh random order every
// epoch (∇τ, finetune): every input of the model (float32 pixels, int64 token ids, a text model's
// input_ids, attention_mask and token_type_ids), each in its own dtype, and their int64 labels (or,
// for multi-hot labels, float32 targets [count·C] beside labels that are all NO_LABEL).
import { BadInputError } from '../core/errors.js';
import type { Feeds, HostTensor, TensorData } from '../core/tensor.js';
import type { Dataset } from '../data/dataset.js';
import { tensorToFloat32, type Model } from '../graph/ir.js';

/** One input of a set in memory: `count` examples of `exampleDims` each, row-major, in the input's dtype. */
export interface ExampleInput {
  /** The graph input it feeds (Batch.inputs' key; for a one-input set, the model's input name or 'x'). */
  name: string;
  data: TensorData;
  exampleDims: readonly number[];
}

/** A labelled set in memory: `count` examples, every input of the model, row-major. */
export interface ExampleSet {
  /** Every input of the model, in the order the set's batches give them (Batch.inputs), the first being `x`. */
  inputs: readonly ExampleInput[];
  /** The first input's data (inputs[0].data): the whole example of a one-input model. */
  x: TensorData;
  /** Class indices; all NO_LABEL (−1) where the labels are multi-hot (see `targets`). */
  y: BigInt64Array;
  /** Multi-hot labels, row-major [count·labelWidth], each 0 or 1; present exactly when labelWidth is. */
  targets?: Float32Array;
  /** C where the set's labels are multi-hot (Dataset.labelWidth); absent for class indices. */
  labelWidth?: number;
  count: number;
  /** The first input's per-example dims (inputs[0].exampleDims). */
  exampleDims: readonly number[];
}

/** Examples of a set as the model takes them, and their labels. */
export interface ExampleBatch {
  /** The first input, [n, ...exampleDims]. */
  x: HostTensor;
  /** What GradientModel.run and logits take: the one input's tensor, or every input by name. */
  inputs: HostTensor | Feeds;
  y: BigInt64Array;
  /** Multi-hot targets [n·C], where the set has them. */
  targets?: Float32Array;
}

type TensorConstructor = new (length: number) => TensorData;
const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
/** A zeroed array of `length` elements of the dtype of `like`. */
const allocLike = (like: TensorData, length: number) => new (like.constructor as TensorConstructor)(length);
/** Copies `src` into `dst` at `offset` (the same dtype). */
const copyInto = (dst: TensorData, src: TensorData, offset: number) => dst.set(src as never, offset);
/** Rows [start, end) of `data`, `per` elements a row, without copying. */
const rowsOf = (data: TensorData, per: number, start: number, end: number) =>
  data.subarray(start * per, end * per) as TensorData;

/** The set's ExampleSet fields kept in step: `inputs` with `x` and `exampleDims` the first's. */
function withInputs(inputs: ExampleInput[], rest: Omit<ExampleSet, 'inputs' | 'x' | 'exampleDims'>): ExampleSet {
  return { inputs, x: inputs[0].data, ...rest, exampleDims: inputs[0].exampleDims };
}

/**
 * Reads a labelled Dataset into memory (at most `limit` examples, in set order): every input of its
 * batches (Batch.inputs, else x named `inputName`, default 'x'), each in its own dtype. Throws
 * BadInputError for a set without labels.
 */
export async function loadExamples(
  ds: Dataset,
  opts: { limit?: number; signal?: AbortSignal; inputName?: string } = {},
): Promise<ExampleSet> {
  const limit = Math.min(opts.limit ?? ds.count, ds.count);
  const y = new BigInt64Array(limit);
  const width = ds.labelWidth;
  const targets = width === undefined ? undefined : new Float32Array(limit * width);
  // allocated at the first batch, in the dtype and example dims it gives each input
  let inputs: ExampleInput[] | undefined;
  let n = 0;
  if (limit > 0)
    for await (const b of ds.batches(Math.min(1024, limit))) {
      opts.signal?.throwIfAborted();
      if (!b.labelled) throw new BadInputError(`${ds.description}: this method needs labels.`);
      const given = Object.entries(b.inputs ?? { [opts.inputName ?? 'x']: b.x });
      inputs ??= given.map(([name, t]) => ({
        name,
        data: allocLike(t.data, limit * elements(t.dims.slice(1))),
        exampleDims: t.dims.slice(1),
      }));
      const take = Math.min(b.y.length, limit - n);
      for (const [k, [name, t]] of given.entries()) {
        const into = inputs[k];
        const dims = t.dims.slice(1);
        if (
          into?.name !== name ||
          into.data.constructor !== t.data.constructor ||
          dims.length !== into.exampleDims.length ||
          dims.some((d, i) => d !== into.exampleDims[i])
        )
          throw new Error(`${ds.description}: input ${name} changed its dtype or example dims between batches`);
        const per = elements(dims);
        copyInto(into.data, rowsOf(t.data, per, 0, take), n * per);
      }
      y.set(b.y.subarray(0, take), n);
      if (targets) {
        if (!b.targets) throw new Error(`${ds.description}: a batch of a multi-hot set came without targets`);
        targets.set(b.targets.subarray(0, take * width!), n * width!);
      }
      n += take;
      if (n >= limit) break;
    }
  // no example read: one empty float32 input of the set's dims
  inputs ??= [{ name: opts.inputName ?? 'x', data: new Float32Array(0), exampleDims: [...ds.exampleDims] }];
  const cut = (i: ExampleInput) => ({ ...i, data: rowsOf(i.data, elements(i.exampleDims), 0, n).slice() });
  return withInputs(n === limit ? inputs : inputs.map(cut), {
    y: n === limit ? y : y.slice(0, n),
    ...(targets && { targets: n === limit ? targets : targets.slice(0, n * width!), labelWidth: width }),
    count: n,
  });
}

/**
 * The examples at `indices` of each part's set in turn (forget rows, then retain rows), as one batch the
 * model takes, with their labels and, where the sets have them, their targets. The parts' sets hold the
 * same inputs (one model's).
 */
export function gatherParts(parts: readonly { set: ExampleSet; indices: ArrayLike<number> }[]): ExampleBatch {
  const first = parts[0].set;
  const n = parts.reduce((a, p) => a + p.indices.length, 0);
  const c = first.labelWidth ?? 0;
  const y = new BigInt64Array(n);
  const targets = first.targets && new Float32Array(n * c);
  const tensors = first.inputs.map((input, k) => {
    const per = elements(input.exampleDims);
    const data = allocLike(input.data, n * per);
    let row = 0;
    for (const { set, indices } of parts) {
      const from = set.inputs[k];
      if (from?.name !== input.name || from.data.constructor !== input.data.constructor)
        throw new Error(`gather: sets with different inputs (${input.name})`);
      for (let j = 0; j < indices.length; j++, row++)
        copyInto(data, rowsOf(from.data, per, indices[j], indices[j] + 1), row * per);
    }
    return { data, dims: [n, ...input.exampleDims] } as HostTensor;
  });
  let row = 0;
  for (const { set, indices } of parts)
    for (let j = 0; j < indices.length; j++, row++) {
      const i = indices[j];
      y[row] = set.y[i];
      if (targets) {
        if (!set.targets) throw new Error('gather: a set without the targets of the others');
        targets.set(set.targets.subarray(i * c, (i + 1) * c), row * c);
      }
    }
  const batch = { x: tensors[0], inputs: feedsOf(first, tensors), y };
  return targets ? { ...batch, targets } : batch;
}

/** The examples at `indices` of `set`, as a batch the model takes (with their targets where the set has them). */
export function gather(set: ExampleSet, indices: ArrayLike<number>): ExampleBatch {
  return gatherParts([{ set, indices }]);
}

/** Examples [start, end) of `set` as the model takes them (views, no copy). */
export function sliceInputs(set: ExampleSet, start: number, end: number): HostTensor | Feeds {
  return feedsOf(
    set,
    set.inputs.map((i) => ({
      data: rowsOf(i.data, elements(i.exampleDims), start, end),
      dims: [end - start, ...i.exampleDims],
    })),
  );
}

/** `tensors` (one per input of `set`) as GradientModel takes them: the tensor of a one-input set, else by name. */
function feedsOf(set: ExampleSet, tensors: HostTensor[]): HostTensor | Feeds {
  if (tensors.length === 1) return tensors[0];
  return Object.fromEntries(set.inputs.map((input, k) => [input.name, tensors[k]]));
}

/** Example `i` of `set`: its rows of every input, in the set's order. */
export function exampleRows(set: ExampleSet, i: number): TensorData[] {
  return set.inputs.map((input) => {
    const per = elements(input.exampleDims);
    return rowsOf(input.data, per, i, i + 1);
  });
}

/** The first `n` examples of a set (views, no copy). */
export function headOf(set: ExampleSet, n: number): ExampleSet {
  const m = Math.min(n, set.count);
  const inputs = set.inputs.map((i) => ({ ...i, data: rowsOf(i.data, elements(i.exampleDims), 0, m) }));
  const head = { y: set.y.subarray(0, m), count: m };
  if (!set.targets) return withInputs(inputs, head);
  return withInputs(inputs, {
    ...head,
    targets: set.targets.subarray(0, m * set.labelWidth!),
    labelWidth: set.labelWidth,
  });
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
