// Models whose batch is fixed (declared, e.g. [1, 3, 224, 224], or traced at one size: shapes.ts)
// run a logical minibatch of any size as consecutive physical chunks of that size; a partial last
// chunk is padded (its first row repeated) and the padded rows are dropped from every result.
import type { HostTensor } from '../core/tensor.js';
import type { Dim } from '../graph/ir.js';

/** The batch a model's inputs are fixed at (dimension 0, the same for every input), or undefined where it is free. */
export function fixedBatch(inputs: readonly { dims: readonly Dim[] }[]): number | undefined {
  const sizes = inputs.map((i) => i.dims[0]);
  return sizes.length > 0 && sizes.every((d) => typeof d === 'number' && d === sizes[0])
    ? (sizes[0] as number)
    : undefined;
}

/**
 * Rows [start, start + count) of the batch-first tensor `x` as a batch of `size` rows: the rows
 * themselves where count = size (no copy), else copied and followed by copies of row `start` (model
 * inputs: a real example keeps every op finite), or by zero rows with `zeros` (loss feeds: a zero-fed
 * row adds nothing to a 'sum' loss).
 */
export function paddedRows(x: HostTensor, start: number, count: number, size: number, zeros = false): HostTensor {
  const per = x.dims.slice(1).reduce((a, b) => a * b, 1);
  const src = x.data.subarray(start * per, (start + count) * per) as HostTensor['data'];
  if (count === size) return { data: src, dims: [size, ...x.dims.slice(1)] };
  const Ctor = x.data.constructor as new (n: number) => HostTensor['data'];
  const data = new Ctor(size * per);
  data.set(src as never);
  if (zeros) return { data, dims: [size, ...x.dims.slice(1)] };
  const first = x.data.subarray(start * per, (start + 1) * per);
  for (let r = count; r < size; r++) data.set(first as never, r * per);
  return { data, dims: [size, ...x.dims.slice(1)] };
}

/** The physical chunks of a logical batch of `n` rows run `size` at a time: each one's first row and row count. */
export function chunkStarts(n: number, size: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (let s = 0; s < n; s += size) out.push({ start: s, count: Math.min(size, n - s) });
  return out;
}
