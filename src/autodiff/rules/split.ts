// dX is the dY's concatenated back; how the sizes were given (attribute, input, num_outputs) does
// not matter, since each dY has its output's shape.
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { floatType, normAxis, zerosLike } from './shape-util.js';

export const split: GradRule = {
  opType: 'Split',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const x = ctx.x(0);
    const axis = normAxis(attrInt(node, 'axis', 0), ctx.shape(x).length);
    const dtype = floatType(ctx, x);
    const parts = node.outputs.map((y, i) => ctx.dy(i) ?? zerosLike(b, y, ctx.shape(y), dtype));
    return [parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis })];
  },
};
