// The only module that imports onnxruntime.
import * as ort from 'onnxruntime-node';
import { ScrubError } from '../errors.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device?: Device;
  threads?: number;
}

export type TensorData = Float32Array | BigInt64Array | Int32Array | Float64Array | Uint8Array;

export interface HostTensor {
  data: TensorData;
  dims: readonly number[];
}

export type Feeds = Record<string, HostTensor>;

const DTYPE_OF: Record<string, ort.Tensor.Type> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  BigInt64Array: 'int64',
  Int32Array: 'int32',
  Uint8Array: 'bool',
};

export function ortVersion(): string {
  return (ort.env as { versions?: { node?: string; common?: string } }).versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

/** A session over one ONNX model (given as bytes) on the chosen execution provider. */
export class Session {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Device,
  ) {}

  static async create(model: Uint8Array, opts: SessionOptions = {}): Promise<Session> {
    const device = opts.device ?? 'cpu';
    const session = await createOrt(model, device, opts.threads);
    return new Session(session, device);
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
      ortFeeds[name] = new ort.Tensor(type, t.data as never, t.dims as number[]);
    }
    const result = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = { data: t.data as TensorData, dims: t.dims };
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

async function createOrt(model: Uint8Array, device: Device, threads?: number): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  };
  if (threads) options.intraOpNumThreads = threads;
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    const msg = (e as Error).message;
    if (device === 'cuda' && /cuda|provider|backend/i.test(msg))
      throw new ScrubError(
        `--device cuda: ONNX Runtime's CUDA provider is not installed (${msg.split('\n')[0]}). ` +
          'On a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, reinstall with ' +
          '`npm install onnxruntime-node --onnxruntime-node-install=cuda12` (see README, "CUDA").',
      );
    throw new ScrubError(`ONNX Runtime could not load the model: ${msg.split('\n')[0]}`);
  }
}
