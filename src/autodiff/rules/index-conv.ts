import type { GradRule } from '../registry.js';

export const CONV_RULES: GradRule[] = [];
