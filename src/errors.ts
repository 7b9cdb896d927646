/** An error caused by the user's input: printed as one line, exit code 2. */
export class ScrubError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'ScrubError';
  }
}
