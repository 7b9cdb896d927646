// Erasure requests: one JSON file (schema/request.schema.json) names the model, the forget set,
// the method and the gates; the answer is the edited model, its record and a one-line verdict.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { selectionOf } from '../data/dataset.js';
import { BadInputError } from '../core/errors.js';
import { describeModel } from '../eval/run.js';
import type { CommonOptions } from '../context/index.js';
import { methodOptions } from '../methods/table.js';
import { threadCount } from '../runtime/session.js';
import { workerCount } from '../runtime/workers.js';
import { availableMetrics, describeGateProblem, gateMetricProblems, parseGate } from '../record/gates.js';
import type { IndexSet } from '../data/select.js';
import { resolvePath, resolveSpec } from './paths.js';
import { REPORT_SCHEMA, type RequestReport, type UnlearnReport } from './report.js';
import { validateRequestJson } from './schema.js';
import { rejectedRecordPathFor, unlearn, type UnlearnMethod, type UnlearnOptions } from './unlearn.js';
import { recordPathFor } from '../record/record.js';
import { refuseInputAsOutput } from '../core/atomic.js';

export const REQUEST_SCHEMA = 'scrub.request/1';

/** A data set: a spec as the command line takes it, or examples of a named data set by index. */
export type RequestData = string | { dataset: string; ids?: number[] };

export interface ErasureRequest {
  schema?: typeof REQUEST_SCHEMA;
  model: string;
  out?: string;
  forget: RequestData;
  /** Named data sets: name → data spec. */
  datasets?: Record<string, string>;
  /** A row of the method table (default ssd); its options (methods/table.ts) sit beside it. */
  method?: UnlearnMethod;
  fisher?: string;
  train?: RequestData;
  alpha?: number | 'auto';
  lambda?: number | 'auto';
  schedule?: string;
  retain?: RequestData;
  val?: RequestData;
  seed?: number;
  test?: RequestData;
  retrain?: string;
  gates: string[];
  batchSize?: number;
  params?: string;
  device?: 'cpu' | 'cuda' | 'wasm';
  threads?: number;
  workers?: number;
  mean?: number[];
  std?: number[];
  labels?: string;
  onBadInput?: 'stop' | 'skip';
  /** The tokenizer.json (or its folder) of a text model's raw-text data (--tokenizer). */
  tokenizer?: string;
  /** The head scores each label with its own sigmoid (--multi-label). */
  multiLabel?: boolean;
  /** The output holding the logits (--output). */
  output?: string;
}

export interface RequestOptions extends Pick<CommonOptions, 'onProgress' | 'onNote' | 'signal'> {
  /**
   * The folder a request object's paths are relative to (default: the request file's folder, or the working
   * directory).
   */
  baseDir?: string;
}

/** Reads and validates a request file; a ScrubError names every field that is wrong and why. */
export function readRequest(path: string): ErasureRequest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BadInputError(`${path}: no such request file.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`${path}: not valid JSON (${(e as Error).message}).`);
  }
  return checkRequest(json, path);
}

function checkRequest(json: unknown, name: string): ErasureRequest {
  const problems = validateRequestJson(json);
  if (problems.length) throw new BadInputError(`${name}: ${problems.join('; ')} (see schema/request.schema.json).`);
  const r = json as ErasureRequest;
  r.gates.forEach((g, i) => {
    try {
      parseGate(g);
    } catch (e) {
      throw new BadInputError(`${name}: /gates/${i}: ${(e as Error).message}`);
    }
  });
  return r;
}

/** Runs an erasure request: the model is written only when every gate passes. */
export async function request(req: string | ErasureRequest, o: RequestOptions = {}): Promise<RequestReport> {
  const name = typeof req === 'string' ? req : 'request';
  const r = typeof req === 'string' ? readRequest(req) : checkRequest(req, name);
  const base = o.baseDir ?? (typeof req === 'string' ? dirname(req) : process.cwd());
  const fail = (pointer: string, why: string): never => {
    throw new BadInputError(`${name}: ${pointer}: ${why}`);
  };
  const file = (pointer: string, p: string | undefined) => {
    if (p === undefined) return undefined;
    const at = resolvePath(base, p);
    if (!existsSync(at)) fail(pointer, `${at}: no such file.`);
    return at;
  };
  const method = r.method ?? 'ssd';
  const model = file('/model', r.model)!;
  const gates = r.gates.map(parseGate);
  const [unjudgeable] = gateMetricProblems(
    gates,
    availableMetrics({ retain: !!r.retain, test: !!r.test, retrain: !!r.retrain }),
  );
  if (unjudgeable)
    fail(
      `/gates/${unjudgeable.index}`,
      describeGateProblem(unjudgeable, 'add retain/test/retrain to the request for more'),
    );

  const temp = mkdtempSync(join(tmpdir(), 'scrub-request-'));
  try {
    const data = async (
      pointer: string,
      d: RequestData | undefined,
    ): Promise<{ spec: string; name?: string } | undefined> => {
      if (d === undefined) return undefined;
      if (typeof d === 'string') return { spec: resolveSpec(base, d) };
      const named = r.datasets?.[d.dataset];
      if (named === undefined)
        fail(
          `${pointer}/dataset`,
          `no data set named ${JSON.stringify(d.dataset)} in /datasets` +
            `${r.datasets ? ` (it names ${Object.keys(r.datasets).join(', ')})` : ''}.`,
        );
      const spec = resolveSpec(base, named!);
      if (!d.ids) return { spec, name: `${d.dataset} (${spec})` };
      const { input } = await describeModel(model);
      const { set, count } = await selectionOf(spec, {
        input: { dtype: input.dtype, dims: input.dims },
        labels: r.labels && resolvePath(base, r.labels),
        ...(r.tokenizer ? { tokenizer: resolvePath(base, r.tokenizer) } : {}),
      });
      const missing = d.ids.filter((id) => !contains(set, id));
      if (missing.length)
        fail(
          `${pointer}/ids`,
          `${missing.length} id(s) not in data set ${JSON.stringify(d.dataset)} ` +
            `(${named}: ${set.size} of the source's ${count} examples): ` +
            `${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}.`,
        );
      // in file order, once each: the selection's own notes would name this temporary list
      const ids = [...new Set(d.ids)].sort((a, b) => a - b);
      if (ids.length < d.ids.length)
        o.onNote?.({
          kind: 'note',
          message: `${name}: ${pointer}/ids: ${d.ids.length - ids.length} repeated id(s) counted once`,
        });
      const list = join(temp, `${pointer.slice(1)}.ids.json`);
      writeFileSync(list, JSON.stringify(ids));
      return { spec: `${spec}@${list}`, name: `${d.dataset} ids (${ids.length} of ${named})` };
    };
    const forget = (await data('/forget', r.forget))!;
    // each method option as its kind says: data specs and files resolved against the request's folder
    const methodValues: Record<string, unknown> = {};
    const fields = r as unknown as Record<string, unknown>;
    for (const opt of methodOptions()) {
      const v = fields[opt.key];
      if (v === undefined) continue;
      if (opt.kind === 'data') methodValues[opt.key] = (await data(`/${opt.key}`, v as RequestData))?.spec;
      else if (opt.kind === 'file') methodValues[opt.key] = file(`/${opt.key}`, v as string);
      else methodValues[opt.key] = v;
    }
    // checked here to name the request's field, not the command line's --workers
    workerCount(r.workers, r.device ?? 'cpu', `${name}: /workers:`);
    threadCount(r.threads, `${name}: /threads:`);
    const out = r.out === undefined ? undefined : resolvePath(base, r.out);
    // never over the request file itself (what the run reads besides, unlearn refuses)
    if (out && typeof req === 'string')
      for (const at of [out, recordPathFor(out), rejectedRecordPathFor(out)])
        refuseInputAsOutput(at, [req], `${name}: /out:`);
    const options: UnlearnOptions = {
      model,
      forget: forget.spec,
      forgetName: forget.name,
      method,
      out,
      ...methodValues,
      retain: (await data('/retain', r.retain))?.spec,
      val: (await data('/val', r.val))?.spec,
      seed: r.seed,
      test: (await data('/test', r.test))?.spec,
      retrain: file('/retrain', r.retrain),
      require: r.gates,
      batchSize: r.batchSize,
      params: r.params,
      device: r.device,
      threads: r.threads,
      workers: r.workers,
      mean: r.mean,
      std: r.std,
      labels: file('/labels', r.labels),
      tokenizer: file('/tokenizer', r.tokenizer),
      multiLabel: r.multiLabel,
      output: r.output,
      onBadInput: r.onBadInput,
      onProgress: o.onProgress,
      onNote: o.onNote,
      signal: o.signal,
    };
    const report = await unlearn(options);
    return {
      schema: REPORT_SCHEMA,
      kind: 'request',
      request: name,
      verdict: report.acceptance.verdict,
      line: verdictLine(report),
      report,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * `accepted: OUT.onnx (record OUT.record.json)` or
 * `rejected: forget_acc 0.3100 > 0.05; no model written (record …)`.
 */
export function verdictLine(r: UnlearnReport): string {
  const show = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
  if (r.output.written) {
    const verdict = r.acceptance.verdict === 'no gates' ? 'written (no gates)' : 'accepted';
    return `${verdict}: ${show(r.output.path)} (record ${show(r.record)})`;
  }
  const failed = r.acceptance.gates
    .filter((g) => !g.passed)
    .map((g) =>
      g.actual === undefined
        ? `${g.metric} not computable (${g.reason})`
        : `${g.metric} ${g.actual.toFixed(4)} ${g.op === '<=' ? '>' : '<'} ${g.value}`,
    );
  return `rejected: ${failed.join(', ')}; no model written (record ${show(r.record)})`;
}

function contains(set: IndexSet, i: number): boolean {
  let lo = 0;
  let hi = set.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (i < set.starts[mid]) hi = mid - 1;
    else if (i >= set.ends[mid]) lo = mid + 1;
    else return true;
  }
  return false;
}
