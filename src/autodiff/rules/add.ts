// Y = A + B: dA = dB = dY, each summed down to its input's shape by the engine.
import type { GradRule } from '../registry.js';

export const add: GradRule = {
  opType: 'Add',
  since: 7,
  broadcast: true,
  grad(ctx) {
    const dy = ctx.dy(0)!;
    return [0, 1].map((i) => (ctx.needs(i) ? dy : null));
  },
};
