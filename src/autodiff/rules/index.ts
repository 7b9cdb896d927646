// Every entry of the default registry in one list, sorted by domain, op type and since-version: the
// gradient rules (one file per op; an op with several forms exports one rule per form, named with the
// opset it applies from) and the ops whose outputs carry no gradient, from the opset where each exists.
import { noGradient, RuleRegistry, type Rule } from '../registry.js';
import { abs } from './abs.js';
import { add } from './add.js';
import { averagePool } from './average-pool.js';
import { batchNormalization14, batchNormalization15, batchNormalization9 } from './batch-normalization.js';
import { cast13, cast6 } from './cast.js';
import { celu } from './celu.js';
import { clip11, clip6 } from './clip.js';
import { concat } from './concat.js';
import { convTranspose } from './conv-transpose.js';
import { conv } from './conv.js';
import { cos } from './cos.js';
import { cumSum } from './cum-sum.js';
import { depthToSpace1, depthToSpace11 } from './depth-to-space.js';
import { div } from './div.js';
import { dropout12, dropout7 } from './dropout.js';
import { einsum } from './einsum.js';
import { elu } from './elu.js';
import { erf } from './erf.js';
import { exp } from './exp.js';
import { expand } from './expand.js';
import { flatten } from './flatten.js';
import { gatherElements } from './gather-elements.js';
import { gatherND } from './gather-nd.js';
import { gather } from './gather.js';
import { gelu } from './gelu.js';
import { gemm } from './gemm.js';
import { globalAveragePool } from './global-average-pool.js';
import { groupNormalization18, groupNormalization21 } from './group-normalization.js';
import { gru14, gru7 } from './gru.js';
import { hardSigmoid } from './hard-sigmoid.js';
import { hardSwish } from './hard-swish.js';
import { identity } from './identity.js';
import { instanceNormalization } from './instance-normalization.js';
import { layerNormalization } from './layer-normalization.js';
import { leakyRelu } from './leaky-relu.js';
import { logSoftmax1, logSoftmax13 } from './log-softmax.js';
import { log } from './log.js';
import { lpNormalization } from './lp-normalization.js';
import { lstm14, lstm7 } from './lstm.js';
import { matmul } from './matmul.js';
import { maxPool } from './max-pool.js';
import { max } from './max.js';
import { mean } from './mean.js';
import { min } from './min.js';
import { mish } from './mish.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { pad11, pad2 } from './pad.js';
import { pow } from './pow.js';
import { prelu } from './prelu.js';
import { reciprocal } from './reciprocal.js';
import { reduceL11, reduceL118 } from './reduce-l1.js';
import { reduceL21, reduceL218 } from './reduce-l2.js';
import { reduceLogSumExp1, reduceLogSumExp18 } from './reduce-log-sum-exp.js';
import { reduceMax1, reduceMax18 } from './reduce-max.js';
import { reduceMean1, reduceMean18 } from './reduce-mean.js';
import { reduceMin1, reduceMin18 } from './reduce-min.js';
import { reduceProd1, reduceProd18 } from './reduce-prod.js';
import { reduceSumSquare1, reduceSumSquare18 } from './reduce-sum-square.js';
import { reduceSum1, reduceSum13 } from './reduce-sum.js';
import { relu } from './relu.js';
import { reshape } from './reshape.js';
import { resize11, resize13, resize18, resize19 } from './resize.js';
import { rnn14, rnn7 } from './rnn.js';
import { selu } from './selu.js';
import { sigmoid } from './sigmoid.js';
import { sin } from './sin.js';
import { slice1, slice10 } from './slice.js';
import { softmax1, softmax13 } from './softmax.js';
import { softplus } from './softplus.js';
import { softsign } from './softsign.js';
import { spaceToDepth } from './space-to-depth.js';
import { split } from './split.js';
import { sqrt } from './sqrt.js';
import { squeeze } from './squeeze.js';
import { sub } from './sub.js';
import { tanh } from './tanh.js';
import { topK } from './top-k.js';
import { thresholdedRelu } from './thresholded-relu.js';
import { tile } from './tile.js';
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
  celu,
  clip6,
  clip11,
  concat,
  noGradient('Constant', 1),
  noGradient('ConstantOfShape', 9),
  conv,
  convTranspose,
  cos,
  cumSum,
  depthToSpace1,
  depthToSpace11,
  div,
  dropout7,
  dropout12,
  einsum,
  elu,
  noGradient('Equal', 1),
  erf,
  exp,
  expand,
  noGradient('EyeLike', 9),
  flatten,
  noGradient('Floor', 1),
  gather,
  gatherElements,
  gatherND,
  gelu,
  gemm,
  globalAveragePool,
  noGradient('Greater', 1),
  noGradient('GreaterOrEqual', 12),
  groupNormalization18,
  groupNormalization21,
  gru7,
  gru14,
  hardSigmoid,
  hardSwish,
  identity,
  instanceNormalization,
  noGradient('IsInf', 10),
  noGradient('IsNaN', 9),
  layerNormalization,
  leakyRelu,
  noGradient('Less', 1),
  noGradient('LessOrEqual', 12),
  log,
  logSoftmax1,
  logSoftmax13,
  lpNormalization,
  lstm7,
  lstm14,
  matmul,
  max,
  maxPool,
  mean,
  min,
  mish,
  mul,
  neg,
  noGradient('NonZero', 9),
  noGradient('Not', 1),
  noGradient('OneHot', 9),
  noGradient('Or', 1),
  pad2,
  pad11,
  pow,
  prelu,
  noGradient('RandomNormal', 1),
  noGradient('RandomNormalLike', 1),
  noGradient('RandomUniform', 1),
  noGradient('RandomUniformLike', 1),
  noGradient('Range', 11),
  reciprocal,
  reduceL11,
  reduceL118,
  reduceL21,
  reduceL218,
  reduceLogSumExp1,
  reduceLogSumExp18,
  reduceMax1,
  reduceMax18,
  reduceMean1,
  reduceMean18,
  reduceMin1,
  reduceMin18,
  reduceProd1,
  reduceProd18,
  reduceSum1,
  reduceSum13,
  reduceSumSquare1,
  reduceSumSquare18,
  relu,
  reshape,
  resize11,
  resize13,
  resize18,
  resize19,
  rnn7,
  rnn14,
  noGradient('Round', 11),
  selu,
  noGradient('Shape', 1),
  sigmoid,
  noGradient('Sign', 9),
  sin,
  noGradient('Size', 1),
  slice1,
  slice10,
  softmax1,
  softmax13,
  softplus,
  softsign,
  spaceToDepth,
  split,
  sqrt,
  squeeze,
  sub,
  tanh,
  thresholdedRelu,
  tile,
  topK,
  transpose,
  unsqueeze,
  where,
  noGradient('Xor', 1),
];

/** A fresh registry holding ALL_RULES. */
export function defaultRegistry(): RuleRegistry {
  return new RuleRegistry().add(...ALL_RULES);
}
