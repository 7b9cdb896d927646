// Host tensors and shapes: the one vocabulary graph, autodiff, runtime and data share. A leaf module:
// it imports nothing of scrub.

/** A dimension: a number, a symbolic name, or null where it is unknown or varies with the batch. */
export type Dim = number | string | null;

/** The typed arrays a tensor on the host is held in. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Float64Array | Uint8Array;

/** A tensor on the host: row-major `data` of `dims` (product of dims = data.length). */
export interface HostTensor {
  data: TensorData;
  dims: readonly number[];
}

/** Inputs of a model run, by graph input name. */
export type Feeds = Record<string, HostTensor>;

/** A value's ONNX element type and its dims (null dims vary with the batch). */
export interface ValueShape {
  dtype: number;
  dims: Dim[];
}

/** Shapes of every value of a graph, by name. */
export type ShapeMap = Map<string, ValueShape>;

/** Rows [start, end) of a batch-first tensor, without copying. */
export function rows(x: HostTensor, start: number, end: number): HostTensor {
  const per = x.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    data: x.data.subarray(start * per, end * per) as HostTensor['data'],
    dims: [end - start, ...x.dims.slice(1)],
  };
}

/** Number of elements of a static shape. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
