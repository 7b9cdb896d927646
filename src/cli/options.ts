// Options shared by the commands that read data and run the model.
import { BadInputError } from '../core/errors.js';
import type { CommonOptions } from '../context/index.js';
import type { DataNote } from '../data/types.js';
import { deviceOption, intOption, type Io } from './io.js';
import { progressReporter } from './progress.js';

export const DATA_OPTIONS = {
  params: { type: 'string' },
  output: { type: 'string' },
  'multi-label': { type: 'boolean' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  workers: { type: 'string' },
  device: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  labels: { type: 'string' },
  tokenizer: { type: 'string' },
  'on-bad-input': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
} as const;

export type DataValues = {
  [K in keyof typeof DATA_OPTIONS]?: (typeof DATA_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

export function numberList(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((v) => !Number.isFinite(v)))
    throw new BadInputError(`--${name} ${value}: expected numbers separated by commas, one per channel.`);
  return list;
}

/** A positive finite number, or with `orAuto` also the word auto (returned as is). */
export function positiveNumber(value: string | undefined, name: string): number | undefined;
export function positiveNumber(value: string | undefined, name: string, orAuto: true): number | 'auto' | undefined;
export function positiveNumber(value: string | undefined, name: string, orAuto = false): number | 'auto' | undefined {
  if (value === undefined) return undefined;
  if (orAuto && value === 'auto') return value;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new BadInputError(`--${name} ${value}: expected a positive number${orAuto ? ' or auto' : ''}.`);
  return n;
}

/**
 * A data note on stderr: a skip's message as it comes ("skipped: …"), anything else as "note: …"; each
 * line once per command (a set read again by a later pass, opened anew, tells its skips again).
 */
export function noteWriter(io: Io): (n: DataNote) => void {
  const told = new Set<string>();
  return (n) => {
    const line = n.kind === 'skip' ? n.message : `note: ${n.message}`;
    if (told.has(line)) return;
    told.add(line);
    io.err(line);
  };
}

export function commonOptions(v: DataValues, io: Io): CommonOptions {
  const bad = v['on-bad-input'];
  if (bad !== undefined && bad !== 'stop' && bad !== 'skip')
    throw new BadInputError(`--on-bad-input ${bad}: expected stop or skip.`);
  return {
    params: v.params,
    output: v.output,
    multiLabel: v['multi-label'],
    device: deviceOption(v.device),
    threads: intOption(v.threads, 'threads', 0) || undefined,
    workers: intOption(v.workers, 'workers', 0) || undefined,
    batchSize: v['batch-size'] === undefined ? undefined : intOption(v['batch-size'], 'batch-size', 64),
    mean: numberList(v.mean, 'mean'),
    std: numberList(v.std, 'std'),
    labels: v.labels,
    tokenizer: v.tokenizer,
    onBadInput: bad as 'stop' | 'skip' | undefined,
    onNote: noteWriter(io),
    onProgress: progressReporter(io, !v.quiet && !v.json),
    signal: io.signal,
  };
}

/**
 * How a run's passes ran, for a summary line: the provider, then the data-parallel workers (one
 * thread each) or the intra-op threads, where given or measured, and where measured, when ("cpu",
 * "cpu, 2 threads", "cpu, 2 workers, 1 thread each", "cpu, 2 workers, 1 thread each: chosen by measurement",
 * "cuda").
 */
export function ranOn(o: { device?: string; threads?: number; workers?: number; parallel?: { by: string } }): string {
  const parts: string[] = [o.device ?? 'cpu'];
  if (o.workers && o.workers > 1) parts.push(`${o.workers} workers, 1 thread each`);
  else if (o.threads) parts.push(`${o.threads} thread${o.threads === 1 ? '' : 's'}`);
  else if (o.parallel) parts.push("ONNX Runtime's default threads");
  const by = o.parallel?.by;
  const how =
    by === 'measured' ? ': chosen by measurement' : by === 'cached' ? ": chosen by an earlier run's measurement" : '';
  return parts.join(', ') + how;
}
