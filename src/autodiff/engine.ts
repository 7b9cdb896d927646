// Reverse-mode differentiation over the IR: emits a backward graph of standard ONNX ops.
import { isFloatType, tensorToNumbers, type Dim, type Graph, type Node } from '../graph/ir.js';
import type { ShapeMap } from '../core/tensor.js';
import { BadInputError, ScrubError } from '../core/errors.js';
import { GraphBuilder } from './builder.js';
import { NON_DIFFERENTIABLE, type GradContext, type RuleRegistry } from './registry.js';

export interface BackwardSpec {
  graph: Graph;
  opsets: ReadonlyMap<string, number>;
  shapes: ShapeMap;
  registry: RuleRegistry;
  /** Values to differentiate with respect to (parameters or inputs). */
  wrt: readonly string[];
  /** Forward value → name of the gradient flowing into it (already defined in `b` or as an input). */
  seeds: ReadonlyMap<string, string>;
  b: GraphBuilder;
  /** Where the model came from, for error messages. */
  source?: string;
}

export interface PathInfo {
  /** Indices of the forward nodes on a path from `wrt` to the seeds, in topological order. */
  nodes: number[];
  requiresGrad: Set<string>;
}

/** Nodes that lie on a differentiable path from wrt to the seeds. */
export function differentiablePath(
  graph: Graph,
  shapes: ShapeMap,
  wrt: readonly string[],
  seedValues: Iterable<string>,
): PathInfo {
  const requiresGrad = new Set(wrt);
  for (const n of graph.nodes) {
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    if (!n.inputs.some((i) => i && requiresGrad.has(i))) continue;
    for (const o of n.outputs) if (o && isFloatType(shapes.get(o)?.dtype ?? 1)) requiresGrad.add(o);
  }
  const reaches = new Set(seedValues);
  const onPath: number[] = [];
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k];
    if (!n.outputs.some((o) => reaches.has(o) && requiresGrad.has(o))) continue;
    if (!n.inputs.some((i) => i && requiresGrad.has(i))) continue;
    onPath.push(k);
    for (const i of n.inputs) if (i) reaches.add(i);
  }
  return { nodes: onPath.reverse(), requiresGrad };
}

export interface MissingRule {
  op: string;
  opset: number;
  nodes: string[];
}

/** Op types on the path that have no gradient rule, with the nodes where they occur. */
export function missingRules(
  graph: Graph,
  opsets: ReadonlyMap<string, number>,
  registry: RuleRegistry,
  path: PathInfo,
): MissingRule[] {
  const missing = new Map<string, MissingRule>();
  for (const k of path.nodes) {
    const n = graph.nodes[k];
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    const opset = opsets.get(n.domain) ?? 0;
    if (registry.find(n.domain, n.opType, opset)) continue;
    const op = `${n.domain ? n.domain + '.' : ''}${n.opType}`;
    const entry = missing.get(op) ?? { op, opset, nodes: [] };
    entry.nodes.push(n.name || n.outputs[0]);
    missing.set(op, entry);
  }
  return [...missing.values()];
}

/** Emits the backward pass into spec.b; returns the gradient name for each wrt value (null when zero). */
export function backward(spec: BackwardSpec): Map<string, string | null> {
  const { graph, shapes, registry, b } = spec;
  const path = differentiablePath(graph, shapes, spec.wrt, spec.seeds.keys());
  const missing = missingRules(graph, spec.opsets, registry, path);
  if (missing.length > 0) {
    const list = missing.map(
      (m) =>
        `${m.op} (opset ${m.opset}) at ${m.nodes.slice(0, 3).join(', ')}${m.nodes.length > 3 ? ` and ${m.nodes.length - 3} more` : ''}`,
    );
    throw new BadInputError(
      `${spec.source ?? 'model'}: no gradient rule for ${missing.length} op type(s) on the loss→parameter path: ${list.join('; ')}. ` +
        'Exclude the parameters behind them (--params) or re-export the model with supported ops.',
    );
  }

  const contributions = new Map<string, string[]>();
  const add = (value: string, grad: string) => contributions.set(value, [...(contributions.get(value) ?? []), grad]);
  for (const [value, grad] of spec.seeds) add(value, grad);
  const finalized = new Map<string, string | null>();
  const gradOf = (value: string): string | null => {
    if (finalized.has(value)) return finalized.get(value)!;
    const parts = contributions.get(value) ?? [];
    const g = parts.length === 0 ? null : parts.length === 1 ? parts[0] : b.op('Sum', parts);
    finalized.set(value, g);
    return g;
  };

  const constants = new ConstantValues(graph);
  const shapeOf = (name: string): Dim[] => {
    const s = shapes.get(name);
    if (!s) throw new Error(`no shape known for ${name}`);
    return s.dims;
  };

  for (let p = path.nodes.length - 1; p >= 0; p--) {
    const node = graph.nodes[path.nodes[p]];
    if (NON_DIFFERENTIABLE.has(node.opType)) continue;
    const dys = node.outputs.map((o) => (o ? gradOf(o) : null));
    if (dys.every((d) => d === null)) continue;
    const opset = spec.opsets.get(node.domain) ?? 0;
    const rule = registry.find(node.domain, node.opType, opset)!;
    const ctx: GradContext = {
      node,
      opset,
      b,
      x: (i) => node.inputs[i] ?? '',
      y: (i) => node.outputs[i] ?? '',
      dy: (i) => dys[i] ?? null,
      needs: (i) => !!node.inputs[i] && path.requiresGrad.has(node.inputs[i]),
      shape: shapeOf,
      dtype: (name) => shapes.get(name)?.dtype ?? 0,
      constant: (name) => constants.get(name),
      reduceTo: (grad, from, to) => reduceTo(b, grad, from, to, shapeOf(to)),
    };
    let grads: (string | null | undefined)[];
    try {
      grads = rule.grad(ctx);
    } catch (e) {
      if (e instanceof ScrubError) throw e;
      throw new BadInputError(
        `${spec.source ?? 'model'}: gradient of ${node.opType} node ${node.name}: ${(e as Error).message}`,
      );
    }
    node.inputs.forEach((input, i) => {
      const g = grads[i];
      if (g && ctx.needs(i)) add(input, g);
    });
  }
  return new Map(spec.wrt.map((w) => [w, gradOf(w)]));
}

/** The adjoint of numpy broadcasting: sums grad (shaped `from`) down to `toShape`. */
export function reduceTo(b: GraphBuilder, grad: string, from: Dim[], to: string, toShape: Dim[]): string {
  const lead = from.length - toShape.length;
  if (lead < 0) throw new Error(`cannot reduce rank ${from.length} to rank ${toShape.length}`);
  const axes: number[] = [];
  for (let k = 0; k < from.length; k++) {
    if (k < lead) axes.push(k);
    else if (toShape[k - lead] === 1 && from[k] !== 1) axes.push(k);
  }
  if (axes.length === 0) return grad;
  const summed = b.reduce('ReduceSum', grad, axes, true);
  if (lead === 0) return summed;
  if (toShape.every((d) => typeof d === 'number')) return b.op('Reshape', [summed, b.i64(toShape as number[])]);
  return b.op('Reshape', [summed, b.shapeOf(to)]);
}

/** Values of initializers and Constant nodes, read lazily, for rules that read axes, pads or indices. */
export class ConstantValues {
  private producers = new Map<string, Node>();
  private cache = new Map<string, number[] | undefined>();

  constructor(private readonly graph: Graph) {
    for (const n of graph.nodes) if (n.opType === 'Constant') this.producers.set(n.outputs[0], n);
  }

  get(name: string): number[] | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    let v: number[] | undefined;
    const init = this.graph.initializers.get(name);
    if (init) v = numbersOrUndefined(() => tensorToNumbers(init));
    else {
      const n = this.producers.get(name);
      const a =
        n && (n.attrs.value ?? n.attrs.value_ints ?? n.attrs.value_int ?? n.attrs.value_floats ?? n.attrs.value_float);
      if (a?.type === 'tensor') v = numbersOrUndefined(() => tensorToNumbers(a.t));
      else if (a?.type === 'ints') v = a.ints;
      else if (a?.type === 'int') v = [a.i];
      else if (a?.type === 'floats') v = a.floats;
      else if (a?.type === 'float') v = [a.f];
    }
    this.cache.set(name, v);
    return v;
  }
}

function numbersOrUndefined(f: () => number[]): number[] | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
