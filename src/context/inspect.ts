// What a model is: opset, ops, trainable parameters and whether every op has a gradient rule.
import { differentiablePath, missingRules, type MissingRule } from '../autodiff/engine.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { DTYPE_NAMES, numElements, type Dim } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import type { Constant, Parameter, ParameterList } from '../graph/params.js';
import { findParameters } from '../runtime/gradient.js';
import { probeShapes } from '../runtime/shapes.js';

export interface InspectReport {
  model: string;
  irVersion: number;
  opset: number;
  producer: string;
  inputs: { name: string; dtype: string; shape: Dim[] }[];
  outputs: { name: string; dtype: string; shape: Dim[] }[];
  ops: Record<string, number>;
  parameters: Parameter[];
  parameterCount: number;
  /** Float initializers that only shift or scale the input before any weighted op: not parameters. */
  preprocessingConstants: Constant[];
  /** Quantization scales (and float zero points): never parameters. */
  quantizationParameters: Constant[];
  differentiable: boolean;
  missingRules: MissingRule[];
}

export async function inspectModel(path: string): Promise<InspectReport> {
  const model = loadModel(path);
  const g = model.graph;
  const shapes = await probeShapes(model);
  const params: ParameterList = findParameters(model, shapes);
  const constants = params.constants ?? [];
  const seeds = g.outputs.map((o) => o.name);
  const missing = missingRules(
    g,
    model.opsetImports,
    defaultRegistry(),
    differentiablePath(
      g,
      shapes,
      params.map((p) => p.name),
      seeds,
      { registry: defaultRegistry(), opsets: model.opsetImports },
    ),
  );
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  const inits = new Set(g.initializers.keys());
  const describe = (v: { name: string; elemType: number; shape: Dim[] | null }) => ({
    name: v.name,
    dtype: DTYPE_NAMES[v.elemType] ?? '?',
    shape: v.shape ?? [],
  });
  return {
    model: path,
    irVersion: model.irVersion,
    opset: model.opsetImports.get('') ?? 0,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    inputs: g.inputs.filter((i) => !inits.has(i.name)).map(describe),
    outputs: g.outputs.map(describe),
    ops,
    parameters: [...params],
    parameterCount: params.reduce((a, p) => a + numElements(p.shape), 0),
    preprocessingConstants: constants.filter((c) => c.kind === 'preprocessing'),
    quantizationParameters: constants.filter((c) => c.kind === 'quantization'),
    differentiable: missing.length === 0,
    missingRules: missing,
  };
}
