import { parseArgs } from 'node:util';
import { ScrubError } from '../errors.js';
import { evaluate, type EvalReport } from '../eval/run.js';
import { availableMetrics, checkGateMetrics, describeFailures, judge, parseGate } from '../record/gates.js';
import { ManifestBuilder } from '../record/manifest.js';
import { fileHash, GUARANTEE, peakRss, RECORD_SCHEMA, writeRecord, type UnlearningRecord } from '../record/record.js';
import { ortVersion } from '../runtime/session.js';
import { version } from '../version.js';
import { intOption, type Io } from './io.js';
import { commonOptions, DATA_OPTIONS } from './options.js';

const USAGE = 'scrub eval MODEL --forget F [--retain R] [--test T] [--retrain M] [--seed S] [--require GATE]... [-o RECORD] [--json]';

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...DATA_OPTIONS,
      forget: { type: 'string' },
      retain: { type: 'string' },
      test: { type: 'string' },
      retrain: { type: 'string' },
      seed: { type: 'string' },
      require: { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || !values.forget) throw new ScrubError(`expected MODEL and --forget; usage: ${USAGE}`);
  const model = positionals[0];
  const gates = (values.require ?? []).map(parseGate);
  checkGateMetrics(gates, availableMetrics({ retain: !!values.retain, test: !!values.test, retrain: !!values.retrain }), 'add --retain/--test/--retrain for more');
  const t0 = performance.now();
  const manifest = new ManifestBuilder();
  const common = commonOptions(values, io);
  const report = await evaluate({
    ...common,
    model,
    forget: values.forget,
    retain: values.retain,
    test: values.test,
    retrain: values.retrain,
    seed: values.seed === undefined ? 0 : intOption(values.seed, 'seed', 0),
    onForgetBatch: (b) => manifest.add(b),
  });
  const acceptance = judge(gates, report.metrics);
  const recordPath = values.out ?? model.replace(/(\.onnx)?$/, '.eval.record.json');
  const record: UnlearningRecord = {
    schema: RECORD_SCHEMA,
    createdAt: new Date().toISOString(),
    software: { scrub: version(), node: process.version, onnxruntime: ortVersion(common.device), executionProvider: common.device ?? 'cpu' },
    input: { model: fileHash(model), dataFiles: [] },
    changes: [],
    forgetSet: manifest.build(values.forget),
    metrics: { after: report.metrics, ...(report.retrain ? { retrain: { ...report.retrain.metrics, model: fileHash(report.retrain.model) } } : {}) },
    resources: { wallSeconds: (performance.now() - t0) / 1000, peakRssBytes: peakRss() },
    acceptance,
    guarantee: GUARANTEE,
  };
  writeRecord(recordPath, record);
  if (values.json) io.out(JSON.stringify({ ...report, record: recordPath, acceptance }));
  else printReport(report, recordPath, io);
  for (const f of describeFailures(acceptance)) io.err(`gate failed: ${f}`);
  return acceptance.verdict === 'rejected' ? 1 : 0;
}

function printReport(r: EvalReport, recordPath: string, io: Io): void {
  const names = Object.keys(r.metrics.definitions);
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(4));
  io.out(`${'metric'.padEnd(24)} ${'model'.padStart(8)}${r.retrain ? `${'retrain'.padStart(9)}${'gap'.padStart(9)}` : ''}`);
  for (const n of names) {
    const v = r.metrics.values[n];
    const line = `${n.padEnd(24)} ${(v === undefined ? `n/a` : fmt(v)).padStart(8)}`;
    io.out(r.retrain ? `${line}${fmt(r.retrain.metrics.values[n]).padStart(9)}${fmt(r.retrain.gap[n]).padStart(9)}` : line);
  }
  for (const [n, why] of Object.entries(r.metrics.notComputable)) io.out(`  ${n} not computable: ${why}`);
  io.out(`record: ${recordPath}`);
}
