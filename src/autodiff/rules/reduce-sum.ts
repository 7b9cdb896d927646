// dX is dY put back on the reduced axes and spread over X's shape.
import type { GradRule } from '../registry.js';
import { reduceBack } from './norm-util.js';

/** Axes as an attribute (opsets 1-12). */
export const reduceSum1: GradRule = {
  opType: 'ReduceSum',
  since: 1,
  grad: (ctx) => [reduceBack(ctx, false, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceSum13: GradRule = {
  opType: 'ReduceSum',
  since: 13,
  grad: (ctx) => [reduceBack(ctx, false, true), null],
};
