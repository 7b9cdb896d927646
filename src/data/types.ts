// The data layer's interfaces: what a reader is asked (DatasetOptions) and what a set yields (Dataset,
// Batch). In a file of their own so that dataset.ts and named.ts both use them without a cycle.
import type { HostTensor } from '../core/tensor.js';
import type { InputSpec } from './convert.js';
import type { TextTokenizer } from './tokenizer.js';

export interface DataNote {
  /** 'skip': an example left out under onBadInput 'skip'; 'note': a decision worth telling. */
  kind: 'note' | 'skip';
  message: string;
  /** Position within the set, for skips. */
  position?: number;
}

/** An example left out under onBadInput 'skip'. */
export interface SkippedExample {
  /** Its position in the set (0-based; the batches' `index`). */
  position: number;
  /** Why: the reader's message, naming the file and the example's index in it. */
  reason: string;
}

export interface DatasetOptions {
  /** The model input fed: ONNX DataType and dims, e.g. {dtype: 1, dims: ['batch', 1, 28, 28]}. */
  input: InputSpec;
  /**
   * Every input of the model by name (input is the first). With several, a set is read as one NAME.npy
   * per input (named.ts), JSON Lines rows keyed by the names or text (text.ts), and every batch carries
   * them all in `inputs`; text sets map a tokenizer's outputs to these names.
   */
  inputs?: readonly (InputSpec & { name: string })[];
  /**
   * The model's tokenizer (--tokenizer: tokenizer.json or its folder, or one loaded with loadTokenizer):
   * with it a set can be raw text, .tsv/.csv/.jsonl (text.ts), tokenized for the inputs of `inputs`.
   */
  tokenizer?: string | TextTokenizer;
  /**
   * The model's class count (its head's width; the CLI and the run context pass it): the width of the
   * multi-hot labels that text sets give as label-index lists (a `labels` column, JSON Lines "labels"),
   * and the bound of their label indices. Without it, such a set's width is its largest label + 1.
   * Other formats ignore it.
   */
  labelWidth?: number;
  /** For an .npy inputs file: its labels file, or null for none (named.ts; default: found by name). */
  npyLabels?: string | null;
  /** Per-channel (or one for all) normalisation of 8-bit pixels; defaults 0 and 1. */
  mean?: readonly number[];
  std?: readonly number[];
  /** labels.txt for image folders: one class name per line, line i = class i. */
  labels?: string;
  /**
   * An example that cannot be read (undecodable image, bad JSON Lines row, negative label): stop
   * (default) or leave it out.
   */
  onBadInput?: 'stop' | 'skip';
  /** Notes and skips; default: printed to stderr. Each skip is reported once per dataset. */
  onNote?: (note: DataNote) => void;
  /** What the set is for ('forget', 'retain', …): named by the message when its file is missing. */
  role?: string;
}

export interface Batch {
  /** The model's (first) input, [n, ...exampleDims]. */
  x: HostTensor;
  /**
   * Every input of a model with several, by graph input name (x is the first of them): present on the
   * batches of a set opened for several named inputs (DatasetOptions.inputs; named.ts).
   */
  inputs?: Record<string, HostTensor>;
  /** Class indices; all NO_LABEL (−1) when the set has no labels or multi-hot labels (see `targets`). */
  y: BigInt64Array;
  /**
   * Multi-hot labels, row-major [n·C] (C = the dataset's labelWidth), each 0 or 1: row i belongs to
   * the batch's example i (x row i, index[i]). Present exactly when the dataset's labelWidth is set.
   */
  targets?: Float32Array;
  /** False for a set without labels; true for class-index and multi-hot labels alike. */
  labelled: boolean;
  /** Positions within the set (0 … count−1) of the batch's examples. */
  index: number[];
}

export interface Dataset {
  /** Examples selected (listed: under 'skip' a pass may yield fewer). */
  readonly count: number;
  /** False for a set without labels: its batches' y are all NO_LABEL (−1). True for multi-hot labels. */
  readonly labelled: boolean;
  /**
   * C where the labels are multi-hot (y.npy of shape [N, C], JSON Lines "y" lists of C values): every
   * batch then carries `targets` [n·C] of 0/1 and its y are all NO_LABEL (−1). Absent for class-index
   * labels and for sets without labels.
   */
  readonly labelWidth?: number;
  /** Distinct labels, where known without reading the data (image folders). */
  readonly classes?: readonly number[];
  readonly description: string;
  /** Per-example dims fed to the model (the batch's dims are [n, ...exampleDims]). */
  readonly exampleDims: readonly number[];
  /** Examples left out so far under onBadInput 'skip'. */
  readonly skipped: number;
  /** Those examples, in the order read: their position in the set and why each was left out. */
  readonly skippedExamples: readonly SkippedExample[];
  /**
   * The normalisation applied to 8-bit pixels, (p/255 − mean[c]) / std[c], with the defaults (0 and 1)
   * filled in; absent where values are taken as stored (float arrays, token ids).
   */
  readonly normalisation?: { mean: number[]; std: number[] };
  /** The set in order, batchSize examples a batch, the last one partial; with `positions`, only
   *  the examples at those positions of the set (batch.index stays the position in the whole set). */
  batches(batchSize: number, positions?: { start: number; end: number }): AsyncIterable<Batch>;
}
