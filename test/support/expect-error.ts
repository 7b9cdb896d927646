import { expect } from 'vitest';
import { ScrubError } from '../../src/core/errors.js';

/** Awaits p, checks that it failed with a ScrubError whose message matches, returns the message. */
export async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ScrubError);
  expect((e as Error).message).toMatch(pattern);
  return (e as Error).message;
}
