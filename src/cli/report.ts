// scrub report RECORD.json [-o REPORT.html]: the record as one self-contained HTML page; and `--report`
// on the commands that write a record (the main command, eval, request), which writes it beside.
import { refuseFolderAsOutput } from '../core/atomic.js';
import { reportPathFor, writeReport } from '../report/index.js';
import { parseCommand, requireOne, type Io } from './io.js';

export const REPORT_USAGE = 'scrub report RECORD.json [-o REPORT.html]';

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: { out: { type: 'string', short: 'o' } },
    allowPositionals: true,
  });
  const r = await writeReport(requireOne(positionals, 'RECORD.json', REPORT_USAGE), values.out, io.signal);
  io.out(`report: ${r.path} (${r.seconds.toFixed(2)} s)`);
  return 0;
}

/**
 * `--report`, before any pass: refuses a folder where the report of any of `recordPaths` would go (the
 * record's path with .report.html), rather than failing once the run has written its model and record.
 */
export function checkReportsBeside(recordPaths: readonly string[]): void {
  for (const p of recordPaths) refuseFolderAsOutput(reportPathFor(p), 'the report (--report)');
}

/**
 * `--report`: writes the report of the record a command just wrote beside it (X.record.json →
 * X.report.html) and names it: on stdout as `label` + the path, or on stderr when stdout carries
 * `--json`'s one report.
 */
export async function reportBeside(
  recordPath: string,
  io: Io,
  json: boolean | undefined,
  label: string,
): Promise<void> {
  const r = await writeReport(recordPath, undefined, io.signal);
  if (json) io.err(`report: ${r.path}`);
  else io.out(`${label}${r.path}`);
}
