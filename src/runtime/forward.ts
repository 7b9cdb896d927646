// Forward passes only: logits of a model file (or bytes) for batches of inputs.
import type { InputSpec } from './gradient.js';
import { checkInput } from './gradient.js';
import { Session, type Device, type HostTensor } from './session.js';

export class ForwardModel {
  private constructor(
    private readonly session: Session,
    readonly input: InputSpec,
    private readonly source: string,
  ) {}

  static async open(
    model: Uint8Array | string,
    input: InputSpec,
    opts: { device?: Device; threads?: number; source?: string } = {},
  ): Promise<ForwardModel> {
    const session = await Session.create(model, opts);
    return new ForwardModel(session, input, opts.source ?? (typeof model === 'string' ? model : 'model'));
  }

  async logits(x: HostTensor): Promise<Float32Array> {
    checkInput(this.source, this.input, x);
    const out = await this.session.run({ [this.input.name]: x });
    return out[this.session.outputNames[0]].data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
