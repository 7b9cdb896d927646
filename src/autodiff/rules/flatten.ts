// Flatten only changes the shape: dX is dY in X's shape.
import { reshapeBack } from './shape-util.js';

export const flatten = reshapeBack('Flatten', 1);
