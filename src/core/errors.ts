// The errors scrub raises for anything a user can pass, one class per kind. The command line maps
// kinds to exit codes in one place (src/cli/exit.ts); the library rejects with these classes.
//   bad-input          the data, a file or an option is wrong: fix the input       (exit 2)
//   unsupported-model  scrub cannot compute this model exactly: re-export it        (exit 3)
//   gate-failed        the run finished, an acceptance gate rejected the result    (exit 1)
//   diverged           the optimisation blew up; the input model is untouched       (exit 1)
//   cancelled          the caller aborted (AbortSignal, Ctrl-C); nothing written    (exit 130)

export type ErrorKind = 'bad-input' | 'unsupported-model' | 'gate-failed' | 'diverged' | 'cancelled';

/**
 * The base of every error scrub raises on purpose: its message is one line for people, naming the
 * file, node or tensor and what to do. `kind` says which (see the header); `exitCode` is the command
 * line's code for it (the same table as src/cli/exit.ts).
 */
export abstract class ScrubError extends Error {
  abstract readonly kind: ErrorKind;
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** The command line's exit code of each kind (0 is success). */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  'gate-failed': 1,
  diverged: 1,
  'bad-input': 2,
  'unsupported-model': 3,
  cancelled: 130,
};

/** Bad input: data, files, options or a request that cannot be used as given. */
export class BadInputError extends ScrubError {
  readonly kind = 'bad-input' as const;
  override readonly name = 'BadInputError';
}

/** A model scrub cannot differentiate or run exactly (an op without a rule, an old opset, no logits). */
export class UnsupportedModelError extends ScrubError {
  readonly kind = 'unsupported-model' as const;
  override readonly name = 'UnsupportedModelError';
}

/** An optimisation that diverged (non-finite or above-chance losses); nothing was written. */
export class DivergedError extends ScrubError {
  readonly kind = 'diverged' as const;
  override readonly name = 'DivergedError';
}

/** The run was cancelled by its caller; nothing was written. */
export class CancelledError extends ScrubError {
  readonly kind = 'cancelled' as const;
  override readonly name = 'CancelledError';
}

/** One failed gate, as structured data (see record/gates.ts). */
export interface FailedGate {
  text: string;
  metric: string;
  actual?: number;
  reason?: string;
}

/** An acceptance gate rejected the result; `gates` says which and by how much. No model was written. */
export class GateFailedError extends ScrubError {
  readonly kind = 'gate-failed' as const;
  override readonly name = 'GateFailedError';
  constructor(
    message: string,
    readonly gates: readonly FailedGate[] = [],
  ) {
    super(message);
  }
}

/** Whether `e` is an abort: an AbortSignal's reason (DOMException AbortError) or a CancelledError. */
export function isCancellation(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}
