// Reverse-mode differentiation over the IR: emits a backward graph of standard ONNX ops.
import { isFloatType, tensorToNumbers, type Dim, type Graph, type Node } from '../graph/ir.js';
import type { ShapeMap } from '../core/tensor.js';
import { ScrubError, UnsupportedModelError } from '../core/errors.js';
import { GraphBuilder } from './builder.js';
import { broadcastsInput, type GradContext, type GradRule, type RuleRegistry } from './registry.js';

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

/** The registry that says which ops carry gradient, and the model's opset of each domain. */
export interface RuleSource {
  registry: RuleRegistry;
  opsets: ReadonlyMap<string, number>;
}

/**
 * Nodes that lie on a differentiable path from wrt to the seeds. The registry's noGradient entries stop
 * the path (Shape, comparisons, Floor, ...); without `rules`, the default registry at the newest opsets
 * decides, for callers that need only the path's extent (parameter discovery, inspection).
 */
export function differentiablePath(
  graph: Graph,
  shapes: ShapeMap,
  wrt: readonly string[],
  seedValues: Iterable<string>,
  rules: RuleSource,
): PathInfo {
  const carries = graph.nodes.map((n) =>
    rules.registry.carriesGradient(n.domain, n.opType, rules.opsets.get(n.domain) ?? 0),
  );
  const requiresGrad = new Set(wrt);
  graph.nodes.forEach((n, k) => {
    if (!carries[k] || !n.inputs.some((i) => i && requiresGrad.has(i))) return;
    for (const o of n.outputs) if (o && isFloatType(shapes.get(o)?.dtype ?? 1)) requiresGrad.add(o);
  });
  const reaches = new Set(seedValues);
  const onPath: number[] = [];
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k];
    if (!carries[k]) continue;
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

/** Op types on the path that have no entry in the registry, with the nodes where they occur. */
export function missingRules(
  graph: Graph,
  opsets: ReadonlyMap<string, number>,
  registry: RuleRegistry,
  path: PathInfo,
): MissingRule[] {
  const missing = new Map<string, MissingRule>();
  for (const k of path.nodes) {
    const n = graph.nodes[k];
    const opset = opsets.get(n.domain) ?? 0;
    if (registry.find(n.domain, n.opType, opset)) continue;
    const op = `${n.domain ? n.domain + '.' : ''}${n.opType}`;
    const entry = missing.get(op) ?? { op, opset, nodes: [] };
    entry.nodes.push(n.name || n.outputs[0]);
    missing.set(op, entry);
  }
  return [...missing.values()];
}

/**
 * Emits the backward pass into spec.b; returns the gradient name for each wrt value (null when zero).
 * Throws UnsupportedModelError naming every op on the path without a gradient rule.
 */
export function backward(spec: BackwardSpec): Map<string, string | null> {
  const { graph, shapes, registry, b } = spec;
  const path = differentiablePath(graph, shapes, spec.wrt, spec.seeds.keys(), spec);
  const missing = missingRules(graph, spec.opsets, registry, path);
  if (missing.length > 0) {
    const list = missing.map((m) => {
      const more = m.nodes.length > 3 ? ` and ${m.nodes.length - 3} more` : '';
      return `${m.op} (opset ${m.opset}) at ${m.nodes.slice(0, 3).join(', ')}${more}`;
    });
    throw new UnsupportedModelError(
      `${spec.source ?? 'model'}: no gradient rule for ${missing.length} op type(s) on the loss→parameter path: ` +
        `${list.join('; ')}. Exclude the parameters behind them (--params) or re-export the model with supported ops.`,
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
    const dys = node.outputs.map((o) => (o ? gradOf(o) : null));
    if (dys.every((d) => d === null)) continue;
    const opset = spec.opsets.get(node.domain) ?? 0;
    // On the path, so the op carries gradient, and missingRules found its rule.
    const rule = registry.find(node.domain, node.opType, opset) as GradRule;
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
      reduceTo: (grad, from, to) => b.reduceTo(grad, from, to, shapeOf(to)),
    };
    let grads: (string | null | undefined)[];
    try {
      grads = rule.grad(ctx);
      // Gradients in the broadcast output's shape, summed down to their inputs'.
      grads = grads.map((g, i) =>
        g && ctx.needs(i) && broadcastsInput(rule, i) ? ctx.reduceTo(g, shapeOf(node.outputs[0]), node.inputs[i]) : g,
      );
    } catch (e) {
      if (e instanceof ScrubError) throw e;
      // a rule refuses a form of its op it cannot differentiate exactly (an attribute, an opset)
      throw new UnsupportedModelError(
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
