import { RuleRegistry, type GradRule } from '../registry.js';
import { add } from './add.js';
import { flatten } from './flatten.js';
import { gemm } from './gemm.js';
import { matmul } from './matmul.js';
import { relu } from './relu.js';
import { reshape } from './reshape.js';
import { CONV_RULES } from './index-conv.js';
import { ELEMENTWISE_RULES } from './index-elementwise.js';
import { NORM_RULES } from './index-norm.js';
import { SHAPE_RULES } from './index-shape.js';

export const CORE_RULES: GradRule[] = [add, flatten, gemm, matmul, relu, reshape];

export const ALL_RULES: GradRule[] = [
  ...CORE_RULES,
  ...CONV_RULES,
  ...ELEMENTWISE_RULES,
  ...NORM_RULES,
  ...SHAPE_RULES,
];

export function defaultRegistry(): RuleRegistry {
  return new RuleRegistry().add(...ALL_RULES);
}
