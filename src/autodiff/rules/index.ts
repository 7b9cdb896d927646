// Every entry of the default registry in one list, sorted by domain, op type and since-version: the
// gradient rules (one file per op; an op with several forms exports one rule per form, named with the
// opset it applies from) and the ops whose outputs carry no gradient, from the opset where each exists.
import { noGradient, RuleRegistry, type Rule } from '../registry.js';
import { abs } from './abs.js';
import { add } from './add.js';
import { averagePool } from './average-pool.js';
import { batchNormalization14, batchNormalization15, batchNormalization9 } from './batch-normalization.js';
import { cast13, cast6 } from './cast.js';
import { clip11, clip6 } from './clip.js';
import { concat } from './concat.js';
import { convTranspose } from './conv-transpose.js';
import { conv } from './conv.js';
import { div } from './div.js';
import { dropout12, dropout7 } from './dropout.js';
import { erf } from './erf.js';
import { exp } from './exp.js';
import { expand } from './expand.js';
import { flatten } from './flatten.js';
import { gather } from './gather.js';
import { gelu } from './gelu.js';
import { gemm } from './gemm.js';
import { globalAveragePool } from './global-average-pool.js';
import { identity } from './identity.js';
import { layerNormalization } from './layer-normalization.js';
import { leakyRelu } from './leaky-relu.js';
import { logSoftmax1, logSoftmax13 } from './log-softmax.js';
import { log } from './log.js';
import { matmul } from './matmul.js';
import { maxPool } from './max-pool.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { pad11, pad2 } from './pad.js';
import { pow } from './pow.js';
import { reduceMean1, reduceMean18 } from './reduce-mean.js';
import { reduceSum1, reduceSum13 } from './reduce-sum.js';
import { relu } from './relu.js';
import { reshape } from './reshape.js';
import { sigmoid } from './sigmoid.js';
import { slice1, slice10 } from './slice.js';
import { softmax1, softmax13 } from './softmax.js';
import { split } from './split.js';
import { sqrt } from './sqrt.js';
import { squeeze } from './squeeze.js';
import { sub } from './sub.js';
import { tanh } from './tanh.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import { where } from './where.js';

/** The default domain's entries, alphabetical by op type, then by since-version. */
export const ALL_RULES: readonly Rule[] = [
  abs,
  add,
  noGradient('And', 1),
  noGradient('ArgMax', 1),
  noGradient('ArgMin', 1),
  averagePool,
  batchNormalization9,
  batchNormalization14,
  batchNormalization15,
  noGradient('Bernoulli', 15),
  cast6,
  cast13,
  noGradient('Ceil', 1),
  clip6,
  clip11,
  concat,
  noGradient('Constant', 1),
  noGradient('ConstantOfShape', 9),
  conv,
  convTranspose,
  div,
  dropout7,
  dropout12,
  noGradient('Equal', 1),
  erf,
  exp,
  expand,
  noGradient('EyeLike', 9),
  flatten,
  noGradient('Floor', 1),
  gather,
  gelu,
  gemm,
  globalAveragePool,
  noGradient('Greater', 1),
  noGradient('GreaterOrEqual', 12),
  identity,
  noGradient('IsInf', 10),
  noGradient('IsNaN', 9),
  layerNormalization,
  leakyRelu,
  noGradient('Less', 1),
  noGradient('LessOrEqual', 12),
  log,
  logSoftmax1,
  logSoftmax13,
  matmul,
  maxPool,
  mul,
  neg,
  noGradient('NonZero', 9),
  noGradient('Not', 1),
  noGradient('OneHot', 9),
  noGradient('Or', 1),
  pad2,
  pad11,
  pow,
  noGradient('RandomNormal', 1),
  noGradient('RandomNormalLike', 1),
  noGradient('RandomUniform', 1),
  noGradient('RandomUniformLike', 1),
  noGradient('Range', 11),
  reduceMean1,
  reduceMean18,
  reduceSum1,
  reduceSum13,
  relu,
  reshape,
  noGradient('Round', 11),
  noGradient('Shape', 1),
  sigmoid,
  noGradient('Sign', 9),
  noGradient('Size', 1),
  slice1,
  slice10,
  softmax1,
  softmax13,
  split,
  sqrt,
  squeeze,
  sub,
  tanh,
  transpose,
  unsqueeze,
  where,
  noGradient('Xor', 1),
];

/** A fresh registry holding ALL_RULES. */
export function defaultRegistry(): RuleRegistry {
  return new RuleRegistry().add(...ALL_RULES);
}
