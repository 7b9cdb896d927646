// SpaceToDepth: X [N, C, H, W] → [N, C, H/bs, bs, W/bs, bs] → transpose (0, 3, 5, 1, 2, 4) →
// [N, C·bs², H/bs, W/bs], the inverse of DepthToSpace in DCR mode: dX = DepthToSpace(dY, bs, DCR),
// DCR being DepthToSpace's only mode before opset 11 and its default after.
import { attrInt } from '../../graph/ir.js';
import type { GradRule } from '../registry.js';

export const spaceToDepth: GradRule = {
  opType: 'SpaceToDepth',
  since: 1,
  grad: (ctx) => [ctx.b.op('DepthToSpace', [ctx.dy(0)!], { blocksize: attrInt(ctx.node, 'blocksize', 0) })],
};
