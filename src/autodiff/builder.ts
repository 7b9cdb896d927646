// Emits ONNX nodes and constants with deterministic names. Gradient rules write through it.
import { DataType, type Attr, type Dim, type Node, type Tensor } from '../graph/ir.js';
import { UnsupportedModelError } from '../core/errors.js';

export type AttrInput = Attr | number | number[] | string;

export function float(f: number): Attr {
  return { type: 'float', f };
}

function toAttr(v: AttrInput): Attr {
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', i: v } : { type: 'float', f: v };
  if (typeof v === 'string') return { type: 'string', s: v };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { type: 'ints', ints: v } : { type: 'floats', floats: v };
  return v;
}

/**
 * A gradient needs an op form newer than the builder's opset. The artifact (artifact.ts) catches it and
 * rebuilds at `needed` where no op of the model changes meaning up to it; otherwise it refuses with it.
 */
export class OpsetTooLowError extends UnsupportedModelError {
  constructor(
    readonly needed: number,
    message: string,
  ) {
    super(message);
  }
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  private count = 0;
  private constCache = new Map<string, string>();

  constructor(
    /** Version of the default ONNX domain: rules emit op forms valid at it. */
    readonly opset: number,
    private readonly prefix = 'scrub',
  ) {}

  /** Throws OpsetTooLowError (`what` needs opset `needed`) unless the builder emits at `needed` or newer. */
  need(needed: number, what: string): void {
    if (this.opset < needed) throw new OpsetTooLowError(needed, `${what}, which needs opset ${needed}`);
  }

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.count++}`;
  }

  /** Emits one node and returns its outputs. */
  emit(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrInput | undefined> = {},
    nOutputs = 1,
    domain = '',
  ): string[] {
    const id = this.count++;
    const outputs = Array.from(
      { length: nOutputs },
      (_, k) => `${this.prefix}/${opType}_${id}${nOutputs > 1 ? `_${k}` : ''}`,
    );
    const a: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = toAttr(v);
    this.nodes.push({ name: `${this.prefix}/${opType}_${id}`, opType, domain, inputs, outputs, attrs: a });
    return outputs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}): string {
    return this.emit(opType, inputs, attrs)[0];
  }

  private constant(key: string, make: (name: string) => Tensor): string {
    let name = this.constCache.get(key);
    if (!name) {
      name = `${this.prefix}/const_${this.constCache.size}`;
      this.initializers.set(name, make(name));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** An int64 constant; a 1-D tensor unless dims says otherwise ([] for a scalar). */
  i64(values: readonly number[], dims: number[] = [values.length]): string {
    return this.constant(`i64:${dims}:${values}`, (name) => {
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      return { name, dataType: DataType.INT64, dims, bytes: new Uint8Array(data.buffer), location: { kind: 'typed' } };
    });
  }

  /** A float constant of the given ONNX type; a scalar unless dims says otherwise. */
  scalar(value: number, dataType: number = DataType.FLOAT, dims: number[] = []): string {
    return this.tensor(Array(dims.reduce((a, b) => a * b, 1)).fill(value), dataType, dims);
  }

  tensor(values: readonly number[], dataType: number, dims: number[]): string {
    return this.constant(`f${dataType}:${dims}:${values}`, (name) => {
      const data = dataType === DataType.DOUBLE ? Float64Array.from(values) : Float32Array.from(values);
      if (dataType !== DataType.DOUBLE && dataType !== DataType.FLOAT)
        throw new Error(`float constants of type ${dataType} are not supported`);
      return { name, dataType, dims, bytes: new Uint8Array(data.buffer), location: { kind: 'typed' } };
    });
  }

  // Op forms that changed with the opset.

  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput) return this.op(op, [x, this.i64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.i64(axes)]) : this.op('Unsqueeze', [x], { axes });
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.i64(axes)]) : this.op('Squeeze', [x], { axes });
  }

  split(x: string, axis: number, sizes: number[]): string[] {
    if (this.opset >= 13) return this.emit('Split', [x, this.i64(sizes)], { axis }, sizes.length);
    return this.emit('Split', [x], { axis, split: sizes }, sizes.length);
  }

  /**
   * The adjoint of numpy broadcasting: sums grad (shaped `from`) down to `toShape`, the shape of value
   * `to`, whose run-time shape a Reshape reads where toShape is not static. Returns grad when no axis
   * was broadcast.
   */
  reduceTo(grad: string, from: readonly Dim[], to: string, toShape: readonly Dim[]): string {
    const lead = from.length - toShape.length;
    if (lead < 0) throw new Error(`cannot reduce rank ${from.length} to rank ${toShape.length}`);
    const axes: number[] = [];
    for (let k = 0; k < from.length; k++) {
      if (k < lead) axes.push(k);
      else if (toShape[k - lead] === 1 && from[k] !== 1) axes.push(k);
    }
    if (axes.length === 0) return grad;
    const summed = this.reduce('ReduceSum', grad, axes, true);
    if (lead === 0) return summed;
    if (toShape.every((d) => typeof d === 'number')) return this.op('Reshape', [summed, this.i64(toShape as number[])]);
    return this.op('Reshape', [summed, this.shapeOf(to)]);
  }

  /** Dynamic shape of x as a 1-D int64 tensor. */
  shapeOf(x: string): string {
    return this.op('Shape', [x]);
  }

  /** Zeros of x's shape, of the given float type. */
  zerosLike(x: string, dataType: number = DataType.FLOAT): string {
    const bytes = new Uint8Array(dataType === DataType.DOUBLE ? 8 : 4);
    const value: Attr = { type: 'tensor', t: { name: '', dataType, dims: [1], bytes, location: { kind: 'typed' } } };
    return this.op('ConstantOfShape', [this.shapeOf(x)], { value });
  }
}
