// The one check that a model's output is what scrub differentiates and evaluates: classifier
// logits, float32 [batch, classes]. Every command asks here (the gradient artifact with probed
// shapes, evaluation with the declared or probed ones).
import { UnsupportedModelError } from '../core/errors.js';
import type { ValueShape } from '../core/tensor.js';
import { DataType } from './ir.js';

/**
 * The class count of output `name` of model `source`, given its shape (dims and ONNX element type);
 * throws UnsupportedModelError, naming the output and its shape, unless it is float32 [batch, C].
 */
export function classifierClasses(source: string, name: string, shape: ValueShape | undefined): number {
  const dims = shape?.dims;
  if (!dims || dims.length !== 2 || typeof dims[1] !== 'number' || dims[1] < 1)
    throw new UnsupportedModelError(
      `${source}: output ${name} has shape [${dims?.map((d) => d ?? '?').join(', ') ?? '?'}]; ` +
        'scrub needs classifier logits [batch, classes]. Export the model up to its logits.',
    );
  if (shape!.dtype !== DataType.FLOAT)
    throw new UnsupportedModelError(
      `${source}: output ${name} is not float32 logits; export the model in float32 (model.float()).`,
    );
  return dims[1];
}
