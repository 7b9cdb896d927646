import { describe, expect, it } from 'vitest';
import { isTrainingBatchNorm, trainingBatchNormNote } from '../src/autodiff/rules/batch-normalization.js';
import { gradCheck, type CaseInput, type OpCase } from './support/gradcheck.js';

const axesIn = (values: number[], constant = true): CaseInput => ({
  shape: [values.length],
  type: 'int64',
  values,
  constant,
});
const stat = (c: number, positive = false): CaseInput => ({
  shape: [c],
  noGrad: true,
  init: positive ? 'positive' : 'normal',
});
const statConst = (c: number, positive = false): CaseInput => ({
  shape: [c],
  constant: true,
  init: positive ? 'positive' : 'normal',
});

const softmaxCases = (op: 'Softmax' | 'LogSoftmax'): OpCase[] => [
  // from opset 13: one axis, default -1
  { name: `${op}-13 default axis`, op, opset: 13, inputs: [{ shape: [2, 3, 4] }] },
  { name: `${op}-13 axis 1`, op, opset: 13, attrs: { axis: 1 }, inputs: [{ shape: [2, 3, 4] }] },
  { name: `${op}-13 axis 0`, op, opset: 13, attrs: { axis: 0 }, inputs: [{ shape: [3, 4] }] },
  {
    name: `${op}-13 axis -2, dynamic batch`,
    op,
    opset: 13,
    attrs: { axis: -2 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  { name: `${op}-17 2-D`, op, opset: 17, inputs: [{ shape: [4, 5] }] },
  // before 13: coerced to 2-D at axis, default 1
  { name: `${op}-11 default axis (over 1..2)`, op, opset: 11, inputs: [{ shape: [2, 3, 4] }] },
  { name: `${op}-11 axis 2 of 4-D`, op, opset: 11, attrs: { axis: 2 }, inputs: [{ shape: [2, 3, 2, 3] }] },
  { name: `${op}-11 axis 0 (whole tensor)`, op, opset: 11, attrs: { axis: 0 }, inputs: [{ shape: [3, 4] }] },
  {
    name: `${op}-11 axis -2, dynamic batch`,
    op,
    opset: 11,
    attrs: { axis: -2 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  { name: `${op}-7 default axis`, op, opset: 7, inputs: [{ shape: [2, 5] }] },
];

const cases: OpCase[] = [
  ...softmaxCases('Softmax'),
  ...softmaxCases('LogSoftmax'),

  // LayerNormalization-17
  {
    name: 'LayerNorm default axis',
    op: 'LayerNormalization',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }],
  },
  {
    name: 'LayerNorm axis 1, epsilon',
    op: 'LayerNormalization',
    attrs: { axis: 1, epsilon: 1e-3 },
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
  },
  {
    name: 'LayerNorm axis -2, dynamic batch',
    op: 'LayerNormalization',
    attrs: { axis: -2 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }, { shape: [3, 4] }, { shape: [3, 4] }],
  },
  {
    name: 'LayerNorm axis 0 (whole tensor)',
    op: 'LayerNormalization',
    attrs: { axis: 0 },
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
  },
  {
    name: 'LayerNorm axis 0, dynamic normalised shape',
    op: 'LayerNormalization',
    attrs: { axis: 0 },
    inputs: [
      { shape: [3, 4], dynamic: true },
      { shape: [3, 4], dynamic: true },
      { shape: [3, 4], dynamic: true },
    ],
  },
  { name: 'LayerNorm without B', op: 'LayerNormalization', inputs: [{ shape: [3, 5] }, { shape: [5] }] },
  {
    name: 'LayerNorm stash_type 1',
    op: 'LayerNormalization',
    attrs: { stash_type: 1 },
    inputs: [{ shape: [3, 5] }, { shape: [5] }, { shape: [5] }],
  },
  {
    name: 'LayerNorm ViT-like, dynamic batch, opset 18',
    op: 'LayerNormalization',
    opset: 18,
    attrs: { axis: -1, epsilon: 1e-5 },
    inputs: [{ shape: [2, 5, 8], dynamic: true }, { shape: [8] }, { shape: [8] }],
  },
  {
    name: 'LayerNorm constant Scale and B',
    op: 'LayerNormalization',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4], constant: true }, { shape: [4], constant: true }],
  },

  // BatchNormalization, inference form: X, scale, B, mean, var
  {
    name: 'BatchNorm-9 2-D',
    op: 'BatchNormalization',
    opset: 9,
    inputs: [{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-9 4-D, epsilon',
    op: 'BatchNormalization',
    opset: 9,
    attrs: { epsilon: 1e-3 },
    inputs: [{ shape: [2, 3, 4, 5] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-14 4-D, training_mode 0',
    op: 'BatchNormalization',
    opset: 14,
    attrs: { training_mode: 0 },
    inputs: [{ shape: [2, 3, 4, 5] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-14 2-D, dynamic batch',
    op: 'BatchNormalization',
    opset: 14,
    inputs: [{ shape: [5, 4], dynamic: true }, { shape: [4] }, { shape: [4] }, stat(4), stat(4, true)],
  },
  {
    name: 'BatchNorm-15 3-D, dynamic batch',
    op: 'BatchNormalization',
    opset: 15,
    inputs: [{ shape: [2, 3, 5], dynamic: true }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-15 4-D, constant statistics, dynamic batch',
    op: 'BatchNormalization',
    opset: 15,
    attrs: { epsilon: 1e-2 },
    inputs: [{ shape: [2, 4, 3, 3], dynamic: true }, { shape: [4] }, { shape: [4] }, statConst(4), statConst(4, true)],
  },
  {
    name: 'BatchNorm-15 constant scale and B',
    op: 'BatchNormalization',
    opset: 15,
    inputs: [
      { shape: [2, 3, 4, 4] },
      { shape: [3], constant: true },
      { shape: [3], constant: true },
      statConst(3),
      statConst(3, true),
    ],
  },

  // BatchNormalization, training form: normalised with the batch's statistics (more than one output before 14,
  // training_mode = 1 from 14); the running/saved statistics outputs are present but carry no gradient.
  {
    name: 'BatchNorm-9 training form 2-D, all 5 outputs',
    op: 'BatchNormalization',
    opset: 9,
    unseeded: 4,
    inputs: [{ shape: [6, 3] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-9 training form 4-D (spatial), momentum, epsilon',
    op: 'BatchNormalization',
    opset: 9,
    unseeded: 4,
    attrs: { epsilon: 1e-3, momentum: 0.8 },
    inputs: [{ shape: [2, 3, 4, 5] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-13 training form 4-D, dynamic batch, constant statistics',
    op: 'BatchNormalization',
    opset: 13,
    unseeded: 4,
    inputs: [{ shape: [3, 2, 3, 3], dynamic: true }, { shape: [2] }, { shape: [2] }, statConst(2), statConst(2, true)],
  },
  {
    name: 'BatchNorm-14 training_mode 1 4-D, running statistics outputs',
    op: 'BatchNormalization',
    opset: 14,
    unseeded: 2,
    attrs: { training_mode: 1 },
    inputs: [{ shape: [2, 3, 4, 4] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-14 training_mode 1 2-D, dynamic batch',
    op: 'BatchNormalization',
    opset: 14,
    unseeded: 2,
    attrs: { training_mode: 1 },
    inputs: [{ shape: [5, 4], dynamic: true }, { shape: [4] }, { shape: [4] }, stat(4), stat(4, true)],
  },
  {
    name: 'BatchNorm-15 training_mode 1 3-D, dynamic batch, running statistics outputs',
    op: 'BatchNormalization',
    opset: 15,
    unseeded: 2,
    attrs: { training_mode: 1, epsilon: 1e-2 },
    inputs: [{ shape: [3, 3, 5], dynamic: true }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
  },
  {
    name: 'BatchNorm-15 training_mode 1 4-D, constant scale',
    op: 'BatchNormalization',
    opset: 15,
    unseeded: 2,
    attrs: { training_mode: 1 },
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [3], constant: true }, { shape: [3] }, stat(3), stat(3, true)],
  },

  // ReduceSum-1..12: axes attribute
  {
    name: 'ReduceSum-11 axes [1] keepdims',
    op: 'ReduceSum',
    opset: 11,
    attrs: { axes: [1] },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceSum-11 axes [0,2] no keepdims',
    op: 'ReduceSum',
    opset: 11,
    attrs: { axes: [0, 2], keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceSum-11 axes [-1] no keepdims, dynamic batch',
    op: 'ReduceSum',
    opset: 11,
    attrs: { axes: [-1], keepdims: 0 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  {
    name: 'ReduceSum-11 all axes no keepdims',
    op: 'ReduceSum',
    opset: 11,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  { name: 'ReduceSum-11 all axes keepdims', op: 'ReduceSum', opset: 11, inputs: [{ shape: [2, 3] }] },
  // ReduceSum-13: axes input, noop_with_empty_axes
  {
    name: 'ReduceSum-13 axes [1] no keepdims',
    op: 'ReduceSum',
    opset: 13,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }, axesIn([1])],
  },
  {
    name: 'ReduceSum-13 axes [-1,0] keepdims',
    op: 'ReduceSum',
    opset: 13,
    inputs: [{ shape: [2, 3, 4] }, axesIn([-1, 0])],
  },
  {
    name: 'ReduceSum-13 axes [0] no keepdims, dynamic batch',
    op: 'ReduceSum',
    opset: 13,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }, axesIn([0])],
  },
  {
    name: 'ReduceSum-13 axes omitted no keepdims',
    op: 'ReduceSum',
    opset: 13,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceSum-13 empty axes tensor (all axes)',
    op: 'ReduceSum',
    opset: 13,
    inputs: [{ shape: [2, 3] }, axesIn([])],
  },
  {
    name: 'ReduceSum-13 axes omitted, noop_with_empty_axes (identity)',
    op: 'ReduceSum',
    opset: 13,
    attrs: { noop_with_empty_axes: 1, keepdims: 0 },
    inputs: [{ shape: [2, 3] }],
  },
  {
    name: 'ReduceSum-13 empty axes tensor, noop_with_empty_axes',
    op: 'ReduceSum',
    opset: 13,
    attrs: { noop_with_empty_axes: 1 },
    inputs: [{ shape: [2, 3], dynamic: true }, axesIn([])],
  },

  // Axes computed at run time (a graph input here). The shape probe feeds int64 inputs zeros,
  // so these cases reduce axis 0 to keep the probed shapes true.
  {
    name: 'ReduceSum-13 computed axes no keepdims, dynamic batch',
    op: 'ReduceSum',
    opset: 13,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }, axesIn([0], false)],
  },
  {
    name: 'ReduceSum-13 computed axes keepdims',
    op: 'ReduceSum',
    opset: 13,
    inputs: [{ shape: [2, 3, 4] }, axesIn([0], false)],
  },

  // ReduceMean-1..17: axes attribute
  {
    name: 'ReduceMean-13 axes [1] no keepdims',
    op: 'ReduceMean',
    opset: 13,
    attrs: { axes: [1], keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceMean-13 axes [-2,-1] keepdims',
    op: 'ReduceMean',
    opset: 13,
    attrs: { axes: [-2, -1] },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceMean-11 all axes no keepdims',
    op: 'ReduceMean',
    opset: 11,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceMean-17 all axes keepdims, dynamic batch',
    op: 'ReduceMean',
    opset: 17,
    inputs: [{ shape: [2, 3], dynamic: true }],
  },
  {
    name: 'ReduceMean-13 axes [0] over the dynamic batch',
    op: 'ReduceMean',
    opset: 13,
    attrs: { axes: [0], keepdims: 0 },
    inputs: [{ shape: [3, 4], dynamic: true }],
  },
  // ReduceMean-18: axes input, noop_with_empty_axes
  {
    name: 'ReduceMean-18 axes [2,-3] no keepdims',
    op: 'ReduceMean',
    opset: 18,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }, axesIn([2, -3])],
  },
  {
    name: 'ReduceMean-18 axes [-1] keepdims, dynamic batch',
    op: 'ReduceMean',
    opset: 18,
    inputs: [{ shape: [2, 3, 4], dynamic: true }, axesIn([-1])],
  },
  {
    name: 'ReduceMean-18 axes omitted no keepdims',
    op: 'ReduceMean',
    opset: 18,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'ReduceMean-18 computed axes no keepdims, dynamic batch',
    op: 'ReduceMean',
    opset: 18,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3, 4], dynamic: true }, axesIn([0], false)],
  },
  {
    name: 'ReduceMean-18 axes omitted, noop_with_empty_axes (identity)',
    op: 'ReduceMean',
    opset: 18,
    attrs: { noop_with_empty_axes: 1 },
    inputs: [{ shape: [2, 3] }],
  },
];

describe('normalisation, reduction and softmax gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });

  it('LayerNorm rejects gradients flowing into Mean/InvStdDev', async () => {
    const c: OpCase = {
      name: 'LayerNorm 3 outputs',
      op: 'LayerNormalization',
      outputs: 3,
      inputs: [{ shape: [2, 4] }, { shape: [4] }, { shape: [4] }],
    };
    await expect(gradCheck(c)).rejects.toThrow(/Mean\/InvStdDev/);
  });

  it('BatchNorm training form rejects gradients flowing into the running statistics', async () => {
    const c: OpCase = {
      name: 'BatchNorm training, running mean seeded',
      op: 'BatchNormalization',
      opset: 15,
      outputs: 2,
      unseeded: 1,
      attrs: { training_mode: 1 },
      inputs: [{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }, stat(3), stat(3, true)],
    };
    await expect(gradCheck(c)).rejects.toThrow(/BatchNormalization node .*running\/saved statistics/);
  });

  it.each([
    [9, 1, {}, false],
    [9, 3, {}, true],
    [13, 5, {}, true],
    [14, 3, {}, false],
    [14, 1, { training_mode: { type: 'int' as const, i: 1 } }, true],
    [15, 3, { training_mode: { type: 'int' as const, i: 1 } }, true],
    [15, 3, { training_mode: { type: 'int' as const, i: 0 } }, false],
  ])('BatchNorm-%i with %i outputs, %o: training form %s', (opset, n, attrs, training) => {
    const outputs = Array.from({ length: n }, (_, k) => `y${k}`);
    const node = { name: 'bn', opType: 'BatchNormalization', domain: '', inputs: [], outputs, attrs };
    expect(isTrainingBatchNorm(node, opset)).toBe(training);
  });

  it('notes training-form BatchNormalization nodes once, by name', () => {
    expect(trainingBatchNormNote([])).toBeUndefined();
    expect(trainingBatchNormNote(['bn1'])).toMatch(/^BatchNormalization bn1 is in training form: .*batch/);
    expect(trainingBatchNormNote(['a', 'b', 'c', 'd', 'e'])).toMatch(/a, b, c and 2 more are in training form/);
  });
});
