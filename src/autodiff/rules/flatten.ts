import { reshapeBack } from './reshape.js';

export const flatten = reshapeBack('Flatten', 1);
