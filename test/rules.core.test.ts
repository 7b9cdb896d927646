import { describe, expect, it } from 'vitest';
import { gradCheck, type OpCase } from './support/gradcheck.js';

const cases: OpCase[] = [
  { name: 'Gemm', op: 'Gemm', inputs: [{ shape: [4, 3] }, { shape: [3, 5] }, { shape: [5] }] },
  {
    name: 'Gemm transA transB alpha beta',
    op: 'Gemm',
    attrs: { transA: 1, transB: 1, alpha: 0.7, beta: 1.3 },
    inputs: [{ shape: [3, 4] }, { shape: [5, 3] }, { shape: [4, 5] }],
  },
  {
    name: 'Gemm transA',
    op: 'Gemm',
    attrs: { transA: 1 },
    inputs: [{ shape: [3, 4] }, { shape: [3, 5] }, { shape: [1, 5] }],
  },
  {
    name: 'Gemm transB no C',
    op: 'Gemm',
    attrs: { transB: 1, alpha: 2.5 },
    inputs: [{ shape: [4, 3] }, { shape: [5, 3] }],
  },
  {
    name: 'Gemm scalar C, dynamic batch',
    op: 'Gemm',
    attrs: { beta: 0.5 },
    inputs: [{ shape: [4, 3], dynamic: true }, { shape: [3, 5] }, { shape: [] }],
  },
  { name: 'MatMul 2-D', op: 'MatMul', inputs: [{ shape: [4, 3] }, { shape: [3, 5] }] },
  { name: 'MatMul batched weight', op: 'MatMul', inputs: [{ shape: [2, 4, 3], dynamic: true }, { shape: [3, 5] }] },
  { name: 'MatMul batched both', op: 'MatMul', inputs: [{ shape: [2, 3, 4, 3] }, { shape: [2, 3, 3, 5] }] },
  { name: 'MatMul broadcast batch', op: 'MatMul', inputs: [{ shape: [2, 1, 4, 3] }, { shape: [3, 3, 5] }] },
  { name: 'MatMul 1-D left', op: 'MatMul', inputs: [{ shape: [3] }, { shape: [2, 3, 5] }] },
  { name: 'MatMul 1-D right', op: 'MatMul', inputs: [{ shape: [2, 4, 3] }, { shape: [3] }] },
  { name: 'MatMul 1-D both', op: 'MatMul', inputs: [{ shape: [3] }, { shape: [3] }] },
  { name: 'Relu', op: 'Relu', inputs: [{ shape: [3, 4], init: 'awayFromZero' }] },
  { name: 'Add broadcast', op: 'Add', inputs: [{ shape: [2, 3, 4], dynamic: true }, { shape: [3, 1] }] },
  { name: 'Add scalar', op: 'Add', inputs: [{ shape: [] }, { shape: [2, 3] }] },
  { name: 'Flatten', op: 'Flatten', attrs: { axis: 2 }, inputs: [{ shape: [2, 3, 4, 5] }] },
  {
    name: 'Reshape',
    op: 'Reshape',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2], type: 'int64', values: [6, -1], constant: true }],
  },
];

describe('core gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });
});
