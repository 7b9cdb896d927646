import { parseArgs } from 'node:util';
import { inspect } from '../api/inspect.js';
import type { InspectReport } from '../api/report.js';
import { UnsupportedModelError } from '../core/errors.js';
import type { Dim } from '../graph/ir.js';
import { requireOne, type Io } from './io.js';

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, output: { type: 'string' } },
    allowPositionals: true,
  });
  const model = requireOne(positionals, 'MODEL', 'scrub inspect MODEL [--output NAME] [--json]');
  const report = await inspect({ model, output: values.output });
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return differentiable(report);
  }
  const dims = (s: Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
  io.out(
    `model       ${report.model} (ONNX IR ${report.irVersion}, opset ${report.opset}, ` +
      `${report.producer || 'unknown producer'})`,
  );
  for (const i of report.inputs) io.out(`input       ${i.name} ${i.dtype} ${dims(i.shape)}`);
  for (const o of report.outputs) io.out(`output      ${o.name} ${o.dtype} ${dims(o.shape)}`);
  const h = report.head;
  const op = { softmax: 'Softmax', 'log-softmax': 'LogSoftmax', binary: 'Sigmoid', logits: '' }[h.kind];
  const through = h.node ? ` (${op} node ${h.node}: scrub differentiates its input ${h.logits})` : '';
  const loss = h.kind === 'binary' ? 'binary cross-entropy with logits, labels 0/1' : 'mean cross-entropy';
  const scores = h.kind === 'binary' ? 'one logit' : `${h.classes} classes`;
  io.out(`head        ${h.output}, ${scores}${through}; loss: ${loss}`);
  if (report.fixedBatch !== undefined)
    io.out(
      `batch       fixed at ${report.fixedBatch}: SSD, ∇τ, finetune and eval feed minibatches and refuse it for now; ` +
        're-export with a dynamic batch axis' +
        (report.fixedBatch === 1 ? ' (scrub grad --batch-size 1 works as it is)' : ''),
    );
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
  const apart = [
    ['preprocessing constants', 'only shift or scale the input; not parameters', report.preprocessingConstants],
    ['quantization parameters', 'scales of quantized tensors; never parameters', report.quantizationParameters],
  ] as const;
  for (const [what, why, list] of apart) {
    if (!list?.length) continue;
    io.out(`${what}  ${list.length} tensors (${why}; --params can name them)`);
    const w = Math.max(...list.map((c) => c.name.length));
    for (const c of list) io.out(`  ${c.name.padEnd(w)}  ${dims(c.shape)}`);
  }
  if (report.differentiable) io.out('gradients   every op on the loss→parameter path has a rule');
  else
    for (const m of report.missingRules)
      io.out(`gradients   NO RULE for ${m.op} (opset ${m.opset}) at ${m.nodes.join(', ')}`);
  return differentiable(report);
}

/** 0 when scrub can differentiate the model; else the report is printed and this is an unsupported model (3). */
function differentiable(r: InspectReport): number {
  if (r.differentiable) return 0;
  throw new UnsupportedModelError(
    `${r.model}: no gradient rule for ${r.missingRules.map((m) => `${m.op} (opset ${m.opset})`).join(', ')}; ` +
      'scrub cannot unlearn the parameters behind them. Exclude them (--params) or re-export with supported ops.',
  );
}
