import type { GradRule } from '../registry.js';

export const NORM_RULES: GradRule[] = [];
