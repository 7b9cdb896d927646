// (Values, Indices) = TopK(X, k) along axis: dX is dY(Values) scattered back to the positions Indices
// names, zero elsewhere (PyTorch's topk backward). The indices of one slice are distinct, so a plain
// ScatterElements (opset 11) places them. Only Indices and axis enter, alike in every form (k an
// attribute at 1, input K from 10; 11 adds largest, sorted and negative axes). Indices get no gradient.
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { floatType, zerosLike } from './shape-util.js';

export const topK: GradRule = {
  opType: 'TopK',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy(0);
    if (!dy) return [null, null];
    b.need(11, `gradient of TopK node ${node.name || node.outputs[0]}: ScatterElements`);
    const x = ctx.x(0);
    const axis = attrInt(node, 'axis', -1);
    const indices = ctx.y(1);
    if (!indices) throw new Error('TopK has no Indices output');
    const zeros = zerosLike(b, x, ctx.shape(x), floatType(ctx, x));
    return [b.op('ScatterElements', [zeros, indices, dy], { axis }), null];
  },
};
