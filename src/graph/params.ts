// Trainable parameters of an exported model and their PyTorch names.
import { attrInt, isFloatType, numElements, type Graph, type Model, type Node } from './ir.js';
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

/** A float initializer is trainable when it feeds, through differentiable slots, a model output. */
export function discoverParameters(
  model: Model,
  differentiable: (graph: Graph, candidates: string[]) => Set<string>,
): Parameter[] {
  const g = model.graph;
  const candidates = [...g.initializers.values()]
    .filter((t) => isFloatType(t.dataType) && !(numElements(t.dims) <= 1 && /^(onnx::|\/|_)/.test(t.name)))
    .map((t) => t.name);
  const frozen = new Set<string>();
  const trainableSlots = new Set<string>();
  for (const n of g.nodes) {
    const skip = FROZEN_INPUTS[n.opType] ?? [];
    n.inputs.forEach((i, k) => (skip.includes(k) ? frozen.add(i) : trainableSlots.add(i)));
  }
  const onPath = differentiable(
    g,
    candidates.filter((c) => trainableSlots.has(c)),
  );
  const consumers = consumersOf(g);
  return candidates
    .filter((c) => onPath.has(c))
    .map((name) => ({
      name,
      shape: [...g.initializers.get(name)!.dims],
      ...torchName(name, consumers.get(name) ?? [], g.initializers.get(name)!.dims.length),
    }));
}

export function selectParameters(params: Parameter[], pattern: string | undefined, source: string): Parameter[] {
  if (!pattern) return params;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new BadInputError(`--params ${pattern}: not a valid regular expression (${(e as Error).message}).`);
  }
  const chosen = params.filter((p) => re.test(p.name) || (p.torchName !== undefined && re.test(p.torchName)));
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

/**
 * The exporter renames initializers it had to transform (a Linear weight fed to MatMul is stored
 * transposed as onnx::MatMul_N); the consuming node's scope names the module.
 */
function torchName(
  name: string,
  consumers: { node: Node; slot: number }[],
  rank: number,
): { torchName?: string; transposed: boolean } {
  if (!/^onnx::/.test(name)) return { torchName: name, transposed: false };
  const use = consumers[0];
  if (!use || consumers.length > 1) return { transposed: false };
  const module = moduleOfScope(use.node.name);
  if (!module) return { transposed: false };
  const { node, slot } = use;
  if (node.opType === 'MatMul' && slot === 1 && rank === 2) return { torchName: `${module}.weight`, transposed: true };
  if (node.opType === 'Gemm' && slot === 1)
    return { torchName: `${module}.weight`, transposed: attrInt(node, 'transB', 0) === 0 };
  if (node.opType === 'Gemm' && slot === 2) return { torchName: `${module}.bias`, transposed: false };
  if ((node.opType === 'Add' && rank === 1) || (node.opType === 'Conv' && slot === 2))
    return { torchName: `${module}.bias`, transposed: false };
  if (node.opType === 'Conv' && slot === 1) return { torchName: `${module}.weight`, transposed: false };
  return { transposed: false };
}

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
