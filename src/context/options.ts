// The options every command that reads data and runs the model shares, and the helpers that turn
// them into data-set options. Used by the run context, eval, the methods, the API and the CLI.
import { embeddingRows } from '../graph/head.js';
import { BadInputError } from '../core/errors.js';
import { openDataset, type Dataset, type DatasetOptions, type InputSpec } from '../data/dataset.js';
import { findHead, type HeadChoice } from '../graph/head.js';
import { DataType, DTYPE_NAMES, type Model } from '../graph/ir.js';
import type { Device } from '../runtime/session.js';
import { besideModel } from '../core/paths.js';

/**
 * The passes that report progress: 'full' (the importance pass over the training data), 'forget',
 * 'retain', 'test', 'evaluate' (forward passes of an edited model), and a method's training loop
 * under the method's name ('gradtau', 'finetune').
 */
export type Stage = string;

export interface CommonOptions {
  /** Regular expression over ONNX or PyTorch names choosing the parameters (default: all). */
  params?: string;
  device?: Device;
  threads?: number;
  /**
   * Data-parallel worker threads for gradient passes (--workers; GradientOptions.workers): each batch
   * split over this many single-threaded sessions, summed exactly. Default: none.
   */
  workers?: number;
  /** Minibatch of the importance passes (SSD's 64 by default). */
  batchSize?: number;
  /** Per-channel normalisation of image pixels (default: the model's scrub.mean/scrub.std metadata). */
  mean?: number[];
  std?: number[];
  /** labels.txt: class names of an image folder, in class-index order. */
  labels?: string;
  /**
   * The model's tokenizer (--tokenizer: tokenizer.json or the folder holding it with
   * tokenizer_config.json): sets may then be raw text (.tsv, .csv, JSON Lines "text"; data/text.ts).
   */
  tokenizer?: string;
  onBadInput?: 'stop' | 'skip';
  onNote?: DatasetOptions['onNote'];
  onProgress?: (stage: Stage, done: number, total: number) => void;
  /** Aborting rejects the run with the signal's reason and leaves nothing behind. */
  signal?: AbortSignal;
  /** The model output holding the class scores (--output; default: found from the model, graph/head.ts). */
  output?: string;
  /**
   * The head scores each class with its own sigmoid against multi-hot labels (--multi-label; a Sigmoid
   * output over several classes is multi-label without it): graph/head.ts.
   */
  multiLabel?: boolean;
}

/** The head choice of a run's options (graph/head.ts findHead). */
export function headChoice(o: Pick<CommonOptions, 'output' | 'multiLabel'>): HeadChoice {
  return { output: o.output, multiLabel: o.multiLabel };
}

/** Per-channel normalisation: explicit options, else the model's metadata (scrub.mean/scrub.std). */
export function normalisation(model: Model, mean?: number[], std?: number[]): { mean?: number[]; std?: number[] } {
  const parse = (key: string) => {
    const v = model.metadata.get(key);
    return v === undefined ? undefined : v.split(',').map(Number);
  };
  return { mean: mean ?? parse('scrub.mean'), std: std ?? parse('scrub.std') };
}

/**
 * The class count of the model's head as its declared output shapes give it (undefined where they
 * do not say: a probed shape is not worth a model run here; text sets then take their largest label + 1).
 */
function declaredClasses(model: Model, o: Pick<CommonOptions, 'output' | 'multiLabel'>): number | undefined {
  const g = model.graph;
  const infos = new Map([...g.valueInfo, ...g.outputs.map((v) => [v.name, v] as const)]);
  const shapeOf = (name: string) => {
    const v = infos.get(name);
    return v?.shape ? { dtype: v.elemType, dims: v.shape } : undefined;
  };
  try {
    return findHead(model, shapeOf, headChoice(o)).classes;
  } catch {
    return undefined;
  }
}

/**
 * The data-set options of a model whose inputs are `inputs` (by name: several are read as one NAME.npy per
 * input, data/named.ts, or from text, data/text.ts) and whose head scores `classes` classes (else found
 * from the model's declared output shapes, where they say). Throws BadInputError for a tokenizer given
 * to a model that takes no token ids (no int64 or int32 input).
 */
export function datasetOptions(
  gm: { inputs: readonly (InputSpec & { name?: string })[]; classes?: number },
  model: Model,
  o: CommonOptions,
): DatasetOptions {
  const input = gm.inputs[0];
  // a tokenizer gives token ids: a model none of whose inputs takes integers would ignore it
  if (o.tokenizer !== undefined && !gm.inputs.some((i) => i.dtype === DataType.INT64 || i.dtype === DataType.INT32)) {
    const which = input.name ? ` '${input.name}'` : '';
    const type = `${DTYPE_NAMES[input.dtype] ?? `type ${input.dtype}`} [${input.dims.map((d) => d ?? '?').join(', ')}]`;
    throw new BadInputError(
      `--tokenizer ${o.tokenizer}: ${model.path} takes no token ids (its input${which} is ${type}); a tokenizer ` +
        'applies to text models, whose inputs are token ids. Remove --tokenizer.',
    );
  }
  const named = gm.inputs.length > 1 || input.name !== undefined;
  const labelWidth = gm.classes ?? declaredClasses(model, o);
  // token ids are checked against the embedding table they index (data/convert.ts idOutOfRange)
  const rows = embeddingRows(model);
  const spec = (i: InputSpec & { name?: string }) => {
    const idRows = i.name === undefined ? undefined : rows.get(i.name);
    return { dtype: i.dtype, dims: i.dims, ...(idRows === undefined ? {} : { idRows }) };
  };
  return {
    input: spec(input),
    ...(named ? { inputs: gm.inputs.map((i, k) => ({ ...spec(i), name: i.name ?? `input ${k}` })) } : {}),
    ...normalisation(model, o.mean, o.std),
    labels: o.labels,
    ...(o.tokenizer === undefined ? {} : { tokenizer: o.tokenizer }),
    ...(labelWidth === undefined ? {} : { labelWidth }),
    onBadInput: o.onBadInput,
    onNote: o.onNote,
  };
}

/** Opens a data spec and refuses an empty set (BadInputError naming the spec and its role). */
export async function openSet(spec: string, what: string, opts: DatasetOptions): Promise<Dataset> {
  const data = await openDataset(spec, { ...opts, role: what });
  if (data.count === 0)
    throw new BadInputError(
      `${spec}: the ${what} set is empty; nothing to ${what === 'forget' ? 'forget' : `use as the ${what} set`}.`,
    );
  return data;
}

/** Where an edited model goes when no output is named: MODEL.unlearned.onnx beside the input. */
export function defaultOutputPath(model: string): string {
  return besideModel(model, '.unlearned.onnx');
}
