// Y = A·B: dA = dY·B, dB = dY·A, each summed down to its input's shape by the engine.
import type { GradRule } from '../registry.js';

export const mul: GradRule = {
  opType: 'Mul',
  since: 7,
  broadcast: true,
  grad(ctx) {
    const { b } = ctx;
    const dy = ctx.dy(0)!;
    const [a, m] = [ctx.x(0), ctx.x(1)];
    const da = ctx.needs(0) ? b.op('Mul', [dy, m]) : null;
    const dm = ctx.needs(1) ? b.op('Mul', [dy, a]) : null;
    return [da, dm];
  },
};
