import { parseArgs } from 'node:util';
import { differentiablePath, missingRules, type MissingRule } from '../autodiff/engine.js';
import { defaultRegistry } from '../autodiff/rules/index.js';
import { DTYPE_NAMES, numElements, type Dim } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import type { Parameter } from '../graph/params.js';
import { findParameters } from '../runtime/gradient.js';
import { probeShapes } from '../runtime/shapes.js';
import { requireOne, type Io } from './io.js';

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
  differentiable: boolean;
  missingRules: MissingRule[];
}

export async function inspectModel(path: string): Promise<InspectReport> {
  const model = loadModel(path);
  const g = model.graph;
  const shapes = await probeShapes(model);
  const params = findParameters(model, shapes);
  const seeds = g.outputs.map((o) => o.name);
  const missing = missingRules(g, model.opsetImports, defaultRegistry(), differentiablePath(g, shapes, params.map((p) => p.name), seeds));
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  const inits = new Set(g.initializers.keys());
  const describe = (v: { name: string; elemType: number; shape: Dim[] | null }) => ({ name: v.name, dtype: DTYPE_NAMES[v.elemType] ?? '?', shape: v.shape ?? [] });
  return {
    model: path,
    irVersion: model.irVersion,
    opset: model.opsetImports.get('') ?? 0,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    inputs: g.inputs.filter((i) => !inits.has(i.name)).map(describe),
    outputs: g.outputs.map(describe),
    ops,
    parameters: params,
    parameterCount: params.reduce((a, p) => a + numElements(p.shape), 0),
    differentiable: missing.length === 0,
    missingRules: missing,
  };
}

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const report = await inspectModel(requireOne(positionals, 'MODEL', 'scrub inspect MODEL [--json]'));
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const dims = (s: Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
  io.out(`model       ${report.model} (ONNX IR ${report.irVersion}, opset ${report.opset}, ${report.producer || 'unknown producer'})`);
  for (const i of report.inputs) io.out(`input       ${i.name} ${i.dtype} ${dims(i.shape)}`);
  for (const o of report.outputs) io.out(`output      ${o.name} ${o.dtype} ${dims(o.shape)}`);
  io.out(`ops         ${Object.entries(report.ops).map(([k, v]) => `${k}×${v}`).join(' ')}`);
  io.out(`parameters  ${report.parameters.length} tensors, ${report.parameterCount.toLocaleString('en-US')} values`);
  const width = Math.max(...report.parameters.map((p) => p.name.length));
  for (const p of report.parameters) {
    const torch = p.torchName && p.torchName !== p.name ? `  → ${p.torchName}${p.transposed ? ' (transposed)' : ''}` : p.transposed ? '  (transposed)' : '';
    io.out(`  ${p.name.padEnd(width)}  ${dims(p.shape)}${torch}`);
  }
  if (report.differentiable) io.out('gradients   every op on the loss→parameter path has a rule');
  else for (const m of report.missingRules) io.out(`gradients   NO RULE for ${m.op} (opset ${m.opset}) at ${m.nodes.join(', ')}`);
  return report.differentiable ? 0 : 1;
}
