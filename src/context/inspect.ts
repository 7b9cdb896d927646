// What a model is: opset, ops, trainable parameters and whether every op has a gradient rule.
import { differentiablePath, missingRules, type MissingRule } from '../autodiff/engine.js';
import { refuseOldOpset } from '../autodiff/artifact.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { DTYPE_NAMES, numElements, type Dim } from '../graph/ir.js';
import { findHead, type Head } from '../graph/head.js';
import { loadModel } from '../graph/load.js';
import { refuseQuantized } from '../graph/quantized.js';
import type { Constant, Parameter, ParameterList } from '../graph/params.js';
import { findParameters, requireOneInput } from '../runtime/gradient.js';
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
  /** The output scrub treats as the class scores, and the value it differentiates (graph/head.ts). */
  head: Head;
  /** The input's batch size where the model fixes it (minibatch passes need a dynamic batch axis for now). */
  fixedBatch?: number;
  differentiable: boolean;
  missingRules: MissingRule[];
}

/**
 * What `scrub inspect` reports. Throws UnsupportedModelError where the commands that edit a model
 * would refuse it before any pass (a quantized model, a head scrub has no loss for), so that
 * inspect never calls a model ready that they refuse.
 */
export async function inspectModel(path: string, output?: string): Promise<InspectReport> {
  const model = loadModel(path);
  // what the editing commands refuse before any pass, inspect refuses alike
  refuseQuantized(model, path);
  requireOneInput(model, path);
  refuseOldOpset(model);
  const g = model.graph;
  const shapes = await probeShapes(model);
  const head = findHead(model, (name) => shapes.get(name), output);
  const params: ParameterList = findParameters(model, shapes, [head.logits]);
  const constants = params.constants ?? [];
  const seeds = [head.logits];
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
    head,
    ...(typeof g.inputs.find((i) => !inits.has(i.name))?.shape?.[0] === 'number'
      ? { fixedBatch: g.inputs.find((i) => !inits.has(i.name))!.shape![0] as number }
      : {}),
    differentiable: missing.length === 0,
    missingRules: missing,
  };
}
