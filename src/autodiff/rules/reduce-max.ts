// Y = ReduceMax(X): dX = dY·[X = Y] / (count of ties in the reduced slice), ties sharing the gradient
// evenly, as PyTorch's amax backward does (torch.amax, and a max over a dim as torch.onnx exports it to
// ReduceMax, e.g. the max-over-time pooling of text CNNs; torch.max(x, dim) itself sends all of dY to
// the one index it returns, which the exported ReduceMax no longer names).
import type { GradRule } from '../registry.js';
import { extremumBack } from './reduce-util.js';

/** Axes as an attribute (opsets 1-17). */
export const reduceMax1: GradRule = {
  opType: 'ReduceMax',
  since: 1,
  grad: (ctx) => [extremumBack(ctx, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes (18; 20 adds bool). */
export const reduceMax18: GradRule = {
  opType: 'ReduceMax',
  since: 18,
  grad: (ctx) => [extremumBack(ctx, true), null],
};
