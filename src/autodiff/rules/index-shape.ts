import type { GradRule } from '../registry.js';
import { concat } from './concat.js';
import { expand } from './expand.js';
import { gather } from './gather.js';
import { pad11, pad2 } from './pad.js';
import { slice1, slice10 } from './slice.js';
import { split } from './split.js';
import { squeeze } from './squeeze.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';

export const SHAPE_RULES: GradRule[] = [
  transpose,
  squeeze,
  unsqueeze,
  concat,
  split,
  slice1,
  slice10,
  gather,
  expand,
  pad2,
  pad11,
];
