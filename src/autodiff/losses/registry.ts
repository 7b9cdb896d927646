// Losses as entries in one registry. A loss is appended to the model's forward graph after its
// logits [N, C]; it declares the extra inputs it takes per batch (labels, targets, weights), builds
// its value, its per-example values and its gradient seed dL/dlogits directly (so the backward pass
// starts from the seed, not from differentiating the loss graph), and may check its feeds. The
// gradient artifact (../artifact.ts) and the gradient model (runtime/gradient.ts) know nothing of any
// particular loss: a new loss is one file that calls registerLoss.
import { BadInputError } from '../../core/errors.js';
import type { TensorData } from '../../core/tensor.js';
import type { GraphBuilder } from '../builder.js';
import type { HeadKind } from '../../graph/head.js';

/** The three values a loss adds to the graph (names of graph values). */
export interface LossValues {
  /** The scalar loss. */
  loss: string;
  /** Per-example values [N] (the artifact's per-sample output). */
  perSample: string;
  /** The gradient seed dL/dlogits [N, C]. */
  dLogits: string;
}

/** One extra input of a loss, fed with every batch. */
export interface LossInput {
  /** Key in the feeds of GradientModel.run; the graph input is named `scrub/KEY`. */
  key: string;
  dtype: 'int64' | 'float32';
  /** [N] per example, or [N, C] per example and class. */
  shape: 'batch' | 'batch×classes';
}

/** A loss's per-batch feeds by key: int64 → BigInt64Array, float32 → Float32Array. */
export type LossFeeds = Readonly<Record<string, TensorData>>;

export interface LossDefinition {
  /** Registry key, e.g. 'cross-entropy'. */
  name: string;
  /** What it computes, for errors and docs. */
  description: string;
  inputs: readonly LossInput[];
  /**
   * How the loss combines a batch's examples, which lets a model whose batch is fixed compute a
   * minibatch exactly as fixed-size chunks (runtime/gradient.ts): 'mean', the mean of the per-example
   * values, each example's row of dL/dlogits being 1/N of its own term's; 'sum', a sum of per-example
   * terms in which a row whose float feeds are all zero adds nothing. Absent: not chunkable (refused).
   */
  reduction?: 'mean' | 'sum';
  /**
   * The heads it is the loss of (graph/head.ts HeadKind): default every head whose classes exclude
   * each other (all but 'multi-label'). A loss on a head it does not fit is swapped for its `swap`
   * there, else refused (runtime/gradient.ts).
   */
  heads?: readonly HeadKind[];
  /** The loss to use instead on the heads it does not fit, by head kind (the cross-entropy's: multi-label-bce). */
  swap?: Partial<Record<HeadKind, string>>;
  /** Appends the loss to `b` after `logits` [N, C]; `inputs` maps each key to its graph input. */
  build(b: GraphBuilder, logits: string, inputs: Readonly<Record<string, string>>, classes: number): LossValues;
  /**
   * Checks the feeds of a batch of `n` beyond their shapes (e.g. label range); throws BadInputError.
   * `index`, when given, maps a row of the batch to the example's position in its data set, for messages.
   */
  check?(feeds: LossFeeds, n: number, classes: number, source: string, index?: readonly number[]): void;
}

/** The graph input that carries a loss input. */
export function lossInputName(key: string): string {
  return `scrub/${key}`;
}

const LOSSES = new Map<string, LossDefinition>();

/** Adds a loss to the registry (its name must be new). */
export function registerLoss(loss: LossDefinition): LossDefinition {
  const known = LOSSES.get(loss.name);
  if (known && known !== loss) throw new Error(`two losses named ${loss.name}`);
  LOSSES.set(loss.name, loss);
  return loss;
}

/** The heads a loss fits (LossDefinition.heads). */
export function lossHeads(loss: LossDefinition): readonly HeadKind[] {
  return loss.heads ?? ['logits', 'softmax', 'log-softmax', 'binary'];
}

/** The registered loss of that name; a BadInputError lists the known ones. */
export function lossDefinition(name: string): LossDefinition {
  const loss = LOSSES.get(name);
  if (!loss) throw new BadInputError(`unknown loss ${name}; scrub knows ${[...LOSSES.keys()].join(', ')}.`);
  return loss;
}

/** Every registered loss. */
export function registeredLosses(): LossDefinition[] {
  return [...LOSSES.values()];
}

/** The loss names whose inputs are exactly these feed keys (to say which loss a call was meant for). */
export function lossesTaking(keys: readonly string[]): string[] {
  const want = [...keys].sort().join(',');
  return registeredLosses()
    .filter(
      (l) =>
        l.inputs
          .map((i) => i.key)
          .sort()
          .join(',') === want,
    )
    .map((l) => l.name);
}
