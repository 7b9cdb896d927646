// Inlines model-local functions (ModelProto.functions, as the PyTorch dynamo exporter writes them)
// into the graph, so that autodiff, shape probing and ONNX Runtime sessions see plain ONNX nodes.
// Every call is replaced by the function's nodes: formal inputs and outputs take the caller's names,
// the function's internal values get fresh names prefixed by the calling node's name, attribute
// references (ref_attr_name) take the caller's attribute or the function's default, and nested calls
// are inlined in turn. The model file's bytes are left alone (graph/write.ts patches those).
import { UnsupportedModelError } from '../core/errors.js';
import type { Attr, Graph, LocalFunction, Node } from './ir.js';

const key = (domain: string, name: string, overload: string): string => `${domain}\u0000${name}\u0000${overload}`;
const label = (f: LocalFunction): string => `${f.domain || 'ai.onnx'}:${f.name}${f.overload ? `:${f.overload}` : ''}`;

/**
 * Replaces, in `graph` (and its subgraphs), every call of a function of `functions` by its body.
 * The opset imports the inlined functions need are merged into `opsets`; a domain that only named
 * local functions is dropped once no node uses it. Throws UnsupportedModelError (prefixed by `path`)
 * on recursion or when a function needs another version of a domain than the model imports.
 */
export function inlineFunctions(
  graph: Graph,
  opsets: Map<string, number>,
  functions: readonly LocalFunction[],
  path: string,
): void {
  if (functions.length === 0) return;
  const table = new Map<string, LocalFunction>();
  for (const f of functions) table.set(key(f.domain, f.name, f.overload), f);
  const values = new Set<string>();
  const nodeNames = new Set<string>();
  collectNames(graph, values, nodeNames);
  const fresh = (taken: Set<string>, base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const merged = new Set<string>();
  const mergeOpsets = (f: LocalFunction): void => {
    const k = key(f.domain, f.name, f.overload);
    if (merged.has(k)) return;
    merged.add(k);
    for (const [domain, version] of f.opsetImports) {
      const have = opsets.get(domain);
      if (have === undefined) opsets.set(domain, version);
      else if (have !== version)
        throw new UnsupportedModelError(
          `${path}: local function ${label(f)} needs opset ${version} of domain '${domain || 'ai.onnx'}', ` +
            `the model imports ${have}; re-export the model with its functions inlined (one opset per domain).`,
        );
    }
  };

  /** The body of `fn` as called by `call`, renamed; nested calls are left for inlineList. */
  const instantiate = (call: Node, fn: LocalFunction): Node[] => {
    const rename = new Map<string, string>();
    fn.inputs.forEach((x, i) => rename.set(x, call.inputs[i] ?? ''));
    fn.outputs.forEach((y, i) => {
      const c = call.outputs[i];
      if (c) rename.set(y, c);
    });
    const prefix = call.name || fn.name;
    const map = (n: string): string => {
      if (n === '') return '';
      let r = rename.get(n);
      if (r === undefined) {
        r = fresh(values, `${prefix}/${n}`);
        rename.set(n, r);
      }
      return r;
    };
    const resolve = (refs: Node['refAttrs']): Record<string, Attr> => {
      const attrs: Record<string, Attr> = {};
      for (const [name, { ref }] of Object.entries(refs ?? {})) {
        const a = call.attrs[ref] ?? fn.attrDefaults[ref];
        if (a) attrs[name] = a; // an attribute the caller does not set is left out (ONNX semantics)
      }
      return attrs;
    };
    return fn.nodes.map((inner) => {
      const n: Node = {
        name: fresh(nodeNames, `${prefix}/${inner.name || inner.opType}`),
        opType: inner.opType,
        domain: inner.domain,
        inputs: inner.inputs.map(map),
        outputs: inner.outputs.map(map),
        attrs: { ...rewriteAttrs(inner.attrs, map, resolve), ...resolve(inner.refAttrs) },
      };
      if (inner.overload) n.overload = inner.overload;
      return n;
    });
  };

  const inlineList = (nodes: readonly Node[], stack: readonly string[]): Node[] => {
    const out: Node[] = [];
    for (const n of nodes) {
      const k = key(n.domain, n.opType, n.overload ?? '');
      const fn = table.get(k);
      if (!fn) {
        out.push(withSubgraphs(n, (g) => ({ ...g, nodes: inlineList(g.nodes, stack) })));
        continue;
      }
      if (stack.includes(k))
        throw new UnsupportedModelError(
          `${path}: local function ${label(fn)} calls itself (node ${n.name || n.opType}); ` +
            'ONNX functions cannot recurse. Re-export the model.',
        );
      mergeOpsets(fn);
      out.push(...inlineList(instantiate(n, fn), [...stack, k]));
    }
    return out;
  };

  graph.nodes = inlineList(graph.nodes, []);

  const used = new Set<string>();
  collectDomains(graph, used);
  for (const f of functions) if (f.domain && !used.has(f.domain)) opsets.delete(f.domain);
}

function withSubgraphs(n: Node, edit: (g: Graph) => Graph): Node {
  if (!Object.values(n.attrs).some((a) => a.type === 'graph')) return n;
  const attrs: Record<string, Attr> = {};
  for (const [k, a] of Object.entries(n.attrs)) attrs[k] = a.type === 'graph' ? { type: 'graph', g: edit(a.g) } : a;
  return { ...n, attrs };
}

/** A function body node's attributes with subgraphs rewritten: free names renamed, references resolved. */
function rewriteAttrs(
  attrs: Record<string, Attr>,
  map: (n: string) => string,
  resolve: (refs: Node['refAttrs']) => Record<string, Attr>,
): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const [k, a] of Object.entries(attrs))
    out[k] = a.type === 'graph' ? { type: 'graph', g: rewriteSubgraph(a.g, map, resolve, new Set()) } : a;
  return out;
}

function rewriteSubgraph(
  g: Graph,
  map: (n: string) => string,
  resolve: (refs: Node['refAttrs']) => Record<string, Attr>,
  outerLocal: ReadonlySet<string>,
): Graph {
  const local = new Set(outerLocal);
  for (const v of g.inputs) local.add(v.name);
  for (const k of g.initializers.keys()) local.add(k);
  for (const n of g.nodes) for (const o of n.outputs) local.add(o);
  const name = (x: string): string => (x === '' || local.has(x) ? x : map(x));
  const nodes = g.nodes.map((n) => {
    const attrs: Record<string, Attr> = {};
    for (const [k, a] of Object.entries(n.attrs))
      attrs[k] = a.type === 'graph' ? { type: 'graph', g: rewriteSubgraph(a.g, map, resolve, local) } : a;
    const out: Node = { ...n, inputs: n.inputs.map(name), attrs: { ...attrs, ...resolve(n.refAttrs) } };
    delete out.refAttrs;
    return out;
  });
  return { ...g, nodes, outputs: g.outputs.map((v) => ({ ...v, name: name(v.name) })) };
}

function collectNames(g: Graph, values: Set<string>, nodeNames: Set<string>): void {
  for (const v of g.inputs) values.add(v.name);
  for (const v of g.outputs) values.add(v.name);
  for (const k of g.initializers.keys()) values.add(k);
  for (const k of g.valueInfo.keys()) values.add(k);
  for (const n of g.nodes) {
    if (n.name) nodeNames.add(n.name);
    for (const x of [...n.inputs, ...n.outputs]) values.add(x);
    for (const a of Object.values(n.attrs)) if (a.type === 'graph') collectNames(a.g, values, nodeNames);
  }
}

function collectDomains(g: Graph, into: Set<string>): void {
  for (const n of g.nodes) {
    into.add(n.domain);
    for (const a of Object.values(n.attrs)) if (a.type === 'graph') collectDomains(a.g, into);
  }
}
