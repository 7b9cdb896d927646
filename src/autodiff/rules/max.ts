// Y = Max(X_0, ..., X_{n-1}), multidirectional broadcasting from opset 8 (equal shapes at 6, for which the
// same rule holds: nothing to sum down). X_i takes dY·[X_i = Y] / (number of inputs equal to Y there),
// summed down to its shape by the engine: ties split dY evenly, as PyTorch's torch.maximum backward does
// for two inputs (grad/2 to each where self == other); among more inputs, evenly among those tying.
import type { GradRule } from '../registry.js';
import { variadicExtremumBack } from './reduce-util.js';

export const max: GradRule = {
  opType: 'Max',
  since: 6,
  broadcast: true,
  grad: (ctx) => variadicExtremumBack(ctx),
};
