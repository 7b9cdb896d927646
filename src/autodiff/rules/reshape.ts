import type { GradRule } from '../registry.js';

/** Any op that only changes the shape: the gradient takes the input's shape back. */
export function reshapeBack(opType: string, since: number): GradRule {
  return {
    opType,
    since,
    grad(ctx) {
      const x = ctx.x(0);
      const shape = ctx.shape(x);
      const target = shape.every((d) => typeof d === 'number') ? ctx.b.i64(shape as number[]) : ctx.b.shapeOf(x);
      return [ctx.b.op('Reshape', [ctx.dy(0)!, target])];
    },
  };
}

export const reshape = reshapeBack('Reshape', 5);
