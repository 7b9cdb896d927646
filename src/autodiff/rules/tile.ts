// Tile repeats X r_k times along each axis k: Y[i] = X[i mod d]. dX sums dY over the tiles: dY reshaped to
// [r0, d0, r1, d1, ...] (tile index outside, X's index inside, as Tile lays them out), then ReduceSum over
// the repeat axes. The repeats must be a constant (a Reshape target built from them).
import type { GradRule } from '../registry.js';
import { sliceConst, staticDims } from './shape-util.js';

/** From opset 6, where repeats became an input (Tile-1's tiles/axis form is not handled). */
export const tile: GradRule = {
  opType: 'Tile',
  since: 6,
  grad(ctx) {
    const { b } = ctx;
    const x = ctx.x(0);
    const dims = ctx.shape(x);
    const rank = dims.length;
    const repeats = ctx.constant(ctx.x(1));
    if (!repeats)
      throw new Error('the gradient of Tile needs constant repeats; these repeats are computed at run time');
    if (repeats.length !== rank) throw new Error(`Tile has ${repeats.length} repeats for rank ${rank}`);
    const dy = ctx.dy(0)!;
    const tiled = repeats.flatMap((r, k) => (r !== 1 ? [k] : []));
    if (tiled.length === 0) return [dy, null];
    // One shape entry per untiled axis, two ([r, d]) per tiled one; the repeat axes get summed.
    const axes: number[] = [];
    let n = 0;
    for (let k = 0; k < rank; k++) {
      if (repeats[k] !== 1) axes.push(n++);
      n++;
    }
    let target: string;
    const s = staticDims(dims);
    if (s) target = b.i64(s.flatMap((d, k) => (repeats[k] !== 1 ? [repeats[k], d] : [d])));
    else {
      // X's shape at run time with the repeats spliced in front of the tiled axes.
      const xs = b.shapeOf(x);
      const pieces = dims.flatMap((_, k) => {
        const dk = sliceConst(b, xs, [k], [k + 1], [0]);
        return repeats[k] !== 1 ? [b.i64([repeats[k]]), dk] : [dk];
      });
      target = b.op('Concat', pieces, { axis: 0 });
    }
    return [b.reduce('ReduceSum', b.op('Reshape', [dy, target]), axes, false), null];
  },
};
