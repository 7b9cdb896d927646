import type { GradRule } from '../registry.js';
import { averagePool } from './average-pool.js';
import { conv } from './conv.js';
import { convTranspose } from './conv-transpose.js';
import { globalAveragePool } from './global-average-pool.js';
import { maxPool } from './max-pool.js';

export const CONV_RULES: GradRule[] = [conv, convTranspose, maxPool, averagePool, globalAveragePool];
