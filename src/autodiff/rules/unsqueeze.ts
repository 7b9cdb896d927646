import { reshapeBack } from './reshape.js';

// The gradient only restores X's shape, so one rule serves the attribute (1, 11) and input (13) forms.
export const unsqueeze = reshapeBack('Unsqueeze', 1);
