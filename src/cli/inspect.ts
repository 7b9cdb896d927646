import { methodsForHead } from '../methods/table.js';
import { inspect } from '../api/inspect.js';
import type { InspectReport } from '../api/report.js';
import { UnsupportedModelError } from '../core/errors.js';
import type { Dim } from '../graph/ir.js';
import { UPGRADED_OPSET } from '../graph/upgrade.js';
import { parseCommand, requireOne, type Io } from './io.js';

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: {
      json: { type: 'boolean' },
      output: { type: 'string' },
      // the head as the other commands are told it: a sigmoid per label the graph does not show
      'multi-label': { type: 'boolean' },
      // no progress to silence: taken as every other command takes it
      quiet: { type: 'boolean', short: 'q' },
    },
    allowPositionals: true,
  });
  const model = requireOne(positionals, 'MODEL', 'scrub inspect MODEL [--output NAME] [--multi-label] [--json]');
  const report = await inspect({ model, output: values.output, multiLabel: values['multi-label'] });
  // Ctrl-C while it probed: cancelled (it writes nothing)
  io.signal?.throwIfAborted();
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return ready(report);
  }
  // opsets 7 to 10 were upgraded on load (graph/upgrade.ts)
  const opset = report.opset < UPGRADED_OPSET ? `${report.opset}, read as ${UPGRADED_OPSET}` : report.opset;
  const dims = (s: Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
  io.out(
    `model       ${report.model} (ONNX IR ${report.irVersion}, opset ${opset}, ` +
      `${report.producer || 'unknown producer'})`,
  );
  for (const i of report.inputs) io.out(`input       ${i.name} ${i.dtype} ${dims(i.shape)}`);
  for (const o of report.outputs) io.out(`output      ${o.name} ${o.dtype} ${dims(o.shape)}`);
  const h = report.head;
  const op = {
    softmax: 'Softmax',
    'log-softmax': 'LogSoftmax',
    binary: 'Sigmoid',
    'multi-label': 'Sigmoid',
    logits: '',
  }[h.kind];
  const through = h.node ? ` (${op} node ${h.node}: scrub differentiates its input ${h.logits})` : '';
  const loss =
    {
      binary: 'binary cross-entropy with logits, labels 0/1',
      'multi-label': 'mean binary cross-entropy with logits over every label, multi-hot labels',
    }[h.kind as string] ?? 'mean cross-entropy';
  const scores =
    h.kind === 'binary' ? 'one logit' : h.kind === 'multi-label' ? `${h.classes} labels` : `${h.classes} classes`;
  io.out(`head        ${h.output}, ${scores}${through}; loss: ${loss}`);
  if (report.fixedBatch !== undefined) {
    const how = report.tracedBatch
      ? `traced: its batch is declared free but it runs at ${report.fixedBatch} only ` +
        `(at batch 2: ${report.tracedBatch})`
      : 'declared';
    io.out(
      `batch       fixed at ${report.fixedBatch} (${how}); every command feeds ${report.fixedBatch} example` +
        `${report.fixedBatch === 1 ? '' : 's'} at a time and combines them exactly`,
    );
  }
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
  for (const n of report.notes) io.out(`note        ${n}`);
  for (const b of report.blockers) io.out(`blocker     ${b}`);
  if (report.blockers.length === 0)
    io.out(`ready       grad, fisher and --method ${methodsForHead(h.kind).join(', ')} run on it`);
  return ready(report);
}

/** 0 when grad, SSD and ∇τ run on the model; else (the report printed) one line listing every blocker, exit 3. */
function ready(r: InspectReport): number {
  if (r.blockers.length === 0) return 0;
  throw new UnsupportedModelError(`${r.model}: ${r.blockers.map((b) => b.replace(/\.$/, '')).join('; ')}.`);
}
