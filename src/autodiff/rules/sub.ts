// Y = A − B: dA = dY, dB = −dY, each summed down to its input's shape by the engine.
import type { GradRule } from '../registry.js';

export const sub: GradRule = {
  opType: 'Sub',
  since: 7,
  broadcast: true,
  grad(ctx) {
    const dy = ctx.dy(0)!;
    return [ctx.needs(0) ? dy : null, ctx.needs(1) ? ctx.b.op('Neg', [dy]) : null];
  },
};
