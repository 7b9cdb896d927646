// dY cut back into the inputs' extents along the axis.
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';
import { normAxis, sliceConst } from './shape-util.js';

export const concat: GradRule = {
  opType: 'Concat',
  since: 1,
  grad(ctx) {
    const { b, node } = ctx;
    const dy = ctx.dy(0)!;
    const n = node.inputs.length;
    const rank = ctx.shape(ctx.y(0)).length;
    const axis = normAxis(attrInt(node, 'axis', ctx.opset < 4 ? 1 : 0), rank);
    const wanted = node.inputs.map((_, i) => ctx.needs(i));
    if (n === 1) return [dy];
    const sizes = node.inputs.map((x) => ctx.shape(x)[axis]);

    if (sizes.every((s): s is number => typeof s === 'number')) {
      // One Split writes every part; when only some are wanted, Slices copy just those.
      if (wanted.every(Boolean)) return b.split(dy, axis, sizes);
      let offset = 0;
      return sizes.map((s, i) => {
        const start = offset;
        offset += s;
        return wanted[i] ? sliceConst(b, dy, [start], [start + s], [axis]) : null;
      });
    }

    // Some extent varies with the batch: read it from the input's shape at run time.
    if (ctx.opset < 10)
      throw new Error(
        `Concat along an axis of run-time size needs opset 10 for the gradient; the model is at opset ${ctx.opset}`,
      );
    const axisIdx = b.i64([axis]);
    const sizeT = sizes.map((s, i) =>
      typeof s === 'number' ? b.i64([s]) : b.op('Gather', [b.shapeOf(node.inputs[i]), axisIdx]),
    );
    if (b.opset >= 13 && wanted.every(Boolean))
      return b.emit('Split', [dy, b.op('Concat', sizeT, { axis: 0 })], { axis }, n);
    const last = wanted.lastIndexOf(true);
    let start = b.i64([0]);
    return sizeT.map((s, i) => {
      if (i > last) return null;
      const end = b.op('Add', [start, s]);
      const g = wanted[i] ? b.op('Slice', [dy, start, end, axisIdx]) : null;
      start = end;
      return g;
    });
  },
};
