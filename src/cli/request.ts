// scrub request REQUEST.json: an erasure request, answered with the edited model, its record and
// one verdict line. Exit codes as every command's (src/cli/exit.ts): 0 accepted, 1 a gate failed (no
// model written; the verdict line, then one `scrub: gate failed …` line), 2 bad input (nothing written).
import { request } from '../api/request.js';
import { gateFailure } from '../record/gates.js';
import { parseCommand, requireOne, type Io } from './io.js';
import { reportBeside } from './report.js';
import { progressReporter } from './progress.js';
import { noteWriter } from './options.js';

export const REQUEST_USAGE = 'scrub request REQUEST.json [--report] [--json] [--quiet]';

export async function requestCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: { json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, report: { type: 'boolean' } },
    allowPositionals: true,
  });
  const path = requireOne(positionals, 'REQUEST.json', REQUEST_USAGE);
  const r = await request(path, {
    onNote: noteWriter(io),
    onProgress: progressReporter(io, !values.quiet && !values.json),
    signal: io.signal,
  });
  io.out(values.json ? JSON.stringify(r) : r.line);
  if (values.report) await reportBeside(r.report.record, io, values.json, 'report: ');
  // the verdict line above names the record
  const failure = gateFailure(r.report.acceptance, '; no model written');
  if (failure) throw failure;
  return 0;
}
