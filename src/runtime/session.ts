// The only module that imports onnxruntime: onnxruntime-node (CPU, CUDA) and, on request,
// onnxruntime-web's WebAssembly build, which runs in Node as in browsers.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';

export type Device = 'cpu' | 'cuda' | 'wasm';

type Ort = Pick<typeof ort, 'InferenceSession' | 'Tensor' | 'env'>;

let web: Promise<Ort> | undefined;
function backend(device: Device): Promise<Ort> {
  if (device !== 'wasm') return Promise.resolve(ort);
  web ??= import('onnxruntime-web').then((m) => {
    m.env.wasm.numThreads = 1;
    m.env.logLevel = 'error';
    return m as unknown as Ort;
  });
  return web;
}

// ORT prints its own provider-load failures; scrub reports them itself.
ort.env.logLevel = 'fatal';

export interface SessionOptions {
  device?: Device;
  threads?: number;
  /** The model as the user named it, for messages (default: the path, or "the model"). */
  source?: string;
}

import type { Feeds, HostTensor, TensorData } from '../core/tensor.js';
export type { Feeds, HostTensor, TensorData } from '../core/tensor.js';

const DTYPE_OF: Record<string, ort.Tensor.Type> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  BigInt64Array: 'int64',
  Int32Array: 'int32',
  Uint8Array: 'bool',
};

export function ortVersion(device: Device = 'cpu'): string {
  const v = ort.env.versions as { node?: string; common?: string };
  return device === 'wasm' ? `web ${v.common}` : (v.node ?? v.common ?? 'unknown');
}

/** A session over one ONNX model (given as bytes) on the chosen execution provider. */
export class Session {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly lib: Ort,
    readonly device: Device,
    private readonly source: string,
  ) {}

  /** A model as bytes, or a file path (external data then resolves beside it). */
  static async create(model: Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
    const device = opts.device ?? 'cpu';
    const threads = threadCount(opts.threads);
    const lib = await backend(device);
    const source = opts.source ?? (typeof model === 'string' ? model : 'the model');
    const session = await createOrt(lib, model, device, source, threads);
    return new Session(session, lib, device, source);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const type = DTYPE_OF[t.data.constructor.name];
      ortFeeds[name] = new this.lib.Tensor(type, t.data as never, t.dims as number[]);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    } catch (e) {
      // inputs are checked against the model's declared shapes and types, token ids against its embedding
      // tables, and a batch fixed at export is met in chunks, before they get here
      throw new UnsupportedModelError(
        `${this.source}: ONNX Runtime could not run it (${firstLine(e)}). \`scrub inspect\` lists what scrub ` +
          'found in the model; check that the data is what the model was exported for.',
        { cause: e },
      );
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = { data: t.data as TensorData, dims: t.dims };
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The intra-op threads asked for, checked: a whole number from 1 to the threads this machine runs at
 * once (more only contend for the same cores); undefined (or 0) for ONNX Runtime's default. Throws
 * BadInputError naming the setting as `what` says (the flag; a request names its field).
 */
export function threadCount(threads: number | undefined, what = '--threads'): number | undefined {
  if (!threads) return undefined;
  return withinCores(threads, what, 'threads', 'more only contend for the same cores');
}

/**
 * `n` checked as a whole number of `unit` from 1 to the threads this machine runs at once; `beyond`
 * says why more do not help. Throws BadInputError naming the setting as `what` says.
 */
export function withinCores(n: number, what: string, unit: string, beyond: string): number {
  if (!(Number.isInteger(n) && n >= 1))
    throw new BadInputError(`${what} ${n}: give a whole number of ${unit}, 1 or more.`);
  const most = availableParallelism();
  if (n > most)
    throw new BadInputError(
      `${what} ${n}: this machine runs ${most} threads at once; ${beyond}. Give at most ${most}.`,
    );
  return n;
}

async function createOrt(
  lib: Ort,
  model: Uint8Array | string,
  device: Device,
  source: string,
  threads?: number,
): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    // fatal only: scrub reports ONNX Runtime's errors itself, in one line
    logSeverityLevel: 4,
  };
  if (threads) options.intraOpNumThreads = threads;
  // Spinning worker threads fight the main thread on small hosts: measured 2x slower with 2 threads.
  if (threads !== 1) options.extra = { session: { intra_op: { allow_spinning: '0' } } };
  try {
    return await (typeof model === 'string'
      ? lib.InferenceSession.create(model, options)
      : lib.InferenceSession.create(model, options));
  } catch (e) {
    const msg = firstLine(e);
    if (device === 'cuda' && /cuda|provider|backend/i.test(msg))
      throw new BadInputError(
        `--device cuda: ONNX Runtime's CUDA provider is not installed (${msg}). ` +
          'On a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, reinstall with ' +
          '`npm install onnxruntime-node --onnxruntime-node-install=cuda12` (see README, "Devices").',
      );
    throw new UnsupportedModelError(
      `${source}: ONNX Runtime could not load it (${msg}). Re-export it with ops and an opset ONNX Runtime ` +
        `${ortVersion(device)} runs (check with \`scrub inspect\`).`,
    );
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
