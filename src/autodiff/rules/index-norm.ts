import type { GradRule } from '../registry.js';
import { batchNormalization14, batchNormalization15, batchNormalization9 } from './batch-normalization.js';
import { layerNormalization } from './layer-normalization.js';
import { logSoftmax, logSoftmax13 } from './log-softmax.js';
import { reduceMean, reduceMean18 } from './reduce-mean.js';
import { reduceSum, reduceSum13 } from './reduce-sum.js';
import { softmax, softmax13 } from './softmax.js';

export const NORM_RULES: GradRule[] = [
  softmax,
  softmax13,
  logSoftmax,
  logSoftmax13,
  layerNormalization,
  batchNormalization9,
  batchNormalization14,
  batchNormalization15,
  reduceMean,
  reduceMean18,
  reduceSum,
  reduceSum13,
];
