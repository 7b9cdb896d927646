// The main command, `scrub MODEL FORGET [--method NAME] ...`: its flags, usage and summary come from
// the method table (src/methods/table.ts); the run itself is the library's unlearn().
import { rejectedRecordPathFor, unlearn } from '../api/unlearn.js';
import { defaultOutputPath } from '../context/options.js';
import { recordPathFor } from '../record/record.js';
import { BadInputError } from '../core/errors.js';
import { DEFAULT_METHOD, methodNamed, methodOptions, METHODS, type MethodOption } from '../methods/table.js';
import { gateFailure } from '../record/gates.js';
import { commonOptions, DATA_OPTIONS, positiveNumber, ranOn } from './options.js';
import { parseCommand, seedOption, type Io } from './io.js';
import { checkReportsBeside, reportBeside } from './report.js';
import { evaluationTable } from './summary.js';

const UNLEARN_FLAGS = {
  method: { type: 'string' },
  out: { type: 'string', short: 'o' },
  retain: { type: 'string' },
  val: { type: 'string' },
  test: { type: 'string' },
  retrain: { type: 'string' },
  seed: { type: 'string' },
  require: { type: 'string', multiple: true },
  report: { type: 'boolean' },
} as const;

/** What each set a method may require is, for --help. */
const SET_HELP = {
  retain: 'the training data minus the forget set (also evaluated for the record under every method)',
  val: 'a held-out set the model never trained on',
};

function optionUsage(o: MethodOption): string {
  return `[--${o.flag} ${o.kind === 'choice' ? o.choices!.join('|') : o.arg}]`;
}

export const FORGET_USAGE =
  `scrub MODEL FORGET [--method ${METHODS.map((m) => m.name).join('|')}] ` +
  `${methodOptions().map(optionUsage).join(' ')} [--retain R] [--val V] [--test T] [--retrain M] [--seed S] ` +
  '[--require GATE]... [-o OUT] [--report] [--json]';

/** The help lines of every method: its usage and what it does (the method table's words). */
export function methodsHelp(indent: number): string[] {
  const lines: string[] = [];
  for (const m of METHODS) {
    const sets = Object.entries(m.sets)
      .filter(([, need]) => need === 'required')
      .map(([set]) => `--${set} ${set === 'retain' ? 'R' : 'V'}`);
    const usage = [`scrub MODEL FORGET --method ${m.name}`, ...sets, ...m.options.map(optionUsage)];
    lines.push(`  ${usage.join(' ')}${m.name === DEFAULT_METHOD ? '   (the default)' : ''}`);
    lines.push(...wrap(`${m.title}: ${m.summary}`, 100 - indent).map((l) => `${' '.repeat(indent)}${l}`));
    for (const [set, need] of Object.entries(m.sets))
      if (need === 'required')
        lines.push(`${' '.repeat(indent + 2)}--${set}: ${SET_HELP[set as keyof typeof SET_HELP]}`);
    for (const o of m.options)
      lines.push(
        ...wrap(`--${o.flag}: ${o.help}${o.default === undefined ? '' : ` (default ${o.default})`}`, 96 - indent).map(
          (l, i) => `${' '.repeat(indent + (i ? 4 : 2))}${l}`,
        ),
      );
  }
  return lines;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function methodValue(o: MethodOption, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  if (o.kind === 'positive') return positiveNumber(value, o.flag);
  if (o.kind === 'positive-or-auto') return positiveNumber(value, o.flag, true);
  return value;
}

export async function forgetCommand(argv: string[], io: Io): Promise<number> {
  const methodFlags = Object.fromEntries(methodOptions().map((o) => [o.flag, { type: 'string' as const }]));
  const { values, positionals } = parseCommand({
    args: argv,
    options: { ...DATA_OPTIONS, ...UNLEARN_FLAGS, ...methodFlags },
    allowPositionals: true,
  });
  if (positionals.length !== 2) throw new BadInputError(`expected MODEL and FORGET; usage: ${FORGET_USAGE}`);
  const v = values as Record<string, string | undefined>;
  const method = methodNamed(values.method);
  const common = commonOptions(values, io);
  if (values.report) {
    const out = values.out ?? defaultOutputPath(positionals[0]);
    checkReportsBeside([recordPathFor(out), rejectedRecordPathFor(out)]);
  }
  const report = await unlearn({
    ...common,
    model: positionals[0],
    forget: positionals[1],
    method: method.name,
    out: values.out,
    ...Object.fromEntries(methodOptions().map((o) => [o.key, methodValue(o, v[o.flag])])),
    retain: values.retain,
    val: values.val,
    seed: values.seed === undefined ? undefined : seedOption(values.seed),
    test: values.test,
    retrain: values.retrain,
    require: values.require,
  });
  if (values.json) io.out(JSON.stringify(report));
  else {
    for (const line of method.summaryLines(report)) io.out(line);
    for (const line of evaluationTable(report.metrics)) io.out(line);
    const files = report.output.dataFiles.length ? ` (+ ${report.output.dataFiles.join(', ')})` : '';
    const took = `${report.seconds.toFixed(1)} s (${ranOn(report.settings)})`;
    if (report.output.written) io.out(`  wrote            ${report.output.path}${files} in ${took}`);
    else io.out(`  not written      ${report.output.path}: a gate failed`);
    // the evaluation's threads, where they were measured (the time above is the method's)
    const forward = report.settings.forward;
    if (forward) io.out(`  evaluated on     ${ranOn({ device: 'cpu', ...forward, parallel: forward })}`);
    io.out(`  record           ${report.record} (verdict: ${report.acceptance.verdict})`);
  }
  if (values.report) await reportBeside(report.record, io, values.json, '  report           ');
  // a failed gate: the summary above, then one `scrub:` line (exit 1, src/cli/exit.ts)
  const failure = gateFailure(report.acceptance, `; no model written (record ${report.record})`);
  if (failure) throw failure;
  return 0;
}
