// How a gradient pass uses the machine's cores when the user says neither --threads nor --workers:
// chosen by measurement on the pass's own first batch, among one session with ONNX Runtime's default
// intra-op threads (its physical cores; one on this project's 2-vCPU host), one with a thread per core,
// and a data-parallel worker per core (workers.ts). Which is fastest
// depends on the model: measured on a 2-core host (batch 64, weights built in, samples/s for 1 thread /
// 2 threads / 2 workers): resnet18 57 / 89 / 85, vit 3.6k / 2.3k / 5.4k, mobilenet_v2 585 / 653 / 1,060,
// bert (the text fixture) 2.6k / 2.2k / 3.3k, mlp 61k / 81k / 24k, text_cnn 81k / 53k / 53k. ONNX
// Runtime's own default (no intra-op count) ran as one thread there.
//
// The choice is kept per model, loss, row count and machine in scrub's cache, so that the same command
// on the same machine runs the same way, bit for bit (the forms sum a batch's gradients in different
// orders: equal within float rounding, not to the bit); the record names the form that ran.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { writeFileAtomic } from '../core/atomic.js';

/**
 * One way of running a pass: a single session with `threads` intra-op threads (none: ONNX Runtime's
 * default), or `workers` sessions of one thread.
 */
export interface ParallelForm {
  threads?: number;
  /** Data-parallel workers (one thread each); absent for a single session. */
  workers?: number;
}

/** The form a gradient model's passes run in, and how it was settled. */
export interface ParallelChoice extends ParallelForm {
  /**
   * options: as --threads/--workers say (the runtime's default where neither was given and nothing was measured);
   * measured: timed on this run's first batch; cached: an earlier run's measurement.
   */
  by: 'options' | 'measured' | 'cached';
  /** The rows of the batch it was measured on (measured, cached). */
  rows?: number;
  /** Each form tried, simplest first, with its milliseconds per run of that batch (null: it failed to run). */
  tried?: (ParallelForm & { ms: number | null })[];
}

/** A form must beat a simpler one (fewer sessions, fewer threads) by this factor to be chosen over it. */
export const PARALLEL_MARGIN = 0.9;

/** At most this many data-parallel workers are tried: each holds a session (weights and memory arena) of its own. */
export const MAX_AUTO_WORKERS = 8;

/**
 * The forms tried on a machine running `cores` threads at once, simplest first: the runtime's default
 * threads; one session with `cores` intra-op threads; min(cores, MAX_AUTO_WORKERS) workers where `split`
 * (the loss combines over parts of a batch). Only the first on one core.
 */
export function candidates(cores: number, split: boolean): ParallelForm[] {
  if (cores < 2) return [{}];
  const forms: ParallelForm[] = [{}, { threads: cores }];
  if (split) forms.push({ threads: 1, workers: Math.min(cores, MAX_AUTO_WORKERS) });
  return forms;
}

/**
 * Index of the form to run, from milliseconds per run in candidates order: the fastest, where it beats
 * every simpler form by PARALLEL_MARGIN; else the simplest that it does not. Throws on an empty list.
 */
export function fastest(ms: readonly number[]): number {
  if (ms.length === 0) throw new RangeError('fastest of no forms');
  let best = 0;
  for (let i = 1; i < ms.length; i++) if (ms[i] <= ms[best] * PARALLEL_MARGIN) best = i;
  return best;
}

/** The machine as the choice depends on it: CPU model, threads at once, and the runtime's version. */
export function hostKey(runtime: string): string {
  return `${cpus()[0]?.model ?? 'cpu'}|${availableParallelism()}|${runtime}`;
}

interface CacheFile {
  version: 1;
  /** By `${hostKey}|${rows}`. */
  choices: Record<string, { forms: ParallelForm[]; ms: (number | null)[]; chosen: number }>;
}

/** Where the choices for one gradient artifact are kept (beside it in scrub's cache), its weights fed or built in. */
export function choiceFile(cacheDir: string, artifactKey: string, frozen: boolean): string {
  return `${cacheDir}/${artifactKey}${frozen ? '.frozen' : ''}.parallel.json`;
}

function readCache(file: string): CacheFile {
  try {
    if (existsSync(file)) {
      const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (c.version === 1 && c.choices && typeof c.choices === 'object') return c;
    }
  } catch {
    // an unreadable cache only costs a measurement
  }
  return { version: 1, choices: {} };
}

const sameForms = (a: readonly ParallelForm[], b: readonly ParallelForm[]) =>
  a.length === b.length && a.every((f, i) => f.threads === b[i].threads && f.workers === b[i].workers);

/** The form chosen earlier for these forms, host and rows, if any. */
export function cachedChoice(
  file: string | undefined,
  host: string,
  rows: number,
  forms: readonly ParallelForm[],
): ParallelChoice | undefined {
  if (!file) return undefined;
  const c = readCache(file).choices[`${host}|${rows}`];
  if (!c || !sameForms(c.forms, forms) || !(c.chosen >= 0 && c.chosen < forms.length)) return undefined;
  return { ...forms[c.chosen], by: 'cached', rows, tried: triedForms(forms, c.ms) };
}

/** The forms with their milliseconds per run (null where a form failed: Infinity, or null as JSON keeps it). */
export function triedForms(forms: readonly ParallelForm[], ms: readonly (number | null)[]): ParallelChoice['tried'] {
  const round = (v: number | null) => (v !== null && Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
  return forms.map((f, i) => ({ ...f, ms: round(ms[i]) }));
}

/** Keeps a measured choice (best effort: an unwritable cache only costs a measurement next time). */
export function keepChoice(
  file: string | undefined,
  host: string,
  rows: number,
  forms: readonly ParallelForm[],
  ms: readonly number[],
  chosen: number,
): void {
  if (!file) return;
  try {
    const c = readCache(file);
    c.choices[`${host}|${rows}`] = { forms: [...forms], ms: [...ms], chosen };
    writeFileAtomic(file, JSON.stringify(c));
  } catch {
    // see above
  }
}

/** How a form was settled by measurement, as records and reports give it (`settings.parallel`). */
export interface Measurement {
  by: 'measured' | 'cached';
  rows: number;
  tried: NonNullable<ParallelChoice['tried']>;
}

/** The measurement behind `choice`, or undefined where the options (or the runtime's default) set the form. */
export function measurementOf(choice: ParallelChoice | undefined): Measurement | undefined {
  if (!choice || choice.by === 'options') return undefined;
  return { by: choice.by, rows: choice.rows!, tried: choice.tried! };
}
