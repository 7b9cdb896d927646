// Trainable parameters of an exported model and their PyTorch names.
import { attrInt, isFloatType, numElements, type Graph, type Model, type Node, type Tensor } from './ir.js';
import { BadInputError } from '../core/errors.js';

export interface Parameter {
  /** Initializer name in the ONNX file. */
  name: string;
  /** PyTorch parameter name when it could be recovered. */
  torchName?: string;
  /** The initializer holds the transpose of the PyTorch parameter (Linear weights exported to MatMul). */
  transposed: boolean;
  shape: number[];
}

/** Inputs of an op that are float but never trainable (statistics, bounds, fill values). */
const FROZEN_INPUTS: Record<string, number[]> = {
  BatchNormalization: [3, 4],
  Clip: [1, 2],
  Pad: [2],
  Resize: [1, 2],
  Upsample: [1],
  Dropout: [1],
  ConstantOfShape: [0],
};

/**
 * What discovery found: the trainable parameters, with the float initializers that reach the output
 * but are not parameters attached as `constants` (listed apart by `inspect`, selectable by name with
 * `--params`). The array holds the parameters only, so every caller of discovery sees those alone.
 */
export type ParameterList = Parameter[] & { constants?: Constant[] };

/** A float initializer that is not a parameter: input preprocessing or quantization. */
export interface Constant extends Parameter {
  kind: 'preprocessing' | 'quantization';
}

/**
 * Float input slots that hold quantization parameters (scales; zero points when float): never
 * trainable. Every float input of a QLinear* op (com.microsoft included) is one too: their data,
 * weights and biases are integers.
 */
const QUANT_SLOTS: Record<string, number[]> = {
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  DynamicQuantizeLinear: [],
};

function isQuantSlot(node: Node, slot: number): boolean {
  if (node.opType in QUANT_SLOTS) return QUANT_SLOTS[node.opType].includes(slot);
  return /^QLinear|^QGemm$|^QAttention$/.test(node.opType);
}

/** Elementwise ops by which a constant can shift or scale the input. */
const AFFINE = new Set(['Sub', 'Div', 'Mul', 'Add']);
/** Ops that carry the raw input along without weighing it (layout, dtype). */
const CARRY = new Set(['Identity', 'Cast', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten']);

/**
 * Preprocessing constants. The raw-input values are the graph's float inputs and, transitively, the
 * outputs of (a) a CARRY op whose first input is a raw-input value, and (b) a Sub/Div/Mul/Add whose
 * one operand is a raw-input value and whose other operand is a float initializer (or a Constant
 * node's output). A float initializer is a preprocessing constant when it has at least one consumer
 * and every consumer is such a (b) node: it only shifts or scales the model input before any
 * weighted op (Conv, Gemm, MatMul, a normalisation's scale, a Gather on a table…) has seen it, as a
 * normalisation mean and std or a fixed scale and shift do. Anything after the first other op is
 * out of reach: a learned offset added to the raw input (rare) would be classed as preprocessing.
 */
function preprocessingConstants(g: Graph): Set<string> {
  const constant = new Set(g.initializers.keys());
  for (const n of g.nodes) if (n.opType === 'Constant') n.outputs.forEach((o) => constant.add(o));
  const raw = new Set(
    g.inputs.filter((i) => !g.initializers.has(i.name) && isFloatType(i.elemType)).map((i) => i.name),
  );
  const viaInput = new Set<Node>();
  for (const n of g.nodes) {
    if (CARRY.has(n.opType) && raw.has(n.inputs[0])) n.outputs.forEach((o) => raw.add(o));
    else if (AFFINE.has(n.opType) && n.inputs.length === 2) {
      const [a, b] = n.inputs;
      if ((raw.has(a) && constant.has(b)) || (raw.has(b) && constant.has(a))) {
        viaInput.add(n);
        raw.add(n.outputs[0]);
      }
    }
  }
  const out = new Set<string>();
  const consumers = consumersOf(g);
  for (const name of g.initializers.keys()) {
    const uses = consumers.get(name) ?? [];
    if (uses.length > 0 && uses.every((u) => viaInput.has(u.node))) out.add(name);
  }
  return out;
}

/**
 * A float initializer is trainable when it feeds, through differentiable slots, a model output, and
 * is neither a preprocessing constant nor a quantization parameter (those come back as `constants`).
 */
export function discoverParameters(
  model: Model,
  differentiable: (graph: Graph, candidates: string[]) => Set<string>,
): ParameterList {
  const g = model.graph;
  // a one-element constant the exporter made is no parameter, unless it is a PReLU's single slope
  const slopes = new Set(g.nodes.filter((n) => n.opType === 'PRelu').map((n) => n.inputs[1]));
  const exporterScalar = (t: Tensor) =>
    numElements(t.dims) <= 1 && /^(onnx::|\/|_)/.test(t.name) && !slopes.has(t.name);
  const candidates = [...g.initializers.values()]
    .filter((t) => isFloatType(t.dataType) && !exporterScalar(t))
    .map((t) => t.name);
  const frozen = new Set<string>();
  const trainableSlots = new Set<string>();
  const quant = new Set<string>();
  for (const n of g.nodes) {
    const skip = FROZEN_INPUTS[n.opType] ?? [];
    n.inputs.forEach((i, k) => {
      if (isQuantSlot(n, k)) quant.add(i);
      else if (skip.includes(k)) frozen.add(i);
      else trainableSlots.add(i);
    });
  }
  const preprocessing = preprocessingConstants(g);
  const onPath = differentiable(
    g,
    candidates.filter((c) => trainableSlots.has(c) && !quant.has(c)),
  );
  const names = torchNames(model);
  const describe = (name: string): Parameter => ({
    name,
    shape: [...g.initializers.get(name)!.dims],
    ...names(name),
  });
  const params: ParameterList = candidates.filter((c) => onPath.has(c) && !preprocessing.has(c)).map(describe);
  const constants: Constant[] = candidates
    .filter((c) => quant.has(c) || (preprocessing.has(c) && onPath.has(c)))
    .map((c) => ({
      ...describe(c),
      torchName: undefined,
      transposed: false,
      kind: quant.has(c) ? ('quantization' as const) : ('preprocessing' as const),
    }));
  // not enumerable: the list compares, copies and serialises as the parameters alone
  Object.defineProperty(params, 'constants', { value: constants, enumerable: false });
  return params;
}

/**
 * The parameters a `--params` pattern selects: every parameter whose ONNX or PyTorch name the
 * pattern matches (anywhere), and every constant (preprocessing, quantization) it names explicitly,
 * i.e. matches in full. No pattern: the parameters alone.
 */
export function selectParameters(params: Parameter[], pattern: string | undefined, source: string): Parameter[] {
  if (!pattern) return params;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new BadInputError(`--params ${pattern}: not a valid regular expression (${(e as Error).message}).`);
  }
  const full = new RegExp(`^(?:${pattern})$`);
  const named = (p: Parameter, r: RegExp) => r.test(p.name) || (p.torchName !== undefined && r.test(p.torchName));
  const chosen = [
    ...params.filter((p) => named(p, re)),
    ...((params as ParameterList).constants ?? []).filter((c) => named(c, full)),
  ];
  if (chosen.length === 0)
    throw new BadInputError(
      `${source}: no trainable parameter matches --params ${pattern}. Run \`scrub inspect\` to list them.`,
    );
  return chosen;
}

function consumersOf(g: Graph): Map<string, { node: Node; slot: number }[]> {
  const out = new Map<string, { node: Node; slot: number }[]>();
  for (const node of g.nodes) node.inputs.forEach((i, slot) => out.set(i, [...(out.get(i) ?? []), { node, slot }]));
  return out;
}

/** A PyTorch parameter path: dot-separated identifiers or indices ('features.1.0.block.3.weight'). */
const TORCH_PATH = /^[A-Za-z_]\w*(\.\w+)*$/;

/** The scope of a node: its name less the op ('/block.3_1/MatMul' → '/block.3_1'). */
function scopeOf(nodeName: string): string {
  return nodeName.slice(0, Math.max(0, nodeName.lastIndexOf('/')));
}

/**
 * PyTorch names of a model's initializers, or none where they cannot be established.
 *
 * Only a model PyTorch exported has them. An initializer the exporter kept under its own name is
 * the parameter (`features.0.0.weight`). One it renamed (`onnx::…`) is either a parameter it had to
 * transform — a Linear weight fed to MatMul, stored transposed; a PReLU slope or a GroupNorm affine
 * reshaped — or a tensor no PyTorch parameter holds (a BatchNorm folded into a conv, packed RNN
 * weights, slices of a MultiheadAttention's in_proj_weight): those get no name. The module of a
 * renamed parameter is recovered from its consumer's scope, which TorchScript often truncates
 * ('/block.3_1/MatMul' for features.3.0.block.3): see moduleOf.
 */
function torchNames(model: Model): (name: string) => { torchName?: string; transposed: boolean } {
  const g = model.graph;
  if (!/pytorch/i.test(model.producerName)) return () => ({ transposed: false });
  const consumers = consumersOf(g);
  const named = [...g.initializers.keys()].filter((n) => !n.startsWith('onnx::') && TORCH_PATH.test(n));
  // modules owning a kept-name initializer, by the scopes of its consumers
  const ownersByScope = new Map<string, Set<string>>();
  for (const n of named)
    for (const { node } of consumers.get(n) ?? []) {
      const scope = scopeOf(node.name);
      if (!ownersByScope.has(scope)) ownersByScope.set(scope, new Set());
      ownersByScope.get(scope)!.add(n.slice(0, n.lastIndexOf('.')));
    }
  // the exporter's scopes are whole module paths when every kept-name parameter's consumer sits in
  // its module's scope ('/c1/Conv' uses c1.weight), not in a truncated one ('/block.3/Add')
  const scopesRooted = [...ownersByScope].every(([scope, owners]) => {
    const path = moduleOfScope(`${scope}/op`);
    return path === undefined || [...owners].every((m) => m === path.replace(/_\d+$/, '') || m === path);
  });
  const opsByScope = new Map<string, Set<string>>();
  for (const n of g.nodes) {
    const scope = scopeOf(n.name);
    if (!opsByScope.has(scope)) opsByScope.set(scope, new Set());
    opsByScope.get(scope)!.add(n.opType);
  }

  /**
   * The full path of the module a scope belongs to. Evidence, in order: (1) the one module that owns
   * a kept-name initializer used in the same scope and whose path ends with the scope's path
   * (`features.3.0.block.3.bias` beside '/block.3_1/MatMul'); (2) the scope's path itself when it is
   * rooted — the model's scopes are (scopesRooted), or another kept-name parameter lives under its
   * parent module — and it is a leaf: no kept-name parameter lives under it (a MultiheadAttention's
   * scope holds out_proj's). Else none.
   */
  function moduleOf(scope: string): string | undefined {
    const path = moduleOfScope(`${scope}/op`);
    if (!path) return undefined;
    const paths = [path, path.replace(/_\d+$/, '')];
    const owners = [...(ownersByScope.get(scope) ?? [])].filter((m) =>
      paths.some((p) => m === p || m.endsWith(`.${p}`)),
    );
    if (owners.length === 1) return owners[0];
    if (owners.length > 1) return undefined;
    const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : undefined;
    const rooted = scopesRooted || (parent !== undefined && named.some((n) => n.startsWith(`${parent}.`)));
    const leaf = !named.some((n) => n.startsWith(`${path}.`));
    // '/a_1' is module a's second call when '/a' is its first
    const base = path.replace(/_\d+$/, '');
    const module = base !== path && opsByScope.has(scope.replace(/_\d+$/, '')) ? base : path;
    return rooted && leaf ? module : undefined;
  }

  /** The uses of a tensor, through the Identity nodes the exporter adds for a module called twice. */
  function usesOf(name: string): { node: Node; slot: number }[] {
    return (consumers.get(name) ?? []).flatMap((u) => (u.node.opType === 'Identity' ? usesOf(u.node.outputs[0]) : [u]));
  }

  /** The PyTorch name one use of a renamed initializer establishes, or none. */
  function nameFromUse(rank: number, { node, slot }: { node: Node; slot: number }): Named {
    const scope = scopeOf(node.name);
    // the module must be the kind that holds `param`: whatever else it holds under its kept names is
    // its own weight or bias (a Linear's bias), not a submodule's (out_proj.bias) nor another
    // parameter (a MultiheadAttention's in_proj_bias), and not `param` itself
    const named_ = (param: string, transposed: boolean): Named => {
      const m = moduleOf(scope);
      if (!m) return none;
      const held = named.filter((n) => n.startsWith(`${m}.`)).map((n) => n.slice(m.length + 1));
      const fits = held.every((h) => h !== param && (h === 'weight' || h === 'bias'));
      return fits ? { torchName: `${m}.${param}`, transposed } : none;
    };
    switch (node.opType) {
      case 'MatMul':
        return slot === 1 && rank === 2 ? named_('weight', true) : none;
      case 'Gemm':
        return slot === 1 ? named_('weight', attrInt(node, 'transB', 0) === 0) : none;
      case 'PRelu':
        return slot === 1 ? named_('weight', false) : none;
      // GroupNorm exports as InstanceNormalization then Mul by its weight and Add of its bias
      case 'Mul':
      case 'Add':
        return opsByScope.get(scope)?.has('InstanceNormalization')
          ? named_(node.opType === 'Mul' ? 'weight' : 'bias', false)
          : none;
      default:
        return none;
    }
  }

  return (name) => {
    if (!name.startsWith('onnx::')) return TORCH_PATH.test(name) ? { torchName: name, transposed: false } : none;
    const rank = g.initializers.get(name)!.dims.length;
    const found = usesOf(name).map((u) => nameFromUse(rank, u));
    // every use must establish the same name
    const first = found[0];
    if (!first?.torchName) return none;
    return found.every((f) => f.torchName === first.torchName && f.transposed === first.transposed) ? first : none;
  };
}

type Named = { torchName?: string; transposed: boolean };

const none = { transposed: false } as const;

/** '/blocks/blocks.0/attn/qkv/MatMul' → 'blocks.0.attn.qkv'. */
export function moduleOfScope(nodeName: string): string | undefined {
  const parts = nodeName.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  const path: string[] = [];
  for (const c of parts.slice(0, -1)) {
    const last = path[path.length - 1];
    if (last !== undefined && c.startsWith(last + '.')) path[path.length - 1] = c;
    else path.push(c);
  }
  return path.join('.');
}
