// What a model is: opset, ops, trainable parameters and whether every op has a gradient rule.
import { differentiablePath, missingRules, type MissingRule } from '../autodiff/engine.js';
import { buildArtifact, refuseOldOpset } from '../autodiff/artifact.js';
import { trainingBatchNormNote, trainingBatchNorms } from '../autodiff/rules/batch-normalization.js';
import { UnsupportedModelError } from '../core/errors.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { DTYPE_NAMES, numElements, type Dim } from '../graph/ir.js';
import { findHead, type Head, type HeadChoice } from '../graph/head.js';
import { loadModel } from '../graph/load.js';
import { refuseQuantized } from '../graph/quantized.js';
import type { Constant, Parameter, ParameterList } from '../graph/params.js';
import { findParameters, modelInputs } from '../runtime/gradient.js';
import { probeModel } from '../runtime/shapes.js';
import { fixedBatch } from '../runtime/batching.js';

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
  /** The input's batch size where the model fixes it: every pass runs that many examples at a time. */
  fixedBatch?: number;
  /** Where the batch is declared free but the model runs at fixedBatch only: ONNX Runtime's message at batch 2. */
  tracedBatch?: string;
  differentiable: boolean;
  missingRules: MissingRule[];
  /** Why grad, SSD and ∇τ would refuse the model, each in one sentence; empty where they run. */
  blockers: string[];
  /** What they will do that is worth knowing (a training-form BatchNormalization's batch statistics). */
  notes: string[];
}

/**
 * What `scrub inspect` reports: the preflight of grad, SSD and ∇τ, run to the end. Every blocker is
 * collected (a quantized model, several inputs, an op without a rule, a training-mode node the rules
 * refuse, an opset the gradient cannot be built at) and listed in `blockers`, empty exactly where the
 * gradient artifact builds. Throws UnsupportedModelError listing the blockers found so far where the
 * model cannot be described at all (its shapes cannot be probed, it has no logits).
 */
export async function inspectModel(path: string, output?: string | HeadChoice): Promise<InspectReport> {
  const model = loadModel(path);
  // below opset 7 nothing runs, and a quantized model is to be unlearned as its float model: refused alone
  refuseOldOpset(model);
  refuseQuantized(model, path);
  const blockers: string[] = [];
  const collect = (e: unknown): undefined => {
    if (!(e instanceof UnsupportedModelError)) throw e;
    blockers.push(e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message);
    return undefined;
  };
  const notReady = () => new UnsupportedModelError(`${path}: ${blockers.map((b) => b.replace(/\.$/, '')).join('; ')}.`);
  const g = model.graph;
  const probe = await probeModel(model).catch(collect);
  if (!probe) throw notReady();
  const { shapes, traced } = probe;
  let head: Head | undefined;
  try {
    head = findHead(model, (name) => shapes.get(name), output);
  } catch (e) {
    collect(e);
  }
  if (!head) throw notReady();
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
  if (missing.length > 0)
    blockers.push(
      `no gradient rule for ${missing.map((m) => `${m.op} (opset ${m.opset})`).join(', ')}; exclude the parameters ` +
        'behind them (--params) or re-export with supported ops',
    );
  // the rest of the preflight: build the gradient artifact as grad, SSD and ∇τ do (rules that refuse a
  // node's form, an opset the backward pass cannot be built at)
  if (blockers.length === 0 && params.length > 0)
    try {
      buildArtifact(model, shapes, params, defaultRegistry(), { head });
    } catch (e) {
      collect(e);
    }
  const notes = [trainingBatchNormNote(trainingBatchNorms(g, model.opsetImports))].filter((n) => n !== undefined);
  const declaredBatch = fixedBatch(modelInputs(model));
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
    opset: model.upgradedFrom ?? model.opsetImports.get('') ?? 0, // the file's (graph/upgrade.ts)
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    inputs: g.inputs.filter((i) => !inits.has(i.name)).map(describe),
    outputs: g.outputs.map(describe),
    ops,
    parameters: [...params],
    parameterCount: params.reduce((a, p) => a + numElements(p.shape), 0),
    preprocessingConstants: constants.filter((c) => c.kind === 'preprocessing'),
    quantizationParameters: constants.filter((c) => c.kind === 'quantization'),
    head,
    ...(declaredBatch !== undefined ? { fixedBatch: declaredBatch } : {}),
    ...(traced ? { fixedBatch: traced.batch, tracedBatch: traced.why } : {}),
    differentiable: missing.length === 0,
    missingRules: missing,
    blockers,
    notes,
  };
}
