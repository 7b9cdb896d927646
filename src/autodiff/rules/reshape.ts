// Reshape only changes the shape: dX is dY in X's shape. Registered from opset 5, where the shape became
// an input.
import { reshapeBack } from './shape-util.js';

export const reshape = reshapeBack('Reshape', 5);
