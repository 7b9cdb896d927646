// Y = ReduceMin(X): dX = dY·[X = Y] / (count of ties in the reduced slice), ties sharing the gradient
// evenly, as PyTorch's amin backward does (torch.amin, and a min over a dim as torch.onnx exports it).
import type { GradRule } from '../registry.js';
import { extremumBack } from './reduce-util.js';

/** Axes as an attribute (opsets 1-17). */
export const reduceMin1: GradRule = {
  opType: 'ReduceMin',
  since: 1,
  grad: (ctx) => [extremumBack(ctx, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes (18; 20 adds bool). */
export const reduceMin18: GradRule = {
  opType: 'ReduceMin',
  since: 18,
  grad: (ctx) => [extremumBack(ctx, true), null],
};
