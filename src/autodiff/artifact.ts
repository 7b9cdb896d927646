// The gradient artifact: one self-contained ONNX model, forward + loss + backward, taking the
// model's inputs (and, for the cross-entropy, the labels) and returning the loss, per-sample
// losses, logits and one gradient per parameter. Parameters are graph inputs whose initializers are their defaults,
// so new values can be fed at every step without rebuilding it.
import { encodeModel } from '../graph/encode.js';
import { DataType, inlineInitializers, type Graph, type Model, type Tensor, type ValueInfo } from '../graph/ir.js';
import type { Parameter } from '../graph/params.js';
import type { ShapeMap } from '../core/tensor.js';
import { BadInputError } from '../core/errors.js';
import { GraphBuilder } from './builder.js';
import { backward } from './engine.js';
import { crossEntropy, logitNorm, matched, type LossKind } from './loss.js';
import type { RuleRegistry } from './registry.js';

export const LABELS = 'scrub/labels';
/** The 'matched' loss's inputs: soft targets [N, C], and per-sample weights, match weights and target log-odds [N]. */
export const MATCHED_INPUTS = {
  targets: 'scrub/targets',
  weights: 'scrub/weights',
  matchWeights: 'scrub/match_weights',
  targetLogOdds: 'scrub/target_log_odds',
} as const;
export const LOSS = 'scrub/loss';
export const PER_SAMPLE_LOSS = 'scrub/per_sample_loss';
export const gradName = (param: string) => `scrub/grad/${param}`;
export const squaredGradName = (param: string) => `scrub/grad2/${param}`;

export interface ArtifactOptions {
  /** Default 'cross-entropy'; 'logit-norm' takes no labels input; 'matched' takes MATCHED_INPUTS. */
  loss?: LossKind;
  /** Also output the elementwise squares of the gradients. */
  squared?: boolean;
  /** Parameters as required inputs, fed at every run (default true); false bakes the current values in. */
  paramsAsInputs?: boolean;
}

export interface Artifact {
  bytes: Uint8Array;
  inputs: string[];
  logits: string;
  classes: number;
  params: Parameter[];
}

export function buildArtifact(
  model: Model,
  shapes: ShapeMap,
  params: Parameter[],
  registry: RuleRegistry,
  opts: ArtifactOptions = {},
): Artifact {
  const g = model.graph;
  const source = model.path;
  const logits = g.outputs[0].name;
  const ls = shapes.get(logits)?.dims;
  if (!ls || ls.length !== 2 || typeof ls[1] !== 'number')
    throw new BadInputError(
      `${source}: output ${logits} has shape [${ls ?? '?'}]; scrub needs classifier logits [batch, classes].`,
    );
  if (shapes.get(logits)!.dtype !== DataType.FLOAT)
    throw new BadInputError(`${source}: output ${logits} is not float32 logits.`);
  const classes = ls[1];
  const opset = model.opsetImports.get('') ?? 1;
  if (opset < 11)
    throw new BadInputError(
      `${source}: opset ${opset} is too old; re-export with opset 11 or newer (torch.onnx.export(..., opset_version=17)).`,
    );

  const b = new GraphBuilder(opset);
  const kind = opts.loss ?? 'cross-entropy';
  const loss =
    kind === 'logit-norm'
      ? logitNorm(b, logits)
      : kind === 'matched'
        ? matched(b, logits, MATCHED_INPUTS)
        : crossEntropy(b, logits, LABELS, classes);
  const grads = backward({
    graph: g,
    opsets: model.opsetImports,
    shapes,
    registry,
    wrt: params.map((p) => p.name),
    seeds: new Map([[logits, loss.dLogits]]),
    b,
    source,
  });

  const outputs: ValueInfo[] = [
    { name: LOSS, elemType: DataType.FLOAT, shape: [] },
    { name: PER_SAMPLE_LOSS, elemType: DataType.FLOAT, shape: ['batch'] },
    { name: logits, elemType: DataType.FLOAT, shape: [ls[0] ?? 'batch', classes] },
  ];
  b.nodes.push({ name: 'scrub/loss', opType: 'Identity', domain: '', inputs: [loss.loss], outputs: [LOSS], attrs: {} });
  b.nodes.push({
    name: 'scrub/per_sample_loss',
    opType: 'Identity',
    domain: '',
    inputs: [loss.perSample],
    outputs: [PER_SAMPLE_LOSS],
    attrs: {},
  });
  for (const p of params) {
    const gname = grads.get(p.name) ?? b.zerosLike(p.name);
    b.nodes.push({
      name: gradName(p.name),
      opType: 'Identity',
      domain: '',
      inputs: [gname],
      outputs: [gradName(p.name)],
      attrs: {},
    });
    outputs.push({ name: gradName(p.name), elemType: DataType.FLOAT, shape: p.shape });
    if (opts.squared) {
      b.nodes.push({
        name: squaredGradName(p.name),
        opType: 'Mul',
        domain: '',
        inputs: [gname, gname],
        outputs: [squaredGradName(p.name)],
        attrs: {},
      });
      outputs.push({ name: squaredGradName(p.name), elemType: DataType.FLOAT, shape: p.shape });
    }
  }

  const batch = ls[0] ?? 'batch';
  // the loss's own inputs sit between the model's data inputs and the parameters
  const lossInputs: ValueInfo[] = [];
  if (kind === 'cross-entropy') lossInputs.push({ name: LABELS, elemType: DataType.INT64, shape: [batch] });
  if (kind === 'matched') {
    lossInputs.push({ name: MATCHED_INPUTS.targets, elemType: DataType.FLOAT, shape: [batch, classes] });
    for (const name of [MATCHED_INPUTS.weights, MATCHED_INPUTS.matchWeights, MATCHED_INPUTS.targetLogOdds])
      lossInputs.push({ name, elemType: DataType.FLOAT, shape: [batch] });
  }
  const fed = feedParameters(g, (opts.paramsAsInputs ?? true) ? params : []);
  const bytes = encodeLike(model, {
    name: 'scrub_gradient',
    nodes: [...g.nodes, ...b.nodes],
    inputs: [...fed.dataInputs, ...lossInputs, ...fed.paramInputs],
    outputs,
    initializers: new Map([...fed.initializers, ...b.initializers]),
    valueInfo: new Map(),
  });
  return { bytes, inputs: fed.dataInputs.map((i) => i.name), logits, classes, params };
}

/**
 * The model's forward pass alone with the parameters as required inputs (no initializers for
 * them): the logits of new weights, fed at every run, without computing a backward pass.
 */
export function buildForwardArtifact(model: Model, params: readonly Parameter[]): Uint8Array {
  const fed = feedParameters(model.graph, params);
  const inputs = [...fed.dataInputs, ...fed.paramInputs];
  return encodeLike(model, {
    name: 'scrub_forward',
    nodes: model.graph.nodes,
    inputs,
    outputs: [model.graph.outputs[0]],
    initializers: fed.initializers,
    valueInfo: new Map(),
  });
}

/**
 * The graph's data inputs, and `params` moved from initializers to inputs: onnxruntime-node ignores
 * feeds for inputs that also have an initializer, so parameters fed at every run must have none.
 */
function feedParameters(
  g: Graph,
  params: readonly Parameter[],
): { dataInputs: ValueInfo[]; paramInputs: ValueInfo[]; initializers: Map<string, Tensor> } {
  const initNames = new Set(g.initializers.keys());
  const initializers = inlineInitializers(g);
  for (const p of params) initializers.delete(p.name);
  return {
    dataInputs: g.inputs.filter((i) => !initNames.has(i.name)),
    paramInputs: params.map((p) => ({ name: p.name, elemType: DataType.FLOAT, shape: p.shape })),
    initializers,
  };
}

function encodeLike(model: Model, graph: Graph): Uint8Array {
  return encodeModel({ irVersion: Math.max(model.irVersion, 4), opsetImports: model.opsetImports, graph });
}
