import { parseArgs } from 'node:util';
import { inspect } from '../api/inspect.js';
import type { Dim } from '../graph/ir.js';
import { requireOne, type Io } from './io.js';

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const report = await inspect({ model: requireOne(positionals, 'MODEL', 'scrub inspect MODEL [--json]') });
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const dims = (s: Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
  io.out(
    `model       ${report.model} (ONNX IR ${report.irVersion}, opset ${report.opset}, ${report.producer || 'unknown producer'})`,
  );
  for (const i of report.inputs) io.out(`input       ${i.name} ${i.dtype} ${dims(i.shape)}`);
  for (const o of report.outputs) io.out(`output      ${o.name} ${o.dtype} ${dims(o.shape)}`);
  io.out(
    `ops         ${Object.entries(report.ops)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  );
  io.out(`parameters  ${report.parameters.length} tensors, ${report.parameterCount.toLocaleString('en-US')} values`);
  const width = Math.max(...report.parameters.map((p) => p.name.length));
  for (const p of report.parameters) {
    const torch =
      p.torchName && p.torchName !== p.name
        ? `  → ${p.torchName}${p.transposed ? ' (transposed)' : ''}`
        : p.transposed
          ? '  (transposed)'
          : '';
    io.out(`  ${p.name.padEnd(width)}  ${dims(p.shape)}${torch}`);
  }
  if (report.differentiable) io.out('gradients   every op on the loss→parameter path has a rule');
  else
    for (const m of report.missingRules)
      io.out(`gradients   NO RULE for ${m.op} (opset ${m.opset}) at ${m.nodes.join(', ')}`);
  return report.differentiable ? 0 : 1;
}
