// The gradient only restores X's shape, so one rule serves the attribute (1, 11) and input (13) forms.
import { reshapeBack } from './shape-util.js';

export const squeeze = reshapeBack('Squeeze', 1);
