// Forward passes only: logits of a model file (or bytes) for batches of inputs. The logits are the
// head's (graph/head.ts): a model whose output is a Softmax is run up to the Softmax's input.
import { exposeLogits, scoresName } from '../autodiff/artifact.js';
import type { Head } from '../graph/head.js';
import { loadModel } from '../graph/load.js';
import type { InputSpec } from './gradient.js';
import { checkInput, chunkedLogits } from './gradient.js';
import { fixedBatch } from './batching.js';
import { Session, type Device, type HostTensor } from './session.js';

export class ForwardModel {
  private constructor(
    private readonly session: Session,
    readonly input: InputSpec,
    private readonly source: string,
    private readonly logitsName: string | undefined,
  ) {}

  /**
   * Opens `model` (a file path, or bytes) for forward passes. With `head`, the logits read are the
   * head's (the model is re-encoded with them as its output where they are not its first output);
   * without, the model's first output.
   */
  static async open(
    model: Uint8Array | string,
    input: InputSpec,
    opts: { device?: Device; threads?: number; source?: string; head?: Pick<Head, 'logits' | 'classes' | 'kind'> } = {},
  ): Promise<ForwardModel> {
    const source = opts.source ?? (typeof model === 'string' ? model : 'model');
    let bytes: Uint8Array | string = model;
    if (opts.head && typeof model === 'string') bytes = exposeLogits(loadModel(model), opts.head) ?? model;
    const session = await Session.create(bytes, { device: opts.device, threads: opts.threads, source });
    return new ForwardModel(session, input, source, opts.head && scoresName(opts.head));
  }

  /**
   * Logits [N·classes] of one batch of any size N; a model whose batch is fixed (`input`'s dimension 0
   * a number) runs it in chunks of that size (runtime/batching.ts).
   */
  async logits(x: HostTensor): Promise<Float32Array> {
    checkInput(this.source, this.input, x);
    return chunkedLogits({ [this.input.name]: x }, fixedBatch([this.input]), async (feeds) => {
      const out = await this.session.run(feeds);
      const name = this.logitsName && this.logitsName in out ? this.logitsName : this.session.outputNames[0];
      return out[name].data as Float32Array;
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
