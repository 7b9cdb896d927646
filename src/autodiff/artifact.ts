// The gradient artifact: one self-contained ONNX model, forward + loss + backward, taking the
// model's inputs and the loss's own inputs (losses/registry.ts: labels for the cross-entropy) and
// returning the loss, per-sample losses, logits and one gradient per parameter. Parameters are graph
// inputs fed at every run, so new values need no rebuild.
import { encodeModel } from '../graph/encode.js';
import { DataType, inlineInitializers, type Graph, type Model, type Tensor, type ValueInfo } from '../graph/ir.js';
import type { Parameter } from '../graph/params.js';
import type { ShapeMap } from '../core/tensor.js';
import { UnsupportedModelError } from '../core/errors.js';
import { findHead, type Head } from '../graph/head.js';
import { GraphBuilder } from './builder.js';
import { backward } from './engine.js';
import { crossEntropy, lossDefinition, lossInputName, type LossDefinition } from './losses/index.js';
import type { RuleRegistry } from './registry.js';

/** The graph input of the labels of a loss that takes them (the cross-entropy's). */
export const LABELS = lossInputName('labels');
export const LOSS = 'scrub/loss';
export const PER_SAMPLE_LOSS = 'scrub/per_sample_loss';
export const gradName = (param: string) => `scrub/grad/${param}`;
export const squaredGradName = (param: string) => `scrub/grad2/${param}`;

export interface ArtifactOptions {
  /** The loss appended after the logits: a registered name or a definition (losses/); default 'cross-entropy'. */
  loss?: string | LossDefinition;
  /** Also output the elementwise squares of the gradients. */
  squared?: boolean;
  /** Parameters as required inputs, fed at every run (default true); false bakes the current values in. */
  paramsAsInputs?: boolean;
  /** The model output holding the class scores (graph/head.ts findHead; default: found from the model). */
  output?: string;
}

export interface Artifact {
  bytes: Uint8Array;
  inputs: string[];
  logits: string;
  classes: number;
  params: Parameter[];
  head: Head;
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
  const head = findHead(model, (name) => shapes.get(name), opts.output);
  const { logits, classes } = head;
  const ls = shapes.get(logits)!.dims;
  const opset = model.opsetImports.get('') ?? 1;
  if (opset < 11)
    throw new UnsupportedModelError(
      `${source}: opset ${opset} is too old; re-export with opset 11 or newer ` +
        '(torch.onnx.export(..., opset_version=17)).',
    );

  const b = new GraphBuilder(opset);
  const def = typeof opts.loss === 'string' ? lossDefinition(opts.loss) : (opts.loss ?? crossEntropy);
  const lossInputs = new Map(def.inputs.map((i) => [i.key, lossInputName(i.key)]));
  const loss = def.build(b, logits, Object.fromEntries(lossInputs), classes);
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
  const lossValueInfos: ValueInfo[] = def.inputs.map((i) => ({
    name: lossInputName(i.key),
    elemType: i.dtype === 'int64' ? DataType.INT64 : DataType.FLOAT,
    shape: i.shape === 'batch' ? [batch] : [batch, classes],
  }));
  const fed = feedParameters(g, (opts.paramsAsInputs ?? true) ? params : []);
  const bytes = encodeLike(model, {
    name: 'scrub_gradient',
    nodes: [...g.nodes, ...b.nodes],
    inputs: [...fed.dataInputs, ...lossValueInfos, ...fed.paramInputs],
    outputs,
    initializers: new Map([...fed.initializers, ...b.initializers]),
    valueInfo: new Map(),
  });
  return { bytes, inputs: fed.dataInputs.map((i) => i.name), logits, classes, params, head };
}

/**
 * The model's forward pass alone with the parameters as required inputs (no initializers for
 * them): the logits of new weights, fed at every run, without computing a backward pass.
 */
export function buildForwardArtifact(model: Model, params: readonly Parameter[], head: Head): Uint8Array {
  const fed = feedParameters(model.graph, params);
  const inputs = [...fed.dataInputs, ...fed.paramInputs];
  return encodeLike(model, {
    name: 'scrub_forward',
    nodes: model.graph.nodes,
    inputs,
    outputs: [logitsOutput(head)],
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

/** The head's logits as a graph output: float32 [batch, classes]. */
export function logitsOutput(head: Pick<Head, 'logits' | 'classes'>): ValueInfo {
  return { name: head.logits, elemType: DataType.FLOAT, shape: ['batch', head.classes] };
}

/**
 * The model with the head's logits as its only output, or undefined where they already are its first
 * output (then the file itself serves): what evaluation's forward passes run, whatever the head is.
 */
export function exposeLogits(model: Model, head: Pick<Head, 'logits' | 'classes'>): Uint8Array | undefined {
  if (model.graph.outputs[0].name === head.logits) return undefined;
  const initializers = inlineInitializers(model.graph);
  return encodeLike(model, { ...model.graph, outputs: [logitsOutput(head)], initializers });
}

function encodeLike(model: Model, graph: Graph): Uint8Array {
  return encodeModel({ irVersion: Math.max(model.irVersion, 4), opsetImports: model.opsetImports, graph });
}
