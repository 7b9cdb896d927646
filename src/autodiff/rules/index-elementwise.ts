import type { GradRule } from '../registry.js';
import { abs } from './abs.js';
import { cast13, cast6 } from './cast.js';
import { clip11, clip6 } from './clip.js';
import { div } from './div.js';
import { dropout12, dropout7 } from './dropout.js';
import { erf } from './erf.js';
import { exp } from './exp.js';
import { gelu } from './gelu.js';
import { identity } from './identity.js';
import { leakyRelu } from './leaky-relu.js';
import { log } from './log.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { pow } from './pow.js';
import { sigmoid } from './sigmoid.js';
import { sqrt } from './sqrt.js';
import { sub } from './sub.js';
import { tanh } from './tanh.js';
import { where } from './where.js';

export const ELEMENTWISE_RULES: GradRule[] = [
  sub,
  mul,
  div,
  pow,
  sqrt,
  exp,
  log,
  neg,
  abs,
  clip6,
  clip11,
  sigmoid,
  tanh,
  leakyRelu,
  gelu,
  erf,
  identity,
  dropout7,
  dropout12,
  cast6,
  cast13,
  where,
];
