// The head of a classifier: which model output scrub treats as the class scores, and which value it
// differentiates. Every command asks here (the gradient artifact with probed shapes, evaluation with
// the declared or probed ones), so that gradients, importances, ∇τ and the metrics all use one head.
//   - The output: the one named by --output; else the output named `logits`; else the only float
//     output of shape [batch, C]; several candidates are refused, listing them.
//   - Its kind: an output computed by Softmax over the class axis (every tf2onnx/Keras classifier)
//     is differentiated through the Softmax's input: the cross-entropy of the probabilities is the
//     cross-entropy of that input, exactly. A LogSoftmax output likewise (its negative
//     log-likelihood is the cross-entropy of its input). Identity nodes in between are looked
//     through.
//   - A single logit z [batch, 1] (a binary head, trained with BCEWithLogitsLoss), or a Sigmoid of one
//     (differentiated through its input), is scored as two classes [0, z] (kind 'binary'): softmax
//     gives [1 − σ(z), σ(z)], the cross-entropy of label y ∈ {0, 1} is the binary cross-entropy with
//     logits exactly, and the top class is 1 where σ(z) > 0.5 (accuracy at 0.5). Every loss, metric and
//     method then reads the head as a two-class classifier (autodiff/artifact.ts scoresName).
//   - A Sigmoid over C > 1 outputs, or any [batch, C] logits chosen with `multiLabel` (--multi-label),
//     is a multi-label head (kind 'multi-label', trained with BCEWithLogitsLoss over every entry): the
//     loss is the mean binary cross-entropy with logits over all N·C entries against multi-hot labels.
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import type { ValueShape } from '../core/tensor.js';
import { attrInt, DataType, type Model, type Node } from './ir.js';

export type HeadKind = 'logits' | 'softmax' | 'log-softmax' | 'binary' | 'multi-label';

/** Which head to take: the output holding the scores (--output), and whether it is multi-label (--multi-label). */
export interface HeadChoice {
  output?: string;
  multiLabel?: boolean;
}

export interface Head {
  /** The model output that holds the class scores (logits or probabilities). */
  output: string;
  /** The value scrub differentiates and evaluates: logits [batch, classes] (the output, or a Softmax's input). */
  logits: string;
  kind: HeadKind;
  /** The node between logits and output (Softmax, LogSoftmax, Sigmoid), when there is one. */
  node?: string;
  /**
   * Classes scored: the logits' width, or 2 for a binary head (its one logit z scored as [0, z]); for
   * a multi-label head, the number of labels (independent sigmoids).
   */
  classes: number;
}

/**
 * The class count of output `name` of model `source`, given its shape (dims and ONNX element type);
 * throws UnsupportedModelError, naming the output and its shape, unless it is float32 [batch, C].
 */
export function classifierClasses(source: string, name: string, shape: ValueShape | undefined): number {
  const dims = shape?.dims;
  if (!dims || dims.length !== 2 || typeof dims[1] !== 'number' || dims[1] < 1)
    throw new UnsupportedModelError(
      `${source}: output ${name} has shape [${dims?.map((d) => d ?? '?').join(', ') ?? '?'}]; ` +
        'scrub needs classifier logits [batch, classes]. Export the model up to its logits.',
    );
  if (shape!.dtype !== DataType.FLOAT)
    throw new UnsupportedModelError(
      `${source}: output ${name} is not float32 logits; export the model in float32 (model.float()).`,
    );
  return dims[1];
}

/**
 * The head of `model`: its logits output (or the one `choose` names) and the value to differentiate.
 * `shapeOf` gives a value's shape (probed, or declared where that is enough); `choose` is an output
 * name or a HeadChoice. Throws BadInputError for an unknown output, UnsupportedModelError for a model
 * with no logits, several candidate outputs, or a Softmax head called multi-label.
 */
export function findHead(
  model: Model,
  shapeOf: (name: string) => ValueShape | undefined,
  how?: string | HeadChoice,
): Head {
  const { output: choose, multiLabel } = typeof how === 'string' ? { output: how, multiLabel: false } : (how ?? {});
  const source = model.path;
  const g = model.graph;
  const outputs = g.outputs.map((o) => o.name);
  let output: string;
  if (choose !== undefined) {
    if (!outputs.includes(choose))
      throw new BadInputError(
        `--output ${choose}: ${source} has no output of that name; its outputs: ${outputs.join(', ')}.`,
      );
    output = choose;
  } else if (outputs.includes('logits')) output = 'logits';
  else {
    const candidates = outputs.filter((o) => isClassScores(shapeOf(o)));
    if (candidates.length > 1)
      throw new UnsupportedModelError(
        `${source}: outputs ${candidates.join(', ')} could each be the logits [batch, classes]; ` +
          'choose one with --output NAME.',
      );
    output = candidates[0] ?? outputs[0];
  }
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  let node = producer.get(output);
  while (node?.opType === 'Identity' && node.domain === '') node = producer.get(node.inputs[0]);
  const isBinary = (name: string) => shapeOf(name)?.dims.length === 2 && shapeOf(name)?.dims[1] === 1;
  if (node && node.domain === '' && node.opType === 'Sigmoid') {
    const classes = classifierClasses(source, node.inputs[0], shapeOf(node.inputs[0]));
    if (isBinary(node.inputs[0]) && !multiLabel)
      return { output, logits: node.inputs[0], kind: 'binary', node: node.name, classes: 2 };
    return { output, logits: node.inputs[0], kind: 'multi-label', node: node.name, classes };
  }
  const opset = model.opsetImports.get('') ?? 1;
  if (node && node.domain === '' && (node.opType === 'Softmax' || node.opType === 'LogSoftmax')) {
    if (multiLabel)
      throw new UnsupportedModelError(
        `${source}: output ${output} is a ${node.opType} (node ${node.name}), whose classes exclude each other; ` +
          'a multi-label head has independent sigmoids. Leave out --multi-label, or choose its logits with --output.',
      );
    const logits = node.inputs[0];
    const classes = classifierClasses(source, logits, shapeOf(logits));
    // the class axis: 1 or −1 of a [batch, C] input (opset < 13: axis 1 coerces to 2-D, the same)
    const axis = attrInt(node, 'axis', opset < 13 ? 1 : -1);
    if (axis !== 1 && axis !== -1)
      throw new UnsupportedModelError(
        `${source}: output ${output} is a ${node.opType} over axis ${axis} (node ${node.name}), not over the ` +
          'classes; export the model up to its logits.',
      );
    const kind = node.opType === 'Softmax' ? 'softmax' : 'log-softmax';
    return { output, logits, kind, node: node.name, classes };
  }
  const classes = classifierClasses(source, output, shapeOf(output));
  if (multiLabel) return { output, logits: output, kind: 'multi-label', classes };
  return classes === 1
    ? { output, logits: output, kind: 'binary', classes: 2 }
    : { output, logits: output, kind: 'logits', classes };
}

function isClassScores(shape: ValueShape | undefined): boolean {
  return shape?.dtype === DataType.FLOAT && shape.dims.length === 2 && typeof shape.dims[1] === 'number';
}

/**
 * The number of rows of the embedding table each integer input of `model` indexes directly (a Gather
 * of a float initializer by the input, or by a Cast of it): valid ids are 0 … rows − 1 (negative ids
 * wrap in ONNX, but no tokenizer writes them). Inputs that index no table are absent.
 */
export function embeddingRows(model: Model): Map<string, number> {
  const g = model.graph;
  const inputs = new Set(g.inputs.filter((i) => !g.initializers.has(i.name)).map((i) => i.name));
  const castOf = new Map<string, string>();
  for (const n of g.nodes) if (n.opType === 'Cast' && inputs.has(n.inputs[0])) castOf.set(n.outputs[0], n.inputs[0]);
  const out = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.opType !== 'Gather' || n.domain !== '' || attrInt(n, 'axis', 0) !== 0) continue;
    const table = g.initializers.get(n.inputs[0]);
    const input = inputs.has(n.inputs[1]) ? n.inputs[1] : castOf.get(n.inputs[1]);
    if (!table || !input || table.dataType !== DataType.FLOAT || table.dims.length < 1) continue;
    out.set(input, Math.min(out.get(input) ?? Infinity, table.dims[0]));
  }
  return out;
}
