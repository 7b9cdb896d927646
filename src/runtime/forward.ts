// Forward passes only: logits of a model file (or bytes) for batches of inputs. The logits are the
// head's (graph/head.ts): a model whose output is a Softmax is run up to the Softmax's input.
import { exposeLogits, scoresName } from '../autodiff/artifact.js';
import type { Head } from '../graph/head.js';
import { loadModel } from '../graph/load.js';
import type { InputSpec } from './gradient.js';
import { checkInput, chunkedLogits } from './gradient.js';
import { fixedBatch } from './batching.js';
import { BadInputError } from '../core/errors.js';
import { Session, type Device, type HostTensor } from './session.js';

export class ForwardModel {
  private constructor(
    private readonly session: Session,
    /** Every data input of the model (the first is `input`). */
    readonly inputs: readonly InputSpec[],
    private readonly source: string,
    private readonly logitsName: string | undefined,
  ) {}

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
    opts: { device?: Device; threads?: number; source?: string; head?: Pick<Head, 'logits' | 'classes' | 'kind'> } = {},
  ): Promise<ForwardModel> {
    const source = opts.source ?? (typeof model === 'string' ? model : 'model');
    let bytes: Uint8Array | string = model;
    if (opts.head && typeof model === 'string') bytes = exposeLogits(loadModel(model), opts.head) ?? model;
    const session = await Session.create(bytes, { device: opts.device, threads: opts.threads, source });
    const inputs = Array.isArray(input) ? (input as readonly InputSpec[]) : [input as InputSpec];
    return new ForwardModel(session, inputs, source, opts.head && scoresName(opts.head));
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

/** What a pass needs of a forward model: its inputs and the logits of a batch; release when done. */
export type Forward = Pick<ForwardModel, 'inputs' | 'logits' | 'release'>;

/**
 * A forward model that `open` opens at its first `logits` call: one whose every batch's logits a pass
 * already has (eval/run.ts PassHooks.logitsOf) never pays for a session (resnet18: 0.65 to 0.77 s,
 * weights prepacked). `inputs` are the ones `open` gives it; errors of `open` surface at that first call.
 */
export function openOnUse(open: () => Promise<ForwardModel>, inputs: readonly InputSpec[]): Forward {
  let opened: Promise<ForwardModel> | undefined;
  return {
    inputs,
    logits: async (x) => (await (opened ??= open())).logits(x),
    release: async () => {
      if (opened) await (await opened).release();
    },
  };
}
