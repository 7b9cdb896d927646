import type { GradRule } from '../registry.js';

export const SHAPE_RULES: GradRule[] = [];
