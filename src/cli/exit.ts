// The command line's one place that turns an error into an exit code and the line it prints.
import { EXIT_CODES, isCancellation, ScrubError, type ErrorKind } from '../core/errors.js';
import { REPORT_SCHEMA, type ErrorReport } from '../api/report.js';
import type { Io } from './io.js';
import { watchPlaced } from '../core/atomic.js';

export interface Exit {
  code: number;
  /** The one line for stderr. */
  line: string;
  kind: ErrorKind;
}

/** The line a cancelled run prints (its exit code is EXIT_CODES.cancelled, 130). */
export const CANCELLED_LINE = 'scrub: cancelled; nothing was written.';

/**
 * The exit code and stderr line for an error a command raised: a ScrubError's kind (EXIT_CODES),
 * an option node's parseArgs refused (2), an abort (130). Anything else is a bug, rethrown with its
 * stack.
 */
export function exitFor(e: unknown): Exit {
  if (isCancellation(e)) return { code: EXIT_CODES.cancelled, line: CANCELLED_LINE, kind: 'cancelled' };
  if (e instanceof ScrubError) return { code: EXIT_CODES[e.kind], line: `scrub: ${oneLine(e.message)}`, kind: e.kind };
  if (e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    // node's parseArgs words it for programmers; say which option and where the options are listed
    const unknown = /^Unknown option '([^']+)'/.exec(e.message);
    const what = unknown ? `unknown option ${unknown[1]} for this command` : oneLine(e.message).replace(/\.$/, '');
    return {
      code: EXIT_CODES['bad-input'],
      line: `scrub: ${what}; run scrub --help for the options.`,
      kind: 'bad-input',
    };
  }
  throw e;
}

/** What --json prints on stdout for a failed command: its exit code and stderr line, as JSON. */
export function errorReport(exit: Exit): ErrorReport {
  return {
    schema: REPORT_SCHEMA,
    kind: 'error',
    error: { kind: exit.kind, exitCode: exit.code, message: exit.line.replace(/^scrub: /, '') },
  };
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The command's Io with a signal that Ctrl-C (SIGINT), SIGTERM (`kill`, `timeout`, `docker stop`, a
 * Kubernetes pod's shutdown) and `io.signal` abort: the first cancels (the command stops at its next
 * check, removes what it staged and exits 130), a second exits at once (130; files being written are
 * removed, those already complete named), telling `onExit` first. `dispose` removes the handlers when
 * the command is done.
 */
export function cancellable(io: Io, onExit?: (exit: Exit) => void): { io: Io; dispose(): void } {
  const controller = new AbortController();
  const outer = io.signal;
  const forward = () => controller.abort();
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  const placed = watchPlaced();
  const onSignal = () => {
    if (!controller.signal.aborted) return controller.abort();
    // files being written are removed on the way out (core/atomic.ts); those already in place stay, named
    const line = placed.files.length
      ? `scrub: interrupted; already written (complete): ${placed.files.join(', ')}.`
      : 'scrub: interrupted; nothing was written.';
    io.err(line);
    onExit?.({ code: EXIT_CODES.cancelled, line, kind: 'cancelled' });
    process.exit(EXIT_CODES.cancelled);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    io: { ...io, signal: controller.signal },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      placed.stop();
      outer?.removeEventListener('abort', forward);
    },
  };
}
