// Quantized models: int8/uint8 weights behind DequantizeLinear (QDQ), or QLinear*/…Integer ops.
// scrub edits float weights; a quantized model is refused in one line that says what to do, before
// any pass (its scales and zero points are never parameters, and DequantizeLinear is not an op
// without a gradient rule but a sign that the weights to edit are not floats).
import { UnsupportedModelError } from '../core/errors.js';
import { DataType, type Model } from './ir.js';

const QUANTIZED_OPS = /^(QLinear\w+|ConvInteger|MatMulInteger|DynamicQuantizeLinear|DynamicQuantizeMatMul)$/;
const INTEGER_TYPES = new Set<number>([DataType.INT8, DataType.UINT8]);

/** The quantized weights of `model` (initializers fed to DequantizeLinear) and its quantized ops. */
export function quantization(model: Model): { weights: string[]; ops: string[] } {
  const g = model.graph;
  const weights = new Set<string>();
  const ops = new Set<string>();
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'com.microsoft') continue;
    if (n.opType === 'DequantizeLinear') {
      const t = g.initializers.get(n.inputs[0]);
      if (t && INTEGER_TYPES.has(t.dataType)) weights.add(t.name);
    } else if (QUANTIZED_OPS.test(n.opType)) ops.add(n.opType);
  }
  return { weights: [...weights], ops: [...ops] };
}

/** Throws UnsupportedModelError (one line: what the model is and what to do) for a quantized model. */
export function refuseQuantized(model: Model, source = model.path): void {
  const { weights, ops } = quantization(model);
  if (!weights.length && !ops.length) return;
  const name = source.split(/[/\\]/).pop();
  const what = weights.length
    ? `int8 weights ${weights.slice(0, 4).join(', ')}${weights.length > 4 ? ', …' : ''} behind DequantizeLinear`
    : `quantized ops ${ops.join(', ')}`;
  throw new UnsupportedModelError(
    `${name} is a quantized model (${what}); scrub edits float models: unlearn the float model it was ` +
      'quantized from, then quantize the result again.',
  );
}
