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
import { availableParallelism, cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeDirs, writeFileAtomic } from '../core/atomic.js';

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

/**
 * scrub's cache folder: `cache` where given (false: none), else $SCRUB_CACHE_DIR, else ~/.cache/scrub.
 */
export function scrubCacheDir(cache?: string | false): string | undefined {
  if (cache === false) return undefined;
  return cache ?? process.env.SCRUB_CACHE_DIR ?? join(homedir(), '.cache', 'scrub');
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

/**
 * Keeps a measured choice, its folder made where missing. Best effort: returns the error where the cache
 * cannot be written (the next long pass measures again), else undefined.
 */
export function keepChoice(
  file: string | undefined,
  host: string,
  rows: number,
  forms: readonly ParallelForm[],
  ms: readonly number[],
  chosen: number,
): Error | undefined {
  if (!file) return undefined;
  try {
    const c = readCache(file);
    c.choices[`${host}|${rows}`] = { forms: [...forms], ms: [...ms], chosen };
    makeDirs(dirname(file));
    writeFileAtomic(file, JSON.stringify(c));
    return undefined;
  } catch (e) {
    return e as Error;
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

/**
 * A pass that would take at least this long in ONNX Runtime's default form (milliseconds,
 * GradientModel.plan, ForwardModel.plan) measures the other parallel forms: their measurement takes
 * about 2 s on a small model.
 */
export const MEASURE_MIN_PASS_MS = 4000;

/**
 * Runs shorter than this (milliseconds, in ONNX Runtime's default form) are not measured in other
 * forms: between such runs a pass's own work (reading the data, summing importances in JavaScript)
 * takes a share of the cores that a run timed alone does not show. Measured on 2 cores over whole
 * passes (`scrub fisher`, batch 64): cnn (10 ms a run) and vit (18 ms) gained 0–20% over one thread in
 * the forms measured fastest alone (2 threads, 2 workers), within this host's spread from run to run
 * (±15%), not worth 2–3 s of measuring; resnet18 (1.1 s a run) took 94.8 s on one thread against
 * 55.7–65.2 s with 2 threads on 4,480 examples.
 */
export const MEASURE_MIN_RUN_MS = 40;

/**
 * Milliseconds per call of `run` in its steady state: calls for at least `minMs` and two calls untimed
 * (a session's first two runs grow its memory arena; new worker threads take some dozens of runs of a
 * small model to reach their speed; `warm`: the form ran already, none), then as long again timed,
 * the mean. At most MEASURE_CALLS calls in each half.
 */
async function timeRuns(run: () => Promise<unknown>, minMs: number, warm = true): Promise<number> {
  const span = async () => {
    const t0 = performance.now();
    let calls = 0;
    while (calls < 2 || (performance.now() - t0 < minMs && calls < MEASURE_CALLS)) {
      await run();
      calls++;
    }
    return (performance.now() - t0) / calls;
  };
  if (warm) await span();
  return span();
}

const MEASURE_MS = 200;
const MEASURE_CALLS = 40;

/** The sessions of one form (a session, workers), as settleForm opens, switches to and releases them. */
export interface FormLanes<L> {
  /** Opens the sessions of a form other than the first. */
  open(form: ParallelForm): Promise<L>;
  /** Makes `lane` the one the runs go to. */
  use(lane: L): void;
  release(lane: L): Promise<unknown>;
}

/** What settleForm needs besides the lanes. */
export interface SettleOptions {
  /** The forms tried (candidates), simplest first; the first is the lane already in use. */
  forms: readonly ParallelForm[];
  /** The rows of the batch run (the choice is kept per row count). */
  rows: number;
  /** About how many runs the pass makes (plan): too short a pass is not measured. */
  planned: number;
  /** The cache file of choices (choiceFile), if any, and the machine's key (hostKey). */
  file?: string;
  host: string;
  signal?: AbortSignal;
  onNote?: (message: string) => void;
  /** What is run, for the note: "this pass's first batch". */
  what: string;
  /** The options that set the form instead, for the notes: "--threads or --workers". */
  options: string;
  /** The choices settled earlier in this run (RunContext), by cache file and rows: taken as they were. */
  memo?: FormMemo;
}

/**
 * Forms settled during one run, by `${file}|${rows}`: a later pass of the same run over a model of the same
 * graph (SSD's check, then the record's evaluation; an edited and a retrained model) takes the choice as
 * it was made, measured or cached, instead of measuring again where the cache could not keep it.
 */
export type FormMemo = Map<string, ParallelChoice>;

/**
 * Settles the form a pass runs in, on its first batch (`run` runs it in the lane in use): the form an
 * earlier run on this machine chose for these forms and rows, or else each form timed on this batch
 * twice, in two rounds (their results dropped), and the fastest kept (`fastest`), the lanes of the
 * others released. The first form, in use already, is timed first, briefly: where the planned pass
 * would take under MEASURE_MIN_PASS_MS with it, or a run under MEASURE_MIN_RUN_MS, measuring the others
 * would not repay itself, and the pass runs in it. Another form that fails to open or run (out of
 * memory) is passed over; the first form's errors (the batch's own) are thrown, and so is an abort
 * (`signal`, checked by `run`), with the first lane in use again and every other released.
 * Returns the choice (the lane in use is its own), or undefined where the first form stays unmeasured.
 */
export async function settleForm<L>(
  first: L,
  lanes: FormLanes<L>,
  run: () => Promise<unknown>,
  o: SettleOptions,
): Promise<ParallelChoice | undefined> {
  const key = o.file !== undefined ? `${o.file}|${o.rows}` : undefined;
  const settled = await settleOnce(first, lanes, run, o, key === undefined ? undefined : o.memo?.get(key));
  if (settled && key) o.memo?.set(key, settled);
  return settled;
}

async function settleOnce<L>(
  first: L,
  lanes: FormLanes<L>,
  run: () => Promise<unknown>,
  o: SettleOptions,
  /** The choice this run made already for the same file and rows (SettleOptions.memo). */
  earlier: ParallelChoice | undefined,
): Promise<ParallelChoice | undefined> {
  const same = (a: ParallelForm, b: ParallelForm) => a.threads === b.threads && a.workers === b.workers;
  const cached = earlier ?? cachedChoice(o.file, o.host, o.rows, o.forms);
  if (cached) {
    if (same(cached, o.forms[0])) return cached;
    try {
      lanes.use(await lanes.open(cached));
      await lanes.release(first);
      return cached;
    } catch {
      // the form an earlier run chose does not open now (out of memory): the first, as if unmeasured
      lanes.use(first);
      return undefined;
    }
  }
  const ms = [await timeRuns(run, 0)];
  // a short pass, or short runs: a longer pass may measure (plan)
  if (ms[0] * o.planned < MEASURE_MIN_PASS_MS || ms[0] < MEASURE_MIN_RUN_MS) return undefined;
  const names = ["ONNX Runtime's default threads"].concat(
    o.forms.slice(1).map((f) => (f.workers ? `${f.workers} workers` : `${f.threads} threads`)),
  );
  const listed = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const skip = `${o.options} ${o.options.includes(' or ') ? 'skip' : 'skips'} this`;
  o.onNote?.(`timing ${o.what} with ${listed}, to run the pass in the fastest (once per model and machine; ${skip})`);
  const opened: (L | undefined)[] = [first];
  const releaseOthers = (keep: number) =>
    Promise.all(opened.map((l, i) => (i !== keep && l !== undefined ? lanes.release(l) : undefined)));
  try {
    // short runs are timed again for as long as the other forms are: their first dozens run slower
    if (ms[0] < MEASURE_MS / 4) ms[0] = await timeRuns(run, MEASURE_MS);
    for (const form of o.forms.slice(1)) {
      let lane: L | undefined;
      try {
        lane = await lanes.open(form);
        lanes.use(lane);
        ms.push(await timeRuns(run, MEASURE_MS));
        opened.push(lane);
      } catch (e) {
        if (lane !== undefined) await lanes.release(lane);
        if (o.signal?.aborted) throw e;
        opened.push(undefined);
        ms.push(Infinity);
      }
    }
    // a second round, each form warm by now: the faster of its two times counts (a host's slow spell
    // or another process's burst during one form's turn is less likely to hit it twice)
    for (const [i, lane] of opened.entries()) {
      if (lane === undefined) continue;
      lanes.use(lane);
      ms[i] = Math.min(ms[i], await timeRuns(run, MEASURE_MS, false));
    }
  } catch (e) {
    lanes.use(first);
    await releaseOthers(0);
    throw e;
  }
  const chosen = fastest(ms);
  lanes.use(opened[chosen]!);
  await releaseOthers(chosen);
  const failed = keepChoice(o.file, o.host, o.rows, o.forms, ms, chosen);
  if (failed)
    o.onNote?.(
      `the form chosen could not be kept in ${o.file} (${failed.message}): the next long pass measures again ` +
        `(${skip}; or set SCRUB_CACHE_DIR to a writable folder)`,
    );
  return { ...o.forms[chosen], by: 'measured', rows: o.rows, tried: triedForms(o.forms, ms) };
}

/** Where a kind of pass measures its form: the cache file, the machine's key, the notes, what is run. */
export type MeasureSite = Pick<SettleOptions, 'file' | 'host' | 'onNote' | 'what' | 'options' | 'memo'>;

/**
 * The form of one kind of run of a model (its gradient runs, its forward runs) and how it is settled:
 * a pass says how many runs it makes (plan); where a MeasureSite is given (neither threads nor workers
 * were), its first run of more than one row settles the form once (ready: settleForm), and a pass too
 * short to measure leaves it open for a longer one.
 */
export class PassForm {
  private choosing?: Promise<void>;
  private planned = 0;
  private abort?: AbortSignal;

  constructor(
    private current: ParallelChoice,
    private site: MeasureSite | undefined,
  ) {}

  /** The form the runs take and how it was settled (by 'options' until measured or taken from the cache). */
  get choice(): ParallelChoice {
    return this.current;
  }

  /** Whether the form is still to be settled at a run. */
  get open(): boolean {
    return this.site !== undefined;
  }

  /**
   * Says that the coming pass makes about `runs` runs: where the form is open and no earlier run on this
   * machine chose it, the pass's first run measures it if the pass would take at least MEASURE_MIN_PASS_MS
   * in the first form. Without a plan, the same as a short pass. `signal` is checked between the
   * measurement's runs.
   */
  plan(runs: number, signal?: AbortSignal): void {
    this.planned = runs;
    this.abort = signal;
    if (this.current.by === 'options') this.choosing = undefined;
  }

  /**
   * Before a run of `rows` rows: where the form is open, settles it once (settleForm over `forms()`, the
   * lane in use `first()`, `run` the batch's run in the lane in use); later calls wait for the same.
   */
  async ready<L>(
    rows: number,
    forms: () => readonly ParallelForm[],
    first: () => L | Promise<L>,
    lanes: FormLanes<L>,
    run: () => Promise<unknown>,
  ): Promise<void> {
    if (!this.site || rows <= 1) return;
    await (this.choosing ??= this.settle(rows, forms(), first, lanes, run));
  }

  private async settle<L>(
    rows: number,
    forms: readonly ParallelForm[],
    first: () => L | Promise<L>,
    lanes: FormLanes<L>,
    run: () => Promise<unknown>,
  ): Promise<void> {
    const site = this.site!;
    if (forms.length === 1) return void (this.site = undefined);
    const choice = await settleForm(
      await first(),
      lanes,
      () => {
        this.abort?.throwIfAborted();
        return run();
      },
      { ...site, forms, rows, planned: this.planned, signal: this.abort },
    );
    if (!choice) return; // unmeasured: a longer pass may measure (plan)
    this.current = choice;
    this.site = undefined;
  }
}
