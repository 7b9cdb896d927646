import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError } from '../core/errors.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Cancels the command (as Ctrl-C or SIGTERM do): it stops at its next check and writes nothing. */
  signal?: AbortSignal;
}

export const consoleIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export function requireOne(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) throw new BadInputError(`expected one ${what}; usage: ${usage}`);
  return positionals[0];
}

export function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BadInputError(`--${name} ${value}: expected a positive integer.`);
  return n;
}

/** A seed: any integer 0 … 2³² − 1 (0 is the default of every seeded command). */
export function seedOption(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > 0xffffffff)
    throw new BadInputError(`--seed ${value}: expected an integer from 0 to 4294967295.`);
  return n;
}

export function deviceOption(value: string | undefined): 'cpu' | 'cuda' | 'wasm' {
  if (value === undefined || value === 'cpu' || value === 'cuda' || value === 'wasm') return value ?? 'cpu';
  throw new BadInputError(`--device ${value}: expected cpu, cuda or wasm.`);
}

/**
 * node:util's parseArgs for a command, refusing an option that takes one value and is given twice
 * (`--forget A --forget B` ran on B, silently). Throws BadInputError for it; parseArgs' own errors as they
 * are (exit.ts words them).
 */
export function parseCommand<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs({ ...config, tokens: true });
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    const spec = config.options?.[t.name];
    if (!spec || spec.type !== 'string' || spec.multiple) continue;
    if (seen.has(t.name))
      throw new BadInputError(`--${t.name} is given more than once; it takes one value: give it once.`);
    seen.add(t.name);
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}
