// The unlearning record: an auditable JSON trace of what was removed, from which model, how,
// and how well. Hashes let `scrub verify` check the files and every tensor later.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';
import type { Head } from '../graph/head.js';
import { tensorToFloat32, type Model } from '../graph/ir.js';
import { externalDataPaths } from '../graph/load.js';
import type { Metrics } from '../eval/evaluate.js';
import type { SkippedExample } from '../data/dataset.js';
import { normalisation, type CommonOptions } from '../context/index.js';
import type { Acceptance } from './gates.js';
import { version } from '../core/version.js';
import { ortVersion, type Device } from '../runtime/session.js';
import { measurementOf, type Measurement, type ParallelChoice } from '../runtime/parallel.js';
import { besideModel } from '../core/paths.js';
import { markPlaced, trackTemp, untrackTemp } from '../core/atomic.js';

export const RECORD_SCHEMA = 'scrub.record/1';

export const GUARANTEE =
  'Approximate unlearning: the model was edited so that it behaves, on the measures above, more like a model ' +
  'never trained on the forget set. This was evaluated empirically; it is not a formal (certified or ' +
  'differential-privacy) guarantee that no information about the forget set remains in the weights.';

/** The guarantee of a run that changed no weight (SSD on one example, or on a random subset). */
export const UNCHANGED =
  'No weight changed: the model written is the model as it was, and it is not unlearned in any sense. The ' +
  'method found nothing in the weights particular to the forget set (SSD: the forget set weighs no more on ' +
  'them than the training data); --method gradtau forgets such sets.';

export interface TensorChange {
  name: string;
  torchName?: string;
  elements: number;
  elementsChanged: number;
  relativeL2Change: number;
  sha256Before: string;
  sha256After: string;
}

export interface FileHash {
  path: string;
  sha256: string;
  bytes: number;
}

export interface UnlearningRecord {
  schema: typeof RECORD_SCHEMA;
  createdAt: string;
  software: { scrub: string; node: string; onnxruntime: string; executionProvider: string };
  input: { model: FileHash; dataFiles: FileHash[] };
  output?: { model: FileHash; dataFiles: FileHash[]; tensors: Record<string, string> };
  changes: TensorChange[];
  forgetSet?: {
    source: string;
    count: number;
    /**
     * The set's examples left out under --on-bad-input skip (not in count, not forgotten): position in the
     * set and why; absent from records written before scrub listed them.
     */
    skipped?: SkippedExample[];
    salt: string;
    exampleHashes: string[];
    merkleRoot: string;
    hashing: string;
  };
  /** The run's data and model settings, so that it can be run again as it was. */
  settings?: RunSettings;
  method?: {
    name: string;
    hyperparameters: Record<string, number | string | boolean>;
    batchSize?: number;
    seed?: number;
    details?: Record<string, unknown>;
  };
  metrics: { before?: Metrics; after?: Metrics; retrain?: Metrics & { model: FileHash } };
  resources: { wallSeconds: number; peakRssBytes: number };
  acceptance: Acceptance;
  guarantee: string;
  /**
   * `sha256:` and the SHA-256 of the record's canonical JSON without this field (recordDigest): set by
   * writeRecord, checked by `scrub verify` and `scrub report`. It catches an edit by hand; it is not a
   * signature (whoever edits the record can compute it again). Absent from records written before it.
   */
  digest?: string;
}

/** What every record starts with: its schema, when it was made, and the software that made it. */
export function recordHeader(device: Device | undefined): Pick<UnlearningRecord, 'schema' | 'createdAt' | 'software'> {
  return {
    schema: RECORD_SCHEMA,
    createdAt: new Date().toISOString(),
    software: {
      scrub: version(),
      node: process.version,
      onnxruntime: ortVersion(device),
      executionProvider: device ?? 'cpu',
    },
  };
}

/** How the data was fed and which parameters were used: what besides the method a rerun needs. */
export interface RunSettings {
  /**
   * The head the method and the metrics read (graph/head.ts; --output and --multi-label choose it): its
   * output, the value taken as the logits, its kind and its classes. Absent from records written before it.
   */
  head?: Pick<Head, 'output' | 'logits' | 'kind' | 'classes'>;
  /** Per-channel normalisation in force (given, or the model's scrub.mean/scrub.std), if any. */
  mean?: number[];
  std?: number[];
  /** The --params pattern, when one chose the parameters. */
  params?: string;
  labels?: string;
  onBadInput: 'stop' | 'skip';
  device: string;
  /** Intra-op threads of the gradient passes: --threads, or as measured (`parallel`). */
  threads?: number;
  /** Data-parallel worker threads of the gradient passes (--workers, or as measured), when more than one. */
  workers?: number;
  /**
   * Where neither --threads nor --workers was given: how the gradient passes' form (`threads`, `workers`)
   * was chosen (measured on this run's first batch, or cached from an earlier run on this machine), on
   * batches of how many rows, and each form tried with its milliseconds per run (runtime/parallel.ts).
   */
  parallel?: Measurement;
  /**
   * Where --threads was not given (on the CPU) and the forward passes (the evaluation, SSD's check)
   * were long enough to measure: the threads they ran with (none: ONNX Runtime's default) and how they were
   * chosen, as `parallel` says it (runtime/forward.ts; their logits are the same to the bit in every form).
   */
  forward?: { threads?: number } & Measurement;
}

/**
 * The settings of a run with these options on `model` (normalisation as the data readers apply it);
 * `parallel`, the form its gradient passes took (GradientModel.parallel: as run, and how it was chosen);
 * `forward`, the threads of its forward passes where they were (ForwardModel.parallel).
 */
export function runSettings(
  model: Model,
  o: CommonOptions,
  head?: Head,
  parallel?: ParallelChoice,
  forward?: ParallelChoice,
): RunSettings {
  const { mean, std } = normalisation(model, o.mean, o.std);
  const measurement = measurementOf(parallel);
  const forwardMeasurement = measurementOf(forward);
  return {
    mean,
    std,
    params: o.params,
    labels: o.labels,
    onBadInput: o.onBadInput ?? 'stop',
    device: o.device ?? 'cpu',
    threads: parallel ? parallel.threads : o.threads,
    workers: parallel ? parallel.workers : o.workers,
    ...(measurement && { parallel: measurement }),
    ...(forwardMeasurement && { forward: { threads: forward!.threads, ...forwardMeasurement } }),
    ...(head && { head: { output: head.output, logits: head.logits, kind: head.kind, classes: head.classes } }),
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fileHash(path: string): FileHash {
  const b = readFileSync(path);
  return { path, sha256: sha256(b), bytes: b.length };
}

/**
 * The external data files (ONNX external data) that `model`'s initializers were read from, hashed as they
 * are on disk, each named by the path beside the model file it was read by; [] for a model that keeps its
 * weights inline. A record's input lists them: the model file alone does not fix the weights then.
 * Throws where a file has gone since the model was loaded (fs errors).
 */
export function externalDataHashes(model: Model): FileHash[] {
  return externalDataPaths(model).map(fileHash);
}

/** SHA-256 of every initializer's element bytes. */
export function tensorHashes(model: Model): Record<string, string> {
  return Object.fromEntries([...model.graph.initializers.values()].map((t) => [t.name, sha256(t.bytes)]));
}

export function tensorChanges(
  before: Model,
  after: Model,
  names: readonly { name: string; torchName?: string }[],
): TensorChange[] {
  const out: TensorChange[] = [];
  for (const { name, torchName } of names) {
    const a = before.graph.initializers.get(name)!;
    const b = after.graph.initializers.get(name)!;
    if (Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)) === 0) continue;
    const x = tensorToFloat32(a);
    const y = tensorToFloat32(b);
    let changed = 0;
    let num = 0;
    let den = 0;
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) changed++;
      num += (y[i] - x[i]) ** 2;
      den += x[i] ** 2;
    }
    out.push({
      name,
      torchName,
      elements: x.length,
      elementsChanged: changed,
      relativeL2Change: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num),
      sha256Before: sha256(a.bytes),
      sha256After: sha256(b.bytes),
    });
  }
  return out;
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function writeRecord(path: string, record: UnlearningRecord): void {
  stageRecord(path, record).commit();
}

/**
 * The record written to a temporary file beside `path`, to be renamed into place (commit) or removed
 * (abort): written before the model it describes is committed, so that a record that cannot be
 * written leaves no model without one. Throws BadInputError where the temporary file cannot be written.
 */
export function stageRecord(path: string, record: UnlearningRecord): { commit(): void; abort(): void } {
  const tmp = `${path}.tmp-${process.pid}`;
  trackTemp(tmp);
  const fail = (e: unknown) => {
    rmSync(tmp, { force: true });
    untrackTemp(tmp);
    return new BadInputError(`${path}: could not write the record: ${(e as Error).message}`);
  };
  try {
    writeFileSync(tmp, recordJson({ ...record, digest: recordDigest(record) }) + '\n');
  } catch (e) {
    throw fail(e);
  }
  return {
    commit() {
      try {
        renameSync(tmp, path);
        untrackTemp(tmp);
        markPlaced(path);
      } catch (e) {
        throw fail(e);
      }
    },
    abort() {
      rmSync(tmp, { force: true });
      untrackTemp(tmp);
    },
  };
}

/**
 * `sha256:` and the SHA-256 of the record's canonical JSON: its value as JSON.stringify gives it (an
 * undefined field absent), keys sorted at every level, no whitespace, without the `digest` field.
 */
export function recordDigest(record: UnlearningRecord): string {
  const { digest: _digest, ...rest } = JSON.parse(JSON.stringify(record)) as UnlearningRecord;
  const canonical = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  };
  return `sha256:${createHash('sha256').update(canonical(rest)).digest('hex')}`;
}

/** The problem of a record whose content is not what its digest says (undefined: it matches, or has none). */
export function digestProblem(record: UnlearningRecord): string | undefined {
  if (record.digest === undefined || record.digest === recordDigest(record)) return undefined;
  return '/digest: the record is not the content scrub wrote (it was edited after it was written)';
}

/**
 * The record as written: JSON indented by one space, except that an array of numbers (a histogram's
 * edges and counts, a shape) stays on one line, which keeps the distributions to a few KB. Parses back
 * to the same value as JSON.stringify(record).
 */
export function recordJson(record: UnlearningRecord): string {
  const format = (v: unknown, indent: string): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const inner = `${indent} `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      if (v.every((x) => typeof x === 'number')) return JSON.stringify(v);
      return `[\n${v.map((x) => inner + format(x, inner)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  // the round trip drops undefined fields and turns non-finite numbers into null, as JSON.stringify does
  return format(JSON.parse(JSON.stringify(record)), '');
}

export function readRecord(path: string): UnlearningRecord {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BadInputError(`${path}: no such record file.`);
  }
  let r: UnlearningRecord;
  try {
    r = JSON.parse(text) as UnlearningRecord;
  } catch (e) {
    throw new BadInputError(`${path}: the record does not parse as JSON (${(e as Error).message}); it is damaged.`);
  }
  if (r?.schema !== RECORD_SCHEMA)
    throw new BadInputError(
      `${path}: not a scrub record (schema ${JSON.stringify(r?.schema)}, expected ${RECORD_SCHEMA}).`,
    );
  return r;
}

/** The record path beside a model: OUT.onnx → OUT.record.json. */
export function recordPathFor(modelPath: string): string {
  return besideModel(modelPath, '.record.json');
}
