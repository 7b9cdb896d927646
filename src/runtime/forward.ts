// Forward passes only: logits of a model file (or bytes) for batches of inputs. The logits are the
// head's (graph/head.ts): a model whose output is a Softmax is run up to the Softmax's input. Where
// neither threads nor a device other than the CPU is given, the threads are chosen by measurement on
// a long pass's first batch (parallel.ts), as for gradient passes.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { exposeLogits, scoresName } from '../autodiff/artifact.js';
import type { Head } from '../graph/head.js';
import type { Model } from '../graph/ir.js';
import { loadModel } from '../graph/load.js';
import type { InputSpec } from './gradient.js';
import { checkInput, chunkedLogits } from './gradient.js';
import { fixedBatch } from './batching.js';
import { BadInputError } from '../core/errors.js';
import { ortVersion, Session, type Device, type HostTensor } from './session.js';
import { candidates, hostKey, PassForm, scrubCacheDir, type FormMemo, type ParallelChoice } from './parallel.js';

/** ForwardModel.open's options. */
export interface ForwardOptions {
  device?: Device;
  /** Intra-op threads; none: measured on a long pass's first batch (CPU), else ONNX Runtime's default. */
  threads?: number;
  source?: string;
  head?: Pick<Head, 'logits' | 'classes' | 'kind'>;
  /** scrub's cache folder for the measured choice (parallel.ts scrubCacheDir); false: none kept. */
  cache?: string | false;
  /** Notes while measuring (which forms are timed). */
  onNote?: (message: string) => void;
  /** The run's choices so far (RunContext.forwardForms): a model of the same graph takes one as it was made. */
  memo?: FormMemo;
}

export class ForwardModel {
  private constructor(
    private session: Session,
    /** Every data input of the model (the first is `input`). */
    readonly inputs: readonly InputSpec[],
    private readonly source: string,
    private readonly logitsName: string | undefined,
    /** The model's bytes as run, for the sessions of other thread counts. */
    private readonly bytes: Uint8Array | string,
    private readonly form: PassForm,
  ) {}

  /**
   * The threads the runs take (none: ONNX Runtime's default) and how they were settled: as the options
   * say, or measured on the first run of more than one row of a long pass (plan), or an earlier run's choice.
   */
  get parallel(): ParallelChoice {
    return this.form.choice;
  }

  /**
   * Says that the coming pass makes about `runs` runs: where the threads are measured, a long pass's first
   * run of more than one row measures them (parallel.ts PassForm.plan).
   */
  plan(runs: number, signal?: AbortSignal): void {
    this.form.plan(runs, signal);
  }

  /** The model's (first) input. */
  get input(): InputSpec {
    return this.inputs[0];
  }

  /**
   * Opens `model` (a file path, or bytes) for forward passes of its input (or every input, given a
   * list). With `head`, the logits read are the head's (the model is re-encoded with them as its
   * output where they are not its first output); without, the model's first output.
   */
  static async open(
    model: Uint8Array | string,
    input: InputSpec | readonly InputSpec[],
    opts: ForwardOptions = {},
  ): Promise<ForwardModel> {
    const source = opts.source ?? (typeof model === 'string' ? model : 'model');
    let bytes: Uint8Array | string = model;
    const measure = opts.threads === undefined && (opts.device ?? 'cpu') === 'cpu' && typeof model === 'string';
    const loaded = typeof model === 'string' && (opts.head || measure) ? loadModel(model) : undefined;
    if (opts.head && loaded) bytes = exposeLogits(loaded, opts.head) ?? model;
    const session = await Session.create(bytes, { device: opts.device, threads: opts.threads, source });
    const inputs = Array.isArray(input) ? (input as readonly InputSpec[]) : [input as InputSpec];
    const logitsName = opts.head && scoresName(opts.head);
    const cacheDir = scrubCacheDir(opts.cache);
    const site = measure &&
      loaded && {
        file: cacheDir && forwardChoiceFile(cacheDir, loaded, logitsName),
        host: hostKey(ortVersion('cpu')),
        onNote: opts.onNote,
        what: "this forward pass's first batch",
        options: '--threads',
        memo: opts.memo,
      };
    const form = new PassForm({ threads: opts.threads, by: 'options' }, site || undefined);
    return new ForwardModel(session, inputs, source, logitsName, bytes, form);
  }

  /**
   * Logits [N·classes] of one batch of any size N: the tensor of the (first) input, or every input by
   * name. A model whose batch is fixed (the inputs' dimension 0 a number) runs it in chunks of that
   * size (runtime/batching.ts). Throws BadInputError for a missing input or one that does not fit.
   */
  async logits(x: HostTensor | Record<string, HostTensor>): Promise<Float32Array> {
    const byName: Record<string, HostTensor> = ArrayBuffer.isView((x as HostTensor).data)
      ? { [this.input.name]: x as HostTensor }
      : (x as Record<string, HostTensor>);
    for (const spec of this.inputs) {
      if (!byName[spec.name])
        throw new BadInputError(
          `${this.source} takes inputs ${this.inputs.map((i) => i.name).join(', ')}; ${spec.name} was not given.`,
        );
      checkInput(this.source, spec, byName[spec.name]);
    }
    const feeds = Object.fromEntries(this.inputs.map((i) => [i.name, byName[i.name]]));
    await this.form.ready(
      feeds[this.input.name].dims[0],
      () => candidates(availableParallelism(), false),
      () => this.session,
      {
        open: (form) => Session.create(this.bytes, { threads: form.threads, source: this.source }),
        use: (session) => (this.session = session),
        release: (session) => session.release(),
      },
      () => this.run(feeds),
    );
    return this.run(feeds);
  }

  private run(feeds: Record<string, HostTensor>): Promise<Float32Array> {
    return chunkedLogits(feeds, fixedBatch(this.inputs), async (feeds) => {
      const out = await this.session.run(feeds);
      const name = this.logitsName && this.logitsName in out ? this.logitsName : this.session.outputNames[0];
      return out[name].data as Float32Array;
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * What a pass needs of a forward model: its inputs and the logits of a batch; release when done;
 * `plan`, where it measures its threads (ForwardModel.plan).
 */
export type Forward = Pick<ForwardModel, 'inputs' | 'logits' | 'release'> & Partial<Pick<ForwardModel, 'plan'>>;

/** Where the threads chosen for forward passes of `model` (reading `logits`) are kept in scrub's cache. */
export function forwardChoiceFile(cacheDir: string, model: Model, logits?: string): string {
  return `${cacheDir}/${structureKey(model, logits)}.forward.parallel.json`;
}

/**
 * A key of what a forward pass's speed depends on: the model's graph and the shapes and types of its
 * weights, not their values (an edited model shares its input's), and the output read as the logits.
 * SHA-256 of the file's bytes without the initializers' data, 32 hex digits.
 */
export function structureKey(model: Model, logits?: string): string {
  const ranges = [...model.graph.initializers.values()]
    .map((t) => t.location)
    .filter((l) => l.kind === 'raw' || l.kind === 'float_data')
    .map((l) => [(l as { offset: number }).offset, (l as { length: number }).length] as const)
    .sort((a, b) => a[0] - b[0]);
  const h = createHash('sha256');
  let at = 0;
  for (const [offset, length] of ranges) {
    if (offset > at) h.update(model.bytes.subarray(at, offset));
    at = Math.max(at, offset + length);
  }
  h.update(model.bytes.subarray(at));
  return h
    .update(`|${logits ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * A forward model that `open` opens at its first `logits` call: one whose every batch's logits a pass
 * already has (eval/run.ts PassHooks.logitsOf) never pays for a session (resnet18: 0.65 to 0.77 s,
 * weights prepacked). `inputs` are the ones `open` gives it; errors of `open` surface at that first call.
 */
export function openOnUse(open: () => Promise<ForwardModel>, inputs: readonly InputSpec[]): Forward {
  let opened: Promise<ForwardModel> | undefined;
  let planned: [number, AbortSignal | undefined] | undefined;
  return {
    inputs,
    plan: (runs, signal) => {
      planned = [runs, signal];
      void opened?.then(
        (m) => m.plan(runs, signal),
        () => undefined, // its error surfaces at the logits call that opened it
      );
    },
    logits: async (x) => {
      opened ??= open().then((m) => (planned && m.plan(...planned), m));
      return (await opened).logits(x);
    },
    release: async () => {
      if (opened) await (await opened).release();
    },
  };
}
