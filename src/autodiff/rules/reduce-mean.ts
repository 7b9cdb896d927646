// dX is dY put back on the reduced axes and spread over X's shape, divided by the count reduced.
import type { GradRule } from '../registry.js';
import { reduceBack } from './norm-util.js';

/** Axes as an attribute (opsets 1-17). */
export const reduceMean1: GradRule = {
  opType: 'ReduceMean',
  since: 1,
  grad: (ctx) => [reduceBack(ctx, true, false)],
};

/** Axes as optional input 1, with noop_with_empty_axes. */
export const reduceMean18: GradRule = {
  opType: 'ReduceMean',
  since: 18,
  grad: (ctx) => [reduceBack(ctx, true, true), null],
};
