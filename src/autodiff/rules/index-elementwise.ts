import type { GradRule } from '../registry.js';

export const ELEMENTWISE_RULES: GradRule[] = [];
