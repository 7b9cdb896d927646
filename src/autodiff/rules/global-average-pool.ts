// GlobalAveragePool: every input element receives dY of its image channel over the spatial size.
import { DataType } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';

export const globalAveragePool: GradRule = {
  opType: 'GlobalAveragePool',
  since: 1,
  grad(ctx) {
    const { b } = ctx;
    if (ctx.opset < 8)
      throw new Error(
        `the gradient of GlobalAveragePool uses Expand, which needs opset 8; the model is at opset ${ctx.opset}`,
      );
    const x = ctx.x(0);
    const dtype = ctx.dtype(x) || DataType.FLOAT;
    const spatial = ctx.shape(x).slice(2);
    let count: string;
    if (spatial.every((d): d is number => typeof d === 'number'))
      count = b.scalar(
        spatial.reduce((p, q) => p * q, 1),
        dtype,
      );
    else count = b.op('Cast', [b.op('Div', [b.op('Size', [x]), b.op('Size', [ctx.y(0)])])], { to: dtype });
    return [b.op('Expand', [b.op('Div', [ctx.dy(0)!, count]), b.shapeOf(x)])];
  },
};
