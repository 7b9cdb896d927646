// DepthToSpace moves blocks of channels into bs×bs spatial blocks; its gradient is the inverse move.
// DCR (the only mode before opset 11, the default after): X [N, C, H, W] → [N, bs, bs, C/bs², H, W] →
// transpose (0, 3, 4, 1, 5, 2) → [N, C/bs², H·bs, W·bs], whose inverse is SpaceToDepth(dY, bs).
// CRD (PyTorch's pixel_shuffle): X → [N, C/bs², bs, bs, H, W] → transpose (0, 1, 4, 2, 5, 3) → Y, undone by
// reshaping dY to [N, C/bs², H, bs, W, bs], transposing by the inverse (0, 1, 3, 5, 2, 4) and reshaping to X's
// shape (channel and spatial dims static; the batch may vary).
import { attrInt, attrString } from '../../graph/ir.js';
import type { GradContext, GradRule } from '../registry.js';

function depthToSpaceGrad(ctx: GradContext, mode: string): string {
  const { b, node } = ctx;
  const bs = attrInt(node, 'blocksize', 0);
  const dy = ctx.dy(0)!;
  if (mode === 'DCR') return b.op('SpaceToDepth', [dy], { blocksize: bs });
  if (mode !== 'CRD') throw new Error(`unknown DepthToSpace mode '${mode}'`);
  const [, c, h, w] = ctx.shape(ctx.x(0));
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number')
    throw new Error('the gradient of a CRD DepthToSpace needs static channel and spatial dimensions');
  // Reshape's 0 copies dY's batch dimension.
  const split = b.op('Reshape', [dy, b.i64([0, c / (bs * bs), h, bs, w, bs])]);
  const moved = b.op('Transpose', [split], { perm: [0, 1, 3, 5, 2, 4] });
  return b.op('Reshape', [moved, b.i64([0, c, h, w])]);
}

/** Opset 1-10: DCR only (no mode attribute). */
export const depthToSpace1: GradRule = {
  opType: 'DepthToSpace',
  since: 1,
  grad: (ctx) => [depthToSpaceGrad(ctx, 'DCR')],
};

/** Opset 11+: mode 'DCR' (default) or 'CRD'. */
export const depthToSpace11: GradRule = {
  opType: 'DepthToSpace',
  since: 11,
  grad: (ctx) => [depthToSpaceGrad(ctx, attrString(ctx.node, 'mode', 'DCR'))],
};
