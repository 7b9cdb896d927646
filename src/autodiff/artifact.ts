// The gradient artifact: one self-contained ONNX model, forward + loss + backward, taking the
// model's inputs and the loss's own inputs (losses/registry.ts: labels for the cross-entropy) and
// returning the loss, per-sample losses, logits and one gradient per parameter. Parameters are graph
// inputs fed at every run, so new values need no rebuild.
import { decodeModel } from '../graph/decode.js';
import { encodeModel } from '../graph/encode.js';
import { OLDEST_OPSET, UPGRADED_OPSET } from '../graph/upgrade.js';
import {
  attrInt,
  attrInts,
  DataType,
  type Attr,
  inlineInitializers,
  type Graph,
  type Model,
  type Node,
  type Tensor,
  tensorToNumbers,
  type ValueInfo,
} from '../graph/ir.js';
import type { Parameter } from '../graph/params.js';
import type { ShapeMap } from '../core/tensor.js';
import { UnsupportedModelError } from '../core/errors.js';
import { findHead, type Head } from '../graph/head.js';
import { GraphBuilder, OpsetTooLowError } from './builder.js';
import { backward } from './engine.js';
import { crossEntropy, lossDefinition, lossInputName, type LossDefinition } from './losses/index.js';
import type { RuleRegistry } from './registry.js';

/** The graph input of the labels of a loss that takes them (the cross-entropy's). */
export const LABELS = lossInputName('labels');
export const LOSS = 'scrub/loss';
export const PER_SAMPLE_LOSS = 'scrub/per_sample_loss';
/**
 * The per-row mask [B] (1 keeps a row, 0 drops it) of an artifact whose batch is fixed at B > 1: it
 * multiplies dL/dlogits, so that padded rows of a partial chunk add nothing to the gradients.
 */
export const MASK = 'scrub/mask';
/** A binary head's scores [N, 2] = [0, z] (graph/head.ts): softmax gives [1 − σ(z), σ(z)]. */
export const TWO_CLASS_LOGITS = 'scrub/two_class_logits';
export const gradName = (param: string) => `scrub/grad/${param}`;
export const squaredGradName = (param: string) => `scrub/grad2/${param}`;

export interface ArtifactOptions {
  /** The loss appended after the logits: a registered name or a definition (losses/); default 'cross-entropy'. */
  loss?: string | LossDefinition;
  /** Also output the elementwise squares of the gradients. */
  squared?: boolean;
  /** Parameters as required inputs, fed at every run (default true); false bakes the current values in. */
  paramsAsInputs?: boolean;
  /** The head (graph/head.ts findHead), or the output holding the class scores; default: found from the model. */
  head?: Head;
  output?: string;
}

export interface Artifact {
  bytes: Uint8Array;
  inputs: string[];
  logits: string;
  classes: number;
  params: Parameter[];
  head: Head;
  /** Whether it takes MASK (the logits' batch is fixed above 1). */
  masked: boolean;
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
  const head = opts.head ?? findHead(model, (name) => shapes.get(name), opts.output);
  const { logits, classes } = head;
  const ls = shapes.get(logits)!.dims;
  // the loss reads the head's scores: the logits, or a binary head's [0, z] (scoresName)
  const scores = scoresName(head);
  const opset = model.opsetImports.get('') ?? 1;
  refuseOldOpset(model);
  const masked = typeof ls[0] === 'number' && ls[0] > 1;

  const def = typeof opts.loss === 'string' ? lossDefinition(opts.loss) : (opts.loss ?? crossEntropy);
  const lossInputs = new Map(def.inputs.map((i) => [i.key, lossInputName(i.key)]));
  // Rules emit at the builder's opset; one that needs a newer op form (ScatterND reduction='add' for an
  // embedding table below opset 16) throws OpsetTooLowError, and the artifact is rebuilt declaring that
  // opset where no op of the model changes meaning up to it (raiseBlockers). ctx.opset stays the model's.
  let artifactOpset = opset;
  let b: GraphBuilder;
  let loss: ReturnType<LossDefinition['build']>;
  let grads: Map<string, string | null>;
  for (;;) {
    b = new GraphBuilder(artifactOpset);
    try {
      b.nodes.push(...scoreNodes(head));
      loss = def.build(b, scores, Object.fromEntries(lossInputs), classes);
      if (masked) loss = { ...loss, dLogits: b.op('Mul', [loss.dLogits, b.unsqueeze(MASK, [1])]) };
      // d/dz of [0, z] is the second column of the scores' gradient
      if (scores !== logits) loss = { ...loss, dLogits: b.op('Gather', [loss.dLogits, b.i64([1])], { axis: 1 }) };
      grads = backward({
        graph: g,
        opsets: model.opsetImports,
        shapes,
        registry,
        wrt: params.map((p) => p.name),
        seeds: new Map([[logits, loss.dLogits]]),
        b,
        source,
      });
      break;
    } catch (e) {
      if (!(e instanceof OpsetTooLowError) || e.needed <= artifactOpset || e.needed > MAX_RAISED_OPSET) throw e;
      const blockers = raiseBlockers(g, shapes, opset, e.needed);
      if (blockers.length > 0) {
        const more = blockers.length > 3 ? ` and ${blockers.length - 3} more` : '';
        throw new UnsupportedModelError(
          `${source}: ${e.message}; the model is at opset ${opset}, and its gradient cannot be built at opset ` +
            `${e.needed} because ${blockers.slice(0, 3).join(', ')}${more} changed meaning in between. Re-export ` +
            `with opset ${e.needed} or newer (torch.onnx.export(..., opset_version=17)), or leave the parameters ` +
            'behind it out (--params).',
        );
      }
      artifactOpset = e.needed;
    }
  }
  const raised = artifactOpset > opset ? raiseForwardNodes(g.nodes, opset, artifactOpset, b) : g.nodes;
  const { forward, backward: backwardNodes } = shareRecomputedPools(raised, b.nodes);
  // the values the output nodes below read
  const read = new Set([loss.loss, loss.perSample, scores, ...[...grads.values()].filter((v) => v !== null)]);
  const pooled = maskBeforeUnpool(forward, backwardNodes, b.initializers, read);
  b.nodes.splice(0, b.nodes.length, ...sumBeforeUnpool(pooled, b.initializers));

  const outputs: ValueInfo[] = [
    { name: LOSS, elemType: DataType.FLOAT, shape: [] },
    { name: PER_SAMPLE_LOSS, elemType: DataType.FLOAT, shape: ['batch'] },
    { name: scores, elemType: DataType.FLOAT, shape: [ls[0] ?? 'batch', classes] },
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
    opset: artifactOpset,
    name: 'scrub_gradient',
    nodes: [...forward, ...b.nodes],
    inputs: [
      ...fed.dataInputs,
      ...lossValueInfos,
      ...(masked ? [{ name: MASK, elemType: DataType.FLOAT, shape: [batch] }] : []),
      ...fed.paramInputs,
    ],
    outputs,
    initializers: new Map([...fed.initializers, ...b.initializers]),
    valueInfo: new Map(),
  });
  return { bytes, inputs: fed.dataInputs.map((i) => i.name), logits: scores, classes, params, head, masked };
}

/** Attributes as a canonical string: key order and an absent storage_order (0, row-major) ignored. */
function attrKey(attrs: Record<string, Attr>): string {
  return JSON.stringify(
    Object.keys(attrs)
      .filter((k) => !(k === 'storage_order' && attrs[k].type === 'int' && attrs[k].i === 0))
      .sort()
      .map((k) => [k, attrs[k]]),
  );
}

/**
 * The MaxPool rule recomputes each pooling with its Indices output (rules/max-pool.ts). Where the forward
 * node is the same MaxPool (same input and attributes, row-major storage, no Indices output of its own),
 * the forward node takes the Indices output and the recomputation is dropped: one pooling instead of
 * two, and ONNX Runtime no longer reorders the forward one into its blocked layout and back (cnn, fed
 * weights, batch 320: about 4.5 of 52 ms a run). Y is the same value either way.
 */
export function shareRecomputedPools(
  forward: readonly Node[],
  backward: readonly Node[],
): { forward: Node[]; backward: Node[] } {
  const pools = new Map<string, number>();
  forward.forEach((n, i) => {
    if (n.opType === 'MaxPool' && n.domain === '' && n.outputs.filter(Boolean).length === 1 && n.outputs[0])
      pools.set(`${n.inputs[0]}|${attrKey(n.attrs)}`, i);
  });
  const shared = [...forward];
  const renamed = new Map<string, string>();
  const kept = backward.filter((n) => {
    if (n.opType !== 'MaxPool' || n.domain !== '' || n.outputs.length !== 2) return true;
    const key = `${n.inputs[0]}|${attrKey(n.attrs)}`;
    const at = pools.get(key);
    if (at === undefined) return true;
    const f = shared[at];
    shared[at] = { ...f, outputs: [f.outputs[0], n.outputs[1]] };
    renamed.set(n.outputs[0], f.outputs[0]);
    pools.delete(key);
    return false;
  });
  if (renamed.size === 0) return { forward: shared, backward: kept };
  const rename = (v: string) => renamed.get(v) ?? v;
  return { forward: shared, backward: kept.map((n) => ({ ...n, inputs: n.inputs.map(rename) })) };
}

/**
 * ReLU's mask moved through a disjoint MaxPool's gradient: Mul(MaxUnpool(dY, I), Cast(Greater(X, c)))
 * becomes MaxUnpool(Mul(dY, Cast(Greater(Y, c))), I), with Y = MaxPool(X) the node that gave I and c a
 * scalar. The same values: MaxUnpool puts dY only where I points, and there X equals its window's
 * maximum Y; elsewhere both are 0. The mask is computed on the pooled tensor (a quarter of the
 * elements for 2x2 windows: cnn, fed weights, batch 320, about 3.5 of 49 ms a run). Applies where
 * the unpooled gradient, the mask and its comparison have no other consumer.
 */
export function maskBeforeUnpool(
  forward: readonly Node[],
  backward: readonly Node[],
  initializers: ReadonlyMap<string, Tensor>,
  outputs: ReadonlySet<string>,
): Node[] {
  const producer = new Map<string, Node>();
  const uses = new Map<string, number>();
  for (const n of [...forward, ...backward]) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  const only = (v: string) => uses.get(v) === 1 && !outputs.has(v);
  const replaced = new Map<Node, Node[]>();
  const dropped = new Set<Node>();
  for (const mul of backward) {
    if (mul.opType !== 'Mul' || mul.domain !== '') continue;
    const [unpool, cast] = mul.inputs.map((v) => producer.get(v));
    if (unpool?.opType !== 'MaxUnpool' || cast?.opType !== 'Cast' || replaced.has(unpool)) continue;
    const greater = producer.get(cast.inputs[0]);
    if (greater?.opType !== 'Greater' || initializers.get(greater.inputs[1])?.dims.length !== 0) continue;
    const pool = producer.get(unpool.inputs[1]);
    if (pool?.opType !== 'MaxPool' || pool.outputs[1] !== unpool.inputs[1] || pool.inputs[0] !== greater.inputs[0])
      continue;
    if (![unpool.outputs[0], cast.outputs[0], greater.outputs[0]].every(only)) continue;
    const at = (suffix: string) => `${mul.outputs[0]}/pooled_${suffix}`;
    replaced.set(unpool, [
      { ...greater, name: at('greater'), inputs: [pool.outputs[0], greater.inputs[1]], outputs: [at('greater')] },
      { ...cast, name: at('mask'), inputs: [at('greater')], outputs: [at('mask')] },
      { ...mul, name: at('mul'), inputs: [unpool.inputs[0], at('mask')], outputs: [at('mul')] },
      { ...unpool, inputs: [at('mul'), ...unpool.inputs.slice(1)], outputs: mul.outputs },
    ]);
    for (const n of [greater, cast, mul]) dropped.add(n);
  }
  return backward.flatMap((n) => (dropped.has(n) ? [] : (replaced.get(n) ?? [n])));
}

/**
 * A sum over every spatial axis of a disjoint MaxPool's gradient taken before MaxUnpool spreads it:
 * ReduceSum(MaxUnpool(dY, I), axes) becomes ReduceSum(dY, axes) where the axes hold every spatial one
 * (a Conv's bias gradient under a pooling). MaxUnpool (emitted only for disjoint windows) writes each
 * element of dY once, at a distinct position, and zeros elsewhere, so both sums add the same values;
 * only their order, and so the float rounding, differs. The sum reads a quarter of the elements for
 * 2x2 windows; MaxUnpool stays for its other consumers.
 */
export function sumBeforeUnpool(backward: readonly Node[], initializers: ReadonlyMap<string, Tensor>): Node[] {
  const producer = new Map<string, Node>();
  for (const n of backward) for (const o of n.outputs) producer.set(o, n);
  return backward.map((n) => {
    if (n.opType !== 'ReduceSum' || n.domain !== '' || attrInt(n, 'noop_with_empty_axes', 0) !== 0) return n;
    const unpool = producer.get(n.inputs[0]);
    if (unpool?.opType !== 'MaxUnpool' || unpool.domain !== '') return n;
    const rank = 2 + (attrInts(unpool, 'kernel_shape')?.length ?? 0);
    const given = n.inputs[1] ? initializers.get(n.inputs[1]) : undefined;
    if (n.inputs[1] && !given) return n;
    const axes = (given ? tensorToNumbers(given) : attrInts(n, 'axes'))?.map((a) => (a < 0 ? a + rank : a));
    // no axes: a sum of every element
    const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    if (axes && !spatial.every((a) => axes.includes(a))) return n;
    return { ...n, inputs: [unpool.inputs[0], ...n.inputs.slice(1)] };
  });
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
    nodes: [...model.graph.nodes, ...scoreNodes(head)],
    inputs,
    outputs: [logitsOutput(head)],
    initializers: fed.initializers,
    valueInfo: new Map(),
  });
}

/**
 * A built artifact with its parameters put back as initializers holding `values` (float32, by name):
 * for passes whose weights do not change between runs (SSD's importance passes), so that ONNX Runtime
 * constant-folds and prepacks them (Conv and Gemm weights) instead of taking them as inputs at every
 * run. The artifact computes the same values; its inputs are the data and loss inputs alone.
 */
export function freezeParameters(
  bytes: Uint8Array,
  params: readonly Parameter[],
  values: ReadonlyMap<string, Float32Array>,
): Uint8Array {
  const m = decodeModel(bytes);
  const names = new Set(params.map((p) => p.name));
  const initializers = new Map(m.graph.initializers);
  for (const p of params) {
    const v = values.get(p.name)!;
    const data = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
    initializers.set(p.name, {
      name: p.name,
      dataType: DataType.FLOAT,
      dims: p.shape,
      bytes: data,
      location: { kind: 'typed' },
    });
  }
  return encodeModel({
    irVersion: m.irVersion,
    producerName: m.producerName,
    opsetImports: m.opsetImports,
    graph: { ...m.graph, inputs: m.graph.inputs.filter((i) => !names.has(i.name)), initializers },
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

/**
 * Throws UnsupportedModelError for a model below opset 11 (the oldest scrub's rules are checked at):
 * parseModel has upgraded opsets 7 to 10 (graph/upgrade.ts), so what is left is older than 7, or a
 * model built in memory without parseModel.
 */
export function refuseOldOpset(model: Model): void {
  const opset = model.opsetImports.get('') ?? 1;
  if (opset < OLDEST_OPSET)
    throw new UnsupportedModelError(
      `${model.path}: opset ${opset} is older than ${OLDEST_OPSET}, the oldest scrub reads; convert it with ` +
        `onnx.version_converter.convert_version(model, 13) or re-export it with ` +
        'torch.onnx.export(..., opset_version=17).',
    );
  if (opset < UPGRADED_OPSET)
    throw new UnsupportedModelError(
      `${model.path}: opset ${opset} was not upgraded to ${UPGRADED_OPSET}; read the model with loadModel or ` +
        'parseModel, which upgrade it.',
    );
}

/** The head's scores as a graph output: float32 [batch, classes] (scoresName). */
export function logitsOutput(head: Pick<Head, 'logits' | 'classes' | 'kind'>): ValueInfo {
  return { name: scoresName(head), elemType: DataType.FLOAT, shape: ['batch', head.classes] };
}

/**
 * The value holding a head's class scores [batch, classes], which every loss and metric reads: its
 * logits, or for a binary head (one logit z) TWO_CLASS_LOGITS = [0, z], so that its cross-entropy is
 * the binary cross-entropy with logits and its softmax [1 − σ(z), σ(z)] (graph/head.ts).
 */
export function scoresName(head: Pick<Head, 'logits' | 'kind'>): string {
  return head.kind === 'binary' ? TWO_CLASS_LOGITS : head.logits;
}

/** The nodes computing a binary head's [0, z] = Concat(z − z, z) (none for other heads). */
function scoreNodes(head: Pick<Head, 'logits' | 'kind'>): Node[] {
  if (head.kind !== 'binary') return [];
  const z = head.logits;
  const zero = `${TWO_CLASS_LOGITS}/zero`;
  const node = (opType: string, inputs: string[], output: string, attrs: Node['attrs'] = {}): Node => ({
    name: output,
    opType,
    domain: '',
    inputs,
    outputs: [output],
    attrs,
  });
  return [node('Sub', [z, z], zero), node('Concat', [zero, z], TWO_CLASS_LOGITS, { axis: { type: 'int', i: 1 } })];
}

/**
 * The model with the head's logits as its only output, or undefined where they already are its first
 * output (then the file itself serves): what evaluation's forward passes run, whatever the head is.
 */
export function exposeLogits(model: Model, head: Pick<Head, 'logits' | 'classes' | 'kind'>): Uint8Array | undefined {
  if (model.graph.outputs[0].name === scoresName(head)) return undefined;
  const initializers = inlineInitializers(model.graph);
  const nodes = [...model.graph.nodes, ...scoreNodes(head)];
  return encodeLike(model, { ...model.graph, nodes, outputs: [logitsOutput(head)], initializers });
}

/** `graph` with the model's IR version and opsets; `opset` raises the default domain's (IR 8 from opset 15). */
function encodeLike(model: Model, graph: Graph & { opset?: number }): Uint8Array {
  const { opset, ...rest } = graph;
  const raised = opset !== undefined && opset > (model.opsetImports.get('') ?? 1);
  const opsetImports = raised ? new Map([...model.opsetImports, ['', opset]]) : model.opsetImports;
  const irVersion = Math.max(model.irVersion, raised && opset >= 15 ? 8 : 4);
  return encodeModel({ irVersion, opsetImports, graph: rest });
}

/** The newest default-domain opset a gradient artifact is raised to (reduction='add' of ScatterND, ScatterElements). */
export const MAX_RAISED_OPSET = 16;

/**
 * Default-domain ops whose meaning or form changed between opset 11 and MAX_RAISED_OPSET (ONNX
 * Changelog), keyed by op, with the version that changed them. Every other change in 12..16 adds
 * types, or an attribute or input whose default keeps the old meaning (ArgMax select_last_index 12,
 * GatherND batch_dims 12, Reshape allowzero 14, GRU/LSTM/RNN layout 14, Shape start/end 15,
 * ScatterND/ScatterElements reduction 16, ...), or a new op.
 *   12 Dropout                 the ratio attribute became an input (rewritten: at inference it is unused)
 *   13 ReduceSum, Squeeze, Unsqueeze: axes, Split: split moved from attribute to input (rewritten)
 *   13 Softmax, LogSoftmax, Hardmax  coerced to 2-D at axis (default 1) → one axis (default -1): same only
 *                             where the axis is the last one
 *   13 Resize                  tf_half_pixel_for_nn removed, roi/scales reading changed
 *   14 BatchNormalization      extra outputs (training statistics) need training_mode = 1 from 14
 *   16 RoiAlign                coordinate_transformation_mode's default (output_half_pixel → half_pixel)
 *   -- If, Loop, Scan (any node with a subgraph): their bodies would be read at the raised opset
 */
const CHANGED_AT: ReadonlyMap<string, number> = new Map([
  ['Dropout', 12],
  ['ReduceSum', 13],
  ['Squeeze', 13],
  ['Unsqueeze', 13],
  ['Split', 13],
  ['Softmax', 13],
  ['LogSoftmax', 13],
  ['Hardmax', 13],
  ['Resize', 13],
  ['BatchNormalization', 14],
  ['RoiAlign', 16],
]);

const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

/** Forms that only moved an attribute to an input: raiseForwardNodes rewrites them. */
const REWRITTEN = new Set(['Dropout', 'ReduceSum', 'Squeeze', 'Unsqueeze', 'Split']);

/**
 * The default-domain nodes of `graph` whose meaning changes between opset `from` and `to` (CHANGED_AT),
 * described for an error message; empty when the graph means the same declared at `to` (after
 * raiseForwardNodes).
 */
export function raiseBlockers(graph: Graph, shapes: ShapeMap, from: number, to: number): string[] {
  const out: string[] = [];
  for (const n of graph.nodes) {
    const name = `${n.opType} node ${n.name || n.outputs[0]}`;
    if (CONTROL_FLOW.has(n.opType) || Object.values(n.attrs).some((a) => a.type === 'graph')) {
      out.push(`${name} (a subgraph)`);
      continue;
    }
    const at = n.domain === '' || n.domain === 'ai.onnx' ? CHANGED_AT.get(n.opType) : undefined;
    if (at === undefined || from >= at || to < at || REWRITTEN.has(n.opType)) continue;
    if (n.opType === 'Softmax' || n.opType === 'LogSoftmax' || n.opType === 'Hardmax') {
      const rank = shapes.get(n.inputs[0])?.dims.length;
      const axis = attrInt(n, 'axis', 1);
      if (rank !== undefined && (axis === rank - 1 || axis === -1)) continue;
      out.push(`${name} (axis ${axis} of rank ${rank ?? '?'})`);
    } else if (n.opType === 'BatchNormalization') {
      if (n.outputs.filter(Boolean).length > 1) out.push(`${name} (training outputs)`);
    } else out.push(name);
  }
  return out;
}

/**
 * The forward nodes in the form of opset `to`: the axes/split attributes of ReduceSum, Squeeze,
 * Unsqueeze and Split become int64 inputs (opset 13), Dropout drops its ratio attribute (12).
 */
export function raiseForwardNodes(nodes: readonly Node[], from: number, to: number, b: GraphBuilder): Node[] {
  return nodes.map((n) => {
    if ((n.domain !== '' && n.domain !== 'ai.onnx') || !REWRITTEN.has(n.opType)) return n;
    const at = CHANGED_AT.get(n.opType)!;
    if (from >= at || to < at) return n;
    if (n.opType === 'Dropout') {
      const { ratio: _ratio, ...attrs } = n.attrs;
      return { ...n, attrs };
    }
    const key = n.opType === 'Split' ? 'split' : 'axes';
    const values = attrInts(n, key);
    if (values === undefined) return n;
    const { [key]: _moved, ...attrs } = n.attrs;
    return { ...n, inputs: [n.inputs[0] ?? '', b.i64(values)], attrs };
  });
}
