import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrInput } from '../src/autodiff/builder.js';
import { maskBeforeUnpool, shareRecomputedPools, sumBeforeUnpool } from '../src/autodiff/artifact.js';
import { backward } from '../src/autodiff/engine.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { encodeModel } from '../src/graph/encode.js';
import type { Graph, Node } from '../src/graph/ir.js';
import { parseModel } from '../src/graph/load.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { Session } from '../src/runtime/session.js';
import { gradCheck, type Init, type OpCase } from './support/gradcheck.js';

/**
 * Pooling attributes (issue 15): ceil_mode with a partial last window, dilations, asymmetric pads,
 * count_include_pad and auto_pad, each at the opsets whose rule forms differ: MaxPool's one-hot fold
 * (overlapping windows below opset 16), MaxUnpool (disjoint windows) and ScatterElements (opset 16 on);
 * AveragePool's divisor conventions of ONNX Runtime (MLAS below opset 19 without ceil_mode, clipped otherwise).
 */
function poolCases(): OpCase[] {
  type Row = [string, Record<string, AttrInput>, number[], number[], Init?];
  // SqueezeNet's size 54 without 'distinct''s large values (float32 central differences lose digits there):
  // 0.1·((3·row + col) mod 9) differs across any 3x3 window, plus a random integer in [-3, 3].
  const squeeze: Init = (i) => 0.1 * ((3 * Math.floor(i / 54) + i) % 9) + ((i * 2654435761) % 7) - 3;
  const s2c = { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 };
  const maxPool: Row[] = [
    // SqueezeNet: 3x3 stride 2 ceil_mode over an even size; the last window holds two of its three rows/columns.
    ['SqueezeNet-like 3x3 s2 ceil_mode', s2c, [2, 3, 14, 14], [10, 12, 17]],
    ['SqueezeNet-size 54 ceil_mode', s2c, [1, 2, 54, 54], [10, 12, 17], squeeze],
    ['ceil_mode disjoint partial', { kernel_shape: [2, 3], strides: [2, 3], ceil_mode: 1 }, [2, 2, 7, 8], [10, 12, 17]],
    [
      'ceil_mode asym pads',
      { kernel_shape: [3, 2], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 },
      [2, 2, 8, 7],
      [11, 17],
    ],
    [
      'dilations asym pads',
      { kernel_shape: [3, 2], strides: [1, 2], dilations: [2, 3], pads: [2, 0, 1, 1] },
      [2, 2, 7, 9],
      [10, 12, 17],
    ],
    [
      'dilations ceil_mode 1-D',
      { kernel_shape: [3], strides: [2], dilations: [2], pads: [1, 0], ceil_mode: 1 },
      [2, 3, 10],
      [10, 17],
    ],
    [
      'ceil_mode 3-D',
      { kernel_shape: [3, 2, 2], strides: [2, 2, 1], pads: [1, 0, 0, 0, 1, 1], ceil_mode: 1 },
      [2, 2, 6, 5, 4],
      [11, 17],
    ],
    [
      'SAME_UPPER dilations',
      { kernel_shape: [2, 3], strides: [2, 3], dilations: [2, 2], auto_pad: 'SAME_UPPER' },
      [2, 2, 8, 9],
      [17],
    ],
    [
      'SAME_LOWER dilations',
      { kernel_shape: [3, 2], strides: [2, 1], dilations: [2, 2], auto_pad: 'SAME_LOWER' },
      [2, 2, 8, 7],
      [17],
    ],
    [
      'SAME_LOWER ceil_mode',
      { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER', ceil_mode: 1 },
      [2, 2, 7, 8],
      [10, 17],
    ],
    [
      'VALID ceil_mode dilations',
      { kernel_shape: [2, 3], strides: [2, 2], dilations: [2, 1], auto_pad: 'VALID', ceil_mode: 1 },
      [2, 2, 8, 9],
      [10, 12, 17],
    ],
    ['kernel wider than the input (empty Y)', { kernel_shape: [4, 2], strides: [1, 1] }, [2, 2, 3, 5], [10, 17]],
  ];
  const averagePool: Row[] = [
    ['SqueezeNet-like 3x3 s2 ceil_mode', s2c, [2, 3, 14, 14], [10, 17, 19]],
    ['ceil_mode include', { ...s2c, count_include_pad: 1 }, [2, 2, 10, 9], [10, 17, 19]],
    [
      'ceil_mode asym pads exclude',
      { kernel_shape: [3, 2], strides: [2, 3], pads: [0, 1, 1, 0], ceil_mode: 1 },
      [2, 2, 8, 9],
      [11, 19],
    ],
    [
      'ceil_mode asym pads include',
      { kernel_shape: [3, 2], strides: [2, 3], pads: [0, 1, 1, 0], ceil_mode: 1, count_include_pad: 1 },
      [2, 2, 8, 9],
      [11, 19],
    ],
    [
      'asym pads include no ceil_mode',
      { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 2, 1, 0], count_include_pad: 1 },
      [2, 2, 8, 7],
      [11, 19],
    ],
    [
      'ceil_mode 1-D include',
      { kernel_shape: [4], strides: [3], pads: [1, 2], ceil_mode: 1, count_include_pad: 1 },
      [2, 3, 10],
      [10, 19],
    ],
    [
      'ceil_mode 3-D exclude',
      { kernel_shape: [2, 3, 2], strides: [2, 2, 2], pads: [0, 1, 0, 1, 0, 1], ceil_mode: 1 },
      [2, 2, 5, 6, 5],
      [11, 19],
    ],
    [
      'SAME_UPPER ceil_mode include',
      { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_UPPER', ceil_mode: 1, count_include_pad: 1 },
      [2, 2, 7, 7],
      [10, 19],
    ],
    [
      'SAME_LOWER ceil_mode exclude',
      { kernel_shape: [3, 3], strides: [2, 1], auto_pad: 'SAME_LOWER', ceil_mode: 1 },
      [2, 2, 8, 6],
      [11, 19],
    ],
    [
      'VALID ceil_mode include',
      { kernel_shape: [3, 2], strides: [2, 3], auto_pad: 'VALID', ceil_mode: 1, count_include_pad: 1 },
      [2, 2, 8, 8],
      [10, 19],
    ],
    [
      'dilations ceil_mode exclude',
      { kernel_shape: [2, 2], strides: [2, 1], dilations: [2, 3], pads: [1, 0, 0, 1], ceil_mode: 1 },
      [2, 2, 9, 8],
      [19, 22],
    ],
    [
      'kernel wider than the input (empty Y)',
      { kernel_shape: [2, 4], strides: [1, 1], count_include_pad: 1 },
      [2, 2, 5, 3],
      [11, 19],
    ],
  ];
  const expand = (op: string, rows: Row[]): OpCase[] =>
    rows.flatMap(([name, attrs, shape, opsets, init]) =>
      opsets.map((opset) => ({
        name: `${op} ${name}, opset ${opset}`,
        op,
        opset,
        attrs,
        inputs: [
          { shape, init: init ?? (op === 'MaxPool' ? ('distinct' as const) : undefined), dynamic: shape[0] > 1 },
        ],
      })),
    );
  return [...expand('MaxPool', maxPool), ...expand('AveragePool', averagePool)];
}

const cases: OpCase[] = [
  {
    name: 'Conv 3x3 pad 1 bias',
    op: 'Conv',
    attrs: { pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 6, 6], dynamic: true }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
  },
  {
    name: 'Conv 3x3 stride 2 pad 1',
    op: 'Conv',
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 7, 8] }, { shape: [4, 3, 3, 3] }],
  },
  {
    name: 'Conv 1x1 stride 2',
    op: 'Conv',
    attrs: { strides: [2, 2], kernel_shape: [1, 1] },
    inputs: [{ shape: [2, 3, 6, 7] }, { shape: [5, 3, 1, 1] }, { shape: [5] }],
  },
  {
    name: 'Conv 7x7 stride 7 patches',
    op: 'Conv',
    attrs: { strides: [7, 7] },
    inputs: [{ shape: [2, 3, 14, 15], dynamic: true }, { shape: [6, 3, 7, 7] }, { shape: [6] }],
  },
  {
    name: 'Conv dilations asym pads',
    op: 'Conv',
    attrs: { dilations: [2, 3], pads: [1, 0, 2, 1], strides: [1, 2] },
    inputs: [{ shape: [2, 2, 9, 10] }, { shape: [3, 2, 3, 3] }, { shape: [3] }],
  },
  {
    name: 'Conv groups',
    op: 'Conv',
    attrs: { group: 2, pads: [1, 1, 1, 1], strides: [2, 1] },
    inputs: [{ shape: [2, 4, 6, 5], dynamic: true }, { shape: [6, 2, 3, 3] }, { shape: [6] }],
  },
  {
    name: 'Conv depthwise',
    op: 'Conv',
    attrs: { group: 3, pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 5, 5] }, { shape: [3, 1, 3, 3] }],
  },
  {
    name: 'Conv depthwise multiplier',
    op: 'Conv',
    attrs: { group: 3, strides: [2, 2] },
    inputs: [{ shape: [2, 3, 7, 7] }, { shape: [6, 1, 3, 3] }],
  },
  {
    name: 'Conv SAME_UPPER stride 2',
    op: 'Conv',
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
    inputs: [{ shape: [2, 2, 7, 6] }, { shape: [3, 2, 4, 3] }, { shape: [3] }],
  },
  {
    name: 'Conv SAME_LOWER',
    op: 'Conv',
    attrs: { auto_pad: 'SAME_LOWER', strides: [1, 2] },
    inputs: [{ shape: [2, 2, 6, 7] }, { shape: [3, 2, 2, 4] }],
  },
  {
    name: 'Conv VALID stride 3',
    op: 'Conv',
    attrs: { auto_pad: 'VALID', strides: [3, 3] },
    inputs: [{ shape: [2, 2, 8, 10] }, { shape: [3, 2, 3, 2] }],
  },
  {
    name: 'Conv 1-D',
    op: 'Conv',
    attrs: { pads: [2, 1], strides: [2], dilations: [2] },
    inputs: [{ shape: [3, 2, 11], dynamic: true }, { shape: [4, 2, 3] }, { shape: [4] }],
  },
  {
    name: 'Conv 3-D',
    op: 'Conv',
    attrs: { pads: [1, 0, 1, 1, 0, 0], strides: [2, 1, 2] },
    inputs: [{ shape: [2, 2, 5, 4, 5] }, { shape: [3, 2, 3, 2, 2] }, { shape: [3] }],
  },
  {
    name: 'Conv groups dilations unit stride',
    op: 'Conv',
    attrs: { group: 2, dilations: [2, 1], pads: [2, 1, 1, 0] },
    inputs: [{ shape: [2, 4, 7, 6], dynamic: true }, { shape: [6, 2, 3, 2] }, { shape: [6] }],
  },
  {
    name: 'Conv pads wider than the kernel',
    op: 'Conv',
    attrs: { pads: [2, 1, 0, 2] },
    inputs: [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 2, 1] }],
  },
  {
    name: 'Conv 3-D unit stride',
    op: 'Conv',
    attrs: { pads: [1, 1, 0, 0, 1, 1] },
    inputs: [{ shape: [2, 2, 4, 5, 3] }, { shape: [3, 2, 2, 3, 2] }],
  },
  {
    name: 'Conv opset 10',
    op: 'Conv',
    opset: 10,
    attrs: { pads: [1, 1, 1, 1], strides: [2, 1] },
    inputs: [{ shape: [2, 3, 6, 7] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
  },
  {
    name: 'Conv opset 10 unit stride groups',
    op: 'Conv',
    opset: 10,
    attrs: { pads: [1, 0, 1, 2], group: 3 },
    inputs: [{ shape: [2, 3, 5, 6] }, { shape: [6, 1, 3, 3] }],
  },
  {
    name: 'Conv 1x1 stride 3 reading the end padding',
    op: 'Conv',
    attrs: { strides: [3, 2], pads: [0, 0, 1, 1] },
    inputs: [{ shape: [2, 3, 6, 5] }, { shape: [2, 3, 1, 1] }, { shape: [2] }],
  },
  // 128 × output positions ≤ C/group × taps: the weight gradient's GEMM takes gy first (resnet18's layer4);
  // two positions, so that their order against the examples' counts
  {
    name: 'Conv two output positions, gy-first weight GEMM',
    op: 'Conv',
    inputs: [{ shape: [2, 29, 3, 4], dynamic: true }, { shape: [3, 29, 3, 3] }, { shape: [3] }],
  },
  {
    name: 'Conv groups reading the padding, gy-first weight GEMM',
    op: 'Conv',
    attrs: { group: 2, pads: [1, 0, 0, 0] },
    inputs: [{ shape: [2, 58, 2, 4] }, { shape: [4, 29, 3, 3] }],
  },
  {
    name: 'Conv opset 9',
    op: 'Conv',
    opset: 9,
    attrs: { pads: [1, 1, 1, 1], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 6, 7] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
  },
  {
    name: 'ConvTranspose bias dynamic batch',
    op: 'ConvTranspose',
    inputs: [{ shape: [2, 3, 4, 5], dynamic: true }, { shape: [3, 2, 3, 3] }, { shape: [2] }],
  },
  {
    name: 'ConvTranspose stride pads output_padding',
    op: 'ConvTranspose',
    attrs: { strides: [2, 3], pads: [1, 0, 1, 2], output_padding: [1, 2] },
    inputs: [{ shape: [2, 3, 4, 4] }, { shape: [3, 2, 3, 4] }, { shape: [2] }],
  },
  {
    name: 'ConvTranspose dilations',
    op: 'ConvTranspose',
    attrs: { strides: [2, 1], dilations: [2, 3], pads: [1, 2, 0, 1] },
    inputs: [{ shape: [2, 2, 4, 5] }, { shape: [2, 3, 3, 3] }],
  },
  {
    name: 'ConvTranspose groups',
    op: 'ConvTranspose',
    attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 4, 3, 4], dynamic: true }, { shape: [4, 3, 3, 3] }, { shape: [6] }],
  },
  {
    name: 'ConvTranspose depthwise',
    op: 'ConvTranspose',
    attrs: { group: 3, strides: [2, 2] },
    inputs: [{ shape: [2, 3, 3, 3] }, { shape: [3, 1, 2, 2] }],
  },
  {
    name: 'ConvTranspose output_shape',
    op: 'ConvTranspose',
    attrs: { strides: [2, 2], output_shape: [8, 9] },
    inputs: [{ shape: [2, 2, 4, 4] }, { shape: [2, 3, 3, 3] }],
  },
  {
    name: 'ConvTranspose output_shape SAME_UPPER',
    op: 'ConvTranspose',
    attrs: { strides: [2, 2], output_shape: [7, 8], auto_pad: 'SAME_UPPER' },
    inputs: [{ shape: [2, 2, 4, 4] }, { shape: [2, 3, 3, 3] }],
  },
  {
    name: 'ConvTranspose SAME_UPPER',
    op: 'ConvTranspose',
    attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' },
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 3, 3, 4] }],
  },
  {
    name: 'ConvTranspose SAME_LOWER',
    op: 'ConvTranspose',
    attrs: { strides: [2, 3], auto_pad: 'SAME_LOWER' },
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 3, 3, 4] }],
  },
  {
    name: 'ConvTranspose VALID',
    op: 'ConvTranspose',
    attrs: { strides: [2, 2], auto_pad: 'VALID' },
    inputs: [{ shape: [2, 2, 3, 3] }, { shape: [2, 3, 3, 3] }],
  },
  {
    name: 'ConvTranspose 1-D',
    op: 'ConvTranspose',
    attrs: { strides: [3], pads: [1, 2], dilations: [2], output_padding: [1] },
    inputs: [{ shape: [2, 2, 5], dynamic: true }, { shape: [2, 3, 3] }, { shape: [3] }],
  },
  {
    name: 'ConvTranspose 3-D',
    op: 'ConvTranspose',
    attrs: { strides: [2, 1, 2], pads: [1, 0, 0, 0, 1, 1] },
    inputs: [{ shape: [2, 2, 3, 3, 3] }, { shape: [2, 2, 3, 2, 3] }, { shape: [2] }],
  },
  {
    name: 'ConvTranspose opset 9',
    op: 'ConvTranspose',
    opset: 9,
    attrs: { strides: [2, 2], pads: [1, 0, 0, 1], group: 2 },
    inputs: [{ shape: [2, 4, 3, 4] }, { shape: [4, 2, 3, 3] }, { shape: [4] }],
  },
  {
    name: 'ConvTranspose output_shape SAME_LOWER',
    op: 'ConvTranspose',
    attrs: { strides: [2, 2], output_shape: [8, 6], auto_pad: 'SAME_LOWER' },
    inputs: [{ shape: [2, 2, 4, 3] }, { shape: [2, 3, 3, 3] }],
  },
  {
    name: 'MaxPool 3x3 s2 p1 overlapping',
    op: 'MaxPool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 7, 8], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool 2x2 s2 exact tiling',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 6, 8], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool 1-D tiling',
    op: 'MaxPool',
    attrs: { kernel_shape: [3], strides: [3] },
    inputs: [{ shape: [2, 3, 9], init: 'distinct' }],
  },
  {
    name: 'MaxPool 3-D tiling',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 1, 3], strides: [2, 1, 3] },
    inputs: [{ shape: [2, 2, 4, 3, 6], init: 'distinct' }],
  },
  {
    name: 'MaxPool opset 8 tiling',
    op: 'MaxPool',
    opset: 8,
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 4, 6], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool 2x2 s2',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 6, 7], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool ceil_mode dilations',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 3], strides: [2, 1], dilations: [2, 1], pads: [1, 0, 0, 1], ceil_mode: 1 },
    inputs: [{ shape: [2, 2, 8, 7], init: 'distinct' }],
  },
  {
    name: 'MaxPool storage_order 1',
    op: 'MaxPool',
    attrs: { kernel_shape: [3, 2], strides: [1, 2], storage_order: 1 },
    inputs: [{ shape: [2, 2, 5, 6], init: 'distinct' }],
  },
  {
    name: 'MaxPool SAME_UPPER',
    op: 'MaxPool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    inputs: [{ shape: [2, 2, 6, 7], init: 'distinct' }],
  },
  {
    name: 'MaxPool SAME_LOWER',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' },
    inputs: [{ shape: [2, 2, 6, 7], init: 'distinct' }],
  },
  {
    name: 'MaxPool VALID',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 2], strides: [3, 3], auto_pad: 'VALID' },
    inputs: [{ shape: [2, 2, 8, 7], init: 'distinct' }],
  },
  {
    name: 'MaxPool 1-D',
    op: 'MaxPool',
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] },
    inputs: [{ shape: [2, 3, 9], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool 3-D',
    op: 'MaxPool',
    attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [0, 1, 0, 1, 1, 0] },
    inputs: [{ shape: [2, 2, 5, 6, 4], init: 'distinct' }],
  },
  {
    name: 'MaxPool ceil_mode window past the input',
    op: 'MaxPool',
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1], ceil_mode: 1 },
    inputs: [{ shape: [2, 2, 3, 5], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool opset 12 non-overlapping ceil_mode',
    op: 'MaxPool',
    opset: 12,
    attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 },
    inputs: [{ shape: [2, 3, 7, 5], init: 'distinct' }],
  },
  {
    name: 'MaxPool opset 12 overlapping',
    op: 'MaxPool',
    opset: 12,
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 7, 8], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool opset 11 SAME_LOWER overlapping',
    op: 'MaxPool',
    opset: 11,
    attrs: { kernel_shape: [3, 2], strides: [1, 1], auto_pad: 'SAME_LOWER' },
    inputs: [{ shape: [2, 2, 5, 6], init: 'distinct' }],
  },
  {
    name: 'MaxPool opset 10 dilations ceil_mode',
    op: 'MaxPool',
    opset: 10,
    attrs: { kernel_shape: [2, 2], strides: [2, 1], dilations: [1, 2], pads: [0, 1, 1, 0], ceil_mode: 1 },
    inputs: [{ shape: [2, 2, 7, 6], init: 'distinct' }],
  },
  {
    name: 'MaxPool opset 8 non-overlapping',
    op: 'MaxPool',
    opset: 8,
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 6, 7], init: 'distinct', dynamic: true }],
  },
  {
    name: 'MaxPool opset 8 overlapping pads',
    op: 'MaxPool',
    opset: 8,
    attrs: { kernel_shape: [3, 3], strides: [1, 2], pads: [1, 2, 2, 1] },
    inputs: [{ shape: [2, 2, 5, 6], init: 'distinct' }],
  },
  {
    name: 'MaxPool opset 8 3-D',
    op: 'MaxPool',
    opset: 8,
    attrs: { kernel_shape: [2, 2, 3], strides: [1, 2, 2], pads: [1, 0, 1, 0, 1, 1] },
    inputs: [{ shape: [2, 2, 4, 5, 6], init: 'distinct' }],
  },
  {
    name: 'AveragePool 2x2 s2',
    op: 'AveragePool',
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [{ shape: [2, 3, 6, 7], dynamic: true }],
  },
  {
    name: 'AveragePool 3x3 s2 pads exclude',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    inputs: [{ shape: [2, 3, 7, 8], dynamic: true }],
  },
  {
    name: 'AveragePool 3x3 s2 pads include',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 },
    inputs: [{ shape: [2, 3, 7, 8] }],
  },
  {
    name: 'AveragePool asym pads include',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 2], strides: [1, 2], pads: [2, 0, 1, 1], count_include_pad: 1 },
    inputs: [{ shape: [2, 2, 5, 6] }],
  },
  {
    name: 'AveragePool ceil_mode exclude',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    inputs: [{ shape: [2, 2, 8, 7] }],
  },
  {
    name: 'AveragePool ceil_mode pads include',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 0], ceil_mode: 1, count_include_pad: 1 },
    inputs: [{ shape: [2, 2, 8, 7] }],
  },
  {
    name: 'AveragePool SAME_UPPER include',
    op: 'AveragePool',
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER', count_include_pad: 1 },
    inputs: [{ shape: [2, 2, 6, 7] }],
  },
  {
    name: 'AveragePool SAME_LOWER exclude',
    op: 'AveragePool',
    attrs: { kernel_shape: [2, 3], strides: [1, 2], auto_pad: 'SAME_LOWER' },
    inputs: [{ shape: [2, 2, 6, 7] }],
  },
  {
    name: 'AveragePool VALID',
    op: 'AveragePool',
    attrs: { kernel_shape: [2, 2], strides: [3, 3], auto_pad: 'VALID' },
    inputs: [{ shape: [2, 2, 8, 7] }],
  },
  {
    name: 'AveragePool 1-D',
    op: 'AveragePool',
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: 1 },
    inputs: [{ shape: [2, 3, 9], dynamic: true }],
  },
  {
    name: 'AveragePool 3-D',
    op: 'AveragePool',
    attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [0, 1, 0, 1, 1, 0] },
    inputs: [{ shape: [2, 2, 5, 6, 4] }],
  },
  {
    name: 'AveragePool opset 19 dilations ceil_mode include',
    op: 'AveragePool',
    opset: 19,
    attrs: {
      kernel_shape: [2, 3],
      strides: [2, 1],
      dilations: [2, 2],
      pads: [1, 1, 1, 0],
      ceil_mode: 1,
      count_include_pad: 1,
    },
    inputs: [{ shape: [2, 2, 8, 7] }],
  },
  {
    name: 'AveragePool opset 19 dilations exclude',
    op: 'AveragePool',
    opset: 19,
    attrs: { kernel_shape: [3, 2], strides: [1, 2], dilations: [2, 3], pads: [2, 1, 1, 1] },
    inputs: [{ shape: [2, 2, 7, 8] }],
  },
  {
    name: 'AveragePool opset 10 ceil_mode',
    op: 'AveragePool',
    opset: 10,
    attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, pads: [1, 0, 0, 1], count_include_pad: 1 },
    inputs: [{ shape: [2, 2, 7, 5] }],
  },
  {
    name: 'AveragePool opset 7',
    op: 'AveragePool',
    opset: 7,
    attrs: { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1], count_include_pad: 1 },
    inputs: [{ shape: [2, 2, 6, 5] }],
  },
  ...poolCases(),
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [{ shape: [2, 3, 4, 5], dynamic: true }] },
  { name: 'GlobalAveragePool 1-D', op: 'GlobalAveragePool', inputs: [{ shape: [2, 3, 7] }] },
  { name: 'GlobalAveragePool 3-D opset 8', op: 'GlobalAveragePool', opset: 8, inputs: [{ shape: [2, 3, 2, 3, 4] }] },
];

describe('convolution and pooling gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });
});

const rejected: (OpCase & { error: RegExp })[] = [
  {
    name: 'Conv SAME_UPPER cropping the input',
    op: 'Conv',
    attrs: { auto_pad: 'SAME_UPPER', strides: [3, 3] },
    inputs: [{ shape: [1, 2, 6, 6] }, { shape: [2, 2, 1, 1] }],
    error: /crops the input/,
  },
  // ORT drops the last ceil_mode window (it would start in the end padding); ONNX shape inference keeps it.
  {
    name: 'AveragePool ceil_mode window past the input',
    op: 'AveragePool',
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 2], ceil_mode: 1 },
    inputs: [{ shape: [1, 2, 3] }],
    error: /may disagree on the output size/,
  },
  {
    name: 'MaxPool opset 12 overlapping ceil_mode window past the input',
    op: 'MaxPool',
    opset: 12,
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 2], ceil_mode: 1 },
    inputs: [{ shape: [1, 2, 3], init: 'distinct' }],
    error: /may disagree on the output size/,
  },
  {
    name: 'MaxPool opset 10 2-D ceil_mode window past the input',
    op: 'MaxPool',
    opset: 10,
    attrs: { kernel_shape: [1, 4], strides: [2, 3], ceil_mode: 1 },
    inputs: [{ shape: [2, 2, 6, 5], init: 'distinct' }],
    error: /may disagree on the output size/,
  },
  {
    name: 'AveragePool opset 19 SAME_LOWER dilations (ONNX and ORT output sizes differ)',
    op: 'AveragePool',
    opset: 19,
    attrs: { kernel_shape: [3], strides: [2], dilations: [2], auto_pad: 'SAME_LOWER', count_include_pad: 1 },
    inputs: [{ shape: [1, 2, 7] }],
    error: /may disagree on the output size/,
  },
  {
    name: 'MaxPool opset 12 overlapping SAME_UPPER dilations (ONNX and ORT output sizes differ)',
    op: 'MaxPool',
    opset: 12,
    attrs: { kernel_shape: [3, 2], strides: [2, 1], dilations: [2, 2], auto_pad: 'SAME_UPPER' },
    inputs: [{ shape: [2, 2, 8, 7], init: 'distinct' }],
    error: /may disagree on the output size/,
  },
  // A kernel smaller than the stride gives ORT a negative end pad: it crops taps of a dilated window.
  {
    name: 'AveragePool opset 19 SAME_UPPER dilated window past the cropped end',
    op: 'AveragePool',
    opset: 19,
    attrs: { kernel_shape: [2], strides: [3], dilations: [2], auto_pad: 'SAME_UPPER', count_include_pad: 1 },
    inputs: [{ shape: [1, 2, 3] }],
    error: /auto_pad SAME_UPPER with dilations: a window runs past the input end that ONNX Runtime crops/,
  },
  {
    name: 'AveragePool opset 19 SAME_UPPER dilated window past the cropped end, 2-D exclude',
    op: 'AveragePool',
    opset: 19,
    attrs: { kernel_shape: [2, 2], strides: [3, 1], dilations: [2, 1], auto_pad: 'SAME_UPPER' },
    inputs: [{ shape: [1, 2, 3, 4] }],
    error: /auto_pad SAME_UPPER with dilations/,
  },
];

describe('convolution and pooling forms without a gradient', () => {
  it.each(rejected)('$name', async (c) => {
    await expect(gradCheck(c)).rejects.toThrow(c.error);
  });
});

// Ties (as after a ReLU) have no numeric gradient: check that dY lands exactly where MaxPool's own
// Indices point, each backward form against a scatter of dY done here.
const tied: { name: string; opset: number; shape: number[]; attrs: Record<string, AttrInput> }[] = [
  {
    name: 'MaxUnpool form, a column past the last window',
    opset: 17,
    shape: [2, 3, 6, 7],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
  },
  {
    name: 'MaxUnpool form, 3-D',
    opset: 13,
    shape: [1, 2, 4, 5, 4],
    attrs: { kernel_shape: [2, 2, 2], strides: [2, 2, 2] },
  },
  { name: 'MaxUnpool form, 1-D, opset 11', opset: 11, shape: [2, 3, 9], attrs: { kernel_shape: [3], strides: [3] } },
  {
    name: 'MaxUnpool form (disjoint windows with a gap)',
    opset: 17,
    shape: [2, 3, 6, 7],
    attrs: { kernel_shape: [2, 2], strides: [3, 3] },
  },
  {
    name: 'ScatterElements add form',
    opset: 17,
    shape: [2, 3, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1] },
  },
  {
    name: 'one-hot fold form, opset 12',
    opset: 12,
    shape: [2, 3, 7, 6],
    attrs: { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1] },
  },
  {
    name: 'one-hot fold form, opset 8',
    opset: 8,
    shape: [2, 2, 4, 6],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
  },
];

/** dX of a one-input graph from x to y, as the engine builds it: the parsed model, its shapes and the builder. */
async function backwardOf(graph: Graph, opset: number, name: string) {
  const opsets = new Map([['', opset]]);
  const model = parseModel(encodeModel({ opsetImports: opsets, graph }), name);
  const shapes = await probeShapes(model);
  const b = new GraphBuilder(opset);
  const dx = backward({
    graph: model.graph,
    opsets,
    shapes,
    registry: defaultRegistry(),
    wrt: ['x'],
    seeds: new Map([['y', 'dy']]),
    b,
  }).get('x')!;
  return { opsets, model, shapes, b, dx };
}

describe('MaxPool gradient with tied maxima', () => {
  it.each(tied)('$name', async ({ opset, shape, attrs }) => {
    const b0 = new GraphBuilder(opset, 'case');
    b0.emit('MaxPool', ['x'], attrs);
    b0.nodes[0].outputs = ['y'];
    const graph: Graph = {
      name: 'tied',
      nodes: b0.nodes,
      inputs: [{ name: 'x', elemType: 1, shape }],
      outputs: [{ name: 'y', elemType: 0, shape: null }],
      initializers: new Map(),
      valueInfo: new Map(),
    };
    const { opsets, model, shapes, b, dx } = await backwardOf(graph, opset, 'tied.onnx');
    const ys = shapes.get('y')!.dims as number[];
    // as the artifact builds it: the forward MaxPool gives the Indices the rule's recomputation would
    const shared = shareRecomputedPools(model.graph.nodes, b.nodes);
    expect(shared.forward[0].outputs).toHaveLength(2);
    expect(shared.backward.filter((n) => n.opType === 'MaxPool')).toHaveLength(0);
    const indices = shared.forward[0].outputs[1];
    const full: Graph = {
      ...model.graph,
      nodes: [...shared.forward, ...shared.backward],
      inputs: [...model.graph.inputs, { name: 'dy', elemType: 1, shape: ys }],
      outputs: [dx, indices].map((name) => ({ name, elemType: 0, shape: null })),
      initializers: b.initializers,
    };
    const session = await Session.create(encodeModel({ opsetImports: opsets, graph: full }), { threads: 1 });
    try {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = Float32Array.from({ length: n }, (_, i) => [0, 0, 1, 0, 2, 1, 0][((i * 7) % 11) % 7]);
      const dy = Float32Array.from({ length: ys.reduce((p, q) => p * q, 1) }, (_, i) => 1 + (i % 5));
      const out = await session.run({ x: { data: x, dims: shape }, dy: { data: dy, dims: ys } });
      const expected = new Float32Array(n);
      (out[indices].data as BigInt64Array).forEach((at, i) => (expected[Number(at)] += dy[i]));
      expect(Array.from(out[dx].data as Float32Array)).toEqual(Array.from(expected));
    } finally {
      await session.release();
    }
  });
});

// Central differences lose digits at SqueezeNet's sizes (float32 sums of thousands of terms): here dX is
// compared with J^T·dY, J read off ONNX Runtime's own forward on one-element bumps of X (a batch of them).
// MaxPool's J entries are 0 or 1 (rounded); AveragePool's are 1/divisor, exact (it is linear).
const jacobianCases: { name: string; op: string; opset: number; attrs: Record<string, AttrInput>; size: number }[] = [
  ...[10, 12, 17].map((opset) => ({
    name: `MaxPool SqueezeNet 3x3 s2 ceil_mode 54 → 27, opset ${opset}`,
    op: 'MaxPool',
    opset,
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    size: 54,
  })),
  ...[10, 19].flatMap((opset) =>
    [0, 1].map((include) => ({
      name: `AveragePool 3x3 s2 ceil_mode pads 1 count_include_pad ${include} 21 → 11, opset ${opset}`,
      op: 'AveragePool',
      opset,
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1, count_include_pad: include },
      size: 21,
    })),
  ),
];

describe('pooling gradients against the Jacobian of ONNX Runtime forward', () => {
  it.each(jacobianCases)('$name', async ({ op, opset, attrs, size }) => {
    const shape = [1, 1, size, size];
    const m = size * size;
    const b0 = new GraphBuilder(opset, 'case');
    b0.emit(op, ['x'], attrs);
    b0.nodes[0].outputs = ['y'];
    const graph: Graph = {
      name: 'jacobian',
      nodes: b0.nodes,
      inputs: [{ name: 'x', elemType: 1, shape: ['N', 1, size, size] }],
      outputs: [{ name: 'y', elemType: 0, shape: null }],
      initializers: new Map(),
      valueInfo: new Map(),
    };
    const { opsets, model, shapes, b, dx } = await backwardOf(graph, opset, 'jacobian.onnx');
    const full: Graph = {
      ...model.graph,
      nodes: [...model.graph.nodes, ...b.nodes],
      inputs: [...model.graph.inputs, { name: 'dy', elemType: 1, shape: shapes.get('y')!.dims }],
      outputs: [{ name: dx, elemType: 0, shape: null }],
      initializers: b.initializers,
    };
    const grad = await Session.create(encodeModel({ opsetImports: opsets, graph: full }), { threads: 1 });
    const forward = await Session.create(model.bytes, { threads: 1 });
    try {
      // Distinct values 0.1 apart in every window (MaxPool's bump of 0.05 never changes a pick).
      const x = Float32Array.from({ length: m }, (_, i) => 0.1 * ((3 * Math.floor(i / size) + i) % 9) + ((i * 5) % 7));
      const y = (await forward.run({ x: { data: x, dims: shape } })).y;
      const dy = Float32Array.from({ length: y.data.length }, (_, i) => Math.sin(1.7 * i) + 0.2);
      const g = (await grad.run({ x: { data: x, dims: shape }, dy: { data: dy, dims: y.dims } }))[dx]
        .data as Float32Array;
      const h = op === 'MaxPool' ? 0.05 : 1;
      const bumped = new Float32Array(m * m);
      for (let i = 0; i < m; i++) {
        if (op === 'MaxPool') bumped.set(x, i * m);
        bumped[i * m + i] += h;
      }
      const yb = (await forward.run({ x: { data: bumped, dims: [m, 1, size, size] } })).y.data as Float32Array;
      const n = y.data.length;
      let [err, scale] = [0, 0];
      for (let i = 0; i < m; i++) {
        let ref = 0;
        for (let o = 0; o < n; o++) {
          const d = op === 'MaxPool' ? Math.round((yb[i * n + o] - (y.data as Float32Array)[o]) / h) : yb[i * n + o];
          ref += d * dy[o];
        }
        err = Math.max(err, Math.abs(ref - g[i]));
        scale = Math.max(scale, Math.abs(ref));
      }
      expect(err / scale).toBeLessThan(1e-5);
    } finally {
      await grad.release();
      await forward.release();
    }
  });
});

describe('the forward MaxPool shared with its recomputation (artifact.ts shareRecomputedPools)', () => {
  const node = (name: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInput>): Node => {
    const b = new GraphBuilder(17, name);
    b.emit('MaxPool', inputs, attrs, outputs.length);
    return { ...b.nodes[0], outputs };
  };
  const k2 = { kernel_shape: [2, 2], strides: [2, 2] };

  it('gives the forward node the Indices output and drops the recomputation, whatever the attribute order', () => {
    const fwd = [node('f', ['x'], ['y'], { strides: [2, 2], kernel_shape: [2, 2], storage_order: 0 })];
    const bwd = [node('r', ['x'], ['r/y', 'r/i'], k2), { ...node('u', ['r/y'], ['u'], {}), opType: 'Relu' }];
    const { forward, backward } = shareRecomputedPools(fwd, bwd);
    expect(forward[0].outputs).toEqual(['y', 'r/i']);
    expect(backward).toHaveLength(1);
    expect(backward[0].inputs).toEqual(['y']);
  });

  it.each([
    ['column-major storage', { ...k2, storage_order: 1 }, ['y'], ['x']],
    ['other padding', { ...k2, pads: [1, 1, 0, 0] }, ['y'], ['x']],
    ['its own Indices output', k2, ['y', 'i'], ['x']],
    ['another input', k2, ['y'], ['z']],
  ])('keeps both where the forward node has %s', (_, attrs, outputs, inputs) => {
    const fwd = [node('f', inputs, outputs, attrs)];
    const bwd = [node('r', ['x'], ['r/y', 'r/i'], k2)];
    const { forward, backward } = shareRecomputedPools(fwd, bwd);
    expect(forward[0].outputs).toEqual(outputs);
    expect(backward).toHaveLength(1);
  });
});

/** ReLU of `input`, then a disjoint 2x2 MaxPool of it into y. */
function reluPool(input: string): Node[] {
  const pool = { kernel_shape: { type: 'ints', ints: [2, 2] }, strides: { type: 'ints', ints: [2, 2] } } as const;
  return [
    { name: 'relu', opType: 'Relu', domain: '', inputs: [input], outputs: ['r'], attrs: {} },
    { name: 'pool', opType: 'MaxPool', domain: '', inputs: ['r'], outputs: ['y'], attrs: pool },
  ];
}

describe("ReLU's mask moved through a disjoint MaxPool's gradient (artifact.ts maskBeforeUnpool)", () => {
  it('gives the same dX bit for bit (ties, zeros, negative inputs), with the mask on the pooled tensor', async () => {
    const shape = [2, 3, 4, 6];
    const graph: Graph = {
      name: 'relu-pool',
      nodes: [...reluPool('x')],
      inputs: [{ name: 'x', elemType: 1, shape }],
      outputs: [{ name: 'y', elemType: 0, shape: null }],
      initializers: new Map(),
      valueInfo: new Map(),
    };
    const { opsets, model, b, dx } = await backwardOf(graph, 17, 'relu-pool.onnx');
    const shared = shareRecomputedPools(model.graph.nodes, b.nodes);
    const fused = maskBeforeUnpool(shared.forward, shared.backward, b.initializers, new Set([dx]));
    // the comparison now reads the pooled output
    expect(fused.filter((n) => n.opType === 'Greater').map((n) => n.inputs[0])).toEqual(['y']);
    const n = shape.reduce((p, q) => p * q, 1);
    const x = Float32Array.from({ length: n }, (_, i) => [0, -1, 2, 2, 0, -3, 1][((i * 5) % 13) % 7]);
    const dy = Float32Array.from({ length: n / 4 }, (_, i) => 1 + (i % 3));
    const dxOf = async (nodes: Node[]) => {
      const full: Graph = {
        ...model.graph,
        nodes,
        inputs: [...model.graph.inputs, { name: 'dy', elemType: 1, shape: [2, 3, 2, 3] }],
        outputs: [{ name: dx, elemType: 0, shape: null }],
        initializers: b.initializers,
      };
      const session = await Session.create(encodeModel({ opsetImports: opsets, graph: full }), { threads: 1 });
      try {
        const out = await session.run({ x: { data: x, dims: shape }, dy: { data: dy, dims: [2, 3, 2, 3] } });
        return Array.from(out[dx].data as Float32Array);
      } finally {
        await session.release();
      }
    };
    const plain = await dxOf([...model.graph.nodes, ...b.nodes]);
    expect(await dxOf([...shared.forward, ...fused])).toEqual(plain);
    // and it is the gradient: dY at each window's first maximum where it is positive
    const want = new Float32Array(n);
    for (let w = 0; w < n / 4; w++) {
      const [nc, oh, ow] = [Math.floor(w / 6), Math.floor((w % 6) / 3), w % 3];
      const at = [0, 1, 2, 3].map((k) => nc * 24 + (oh * 2 + (k >> 1)) * 6 + ow * 2 + (k & 1));
      const first = at.reduce((best, p) => (Math.max(x[p], 0) > Math.max(x[best], 0) ? p : best), at[0]);
      if (x[first] > 0) want[first] = dy[w];
    }
    expect(plain).toEqual(Array.from(want));
  });
});

describe("a Conv's bias gradient summed before MaxUnpool spreads it (artifact.ts sumBeforeUnpool)", () => {
  it('conv → ReLU → 2x2 MaxPool: the bias sum reads the pooled gradient, with the same dW and dB', async () => {
    const shape = [2, 1, 4, 6];
    const tensor = (name: string, dims: number[], values: number[]) => ({
      name,
      dataType: 1,
      dims,
      bytes: new Uint8Array(Float32Array.from(values).buffer),
      location: { kind: 'typed' as const },
    });
    const graph: Graph = {
      name: 'conv-pool',
      nodes: [
        {
          name: 'conv',
          opType: 'Conv',
          domain: '',
          inputs: ['x', 'w', 'bias'],
          outputs: ['c'],
          attrs: { pads: { type: 'ints', ints: [1, 1, 1, 1] } },
        },
        ...reluPool('c'),
      ],
      inputs: [{ name: 'x', elemType: 1, shape }],
      outputs: [{ name: 'y', elemType: 0, shape: null }],
      initializers: new Map([
        [
          'w',
          tensor(
            'w',
            [3, 1, 3, 3],
            Array.from({ length: 27 }, (_, i) => ((i * 7) % 5) - 2),
          ),
        ],
        ['bias', tensor('bias', [3], [1, -1, 0])],
      ]),
      valueInfo: new Map(),
    };
    const opsets = new Map([['', 17]]);
    const model = parseModel(encodeModel({ opsetImports: opsets, graph }), 'conv-pool.onnx');
    const b = new GraphBuilder(17);
    const grads = backward({
      graph: model.graph,
      opsets,
      shapes: await probeShapes(model),
      registry: defaultRegistry(),
      wrt: ['w', 'bias'],
      seeds: new Map([['y', 'dy']]),
      b,
    });
    const [dw, db] = [grads.get('w')!, grads.get('bias')!];
    const shared = shareRecomputedPools(model.graph.nodes, b.nodes);
    const masked = maskBeforeUnpool(shared.forward, shared.backward, b.initializers, new Set([dw, db]));
    const summed = sumBeforeUnpool(masked, b.initializers);
    const producer = new Map(summed.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const sum = summed.find((n) => n.outputs[0] === db)!;
    expect(sum.opType).toBe('ReduceSum');
    expect(producer.get(sum.inputs[0])?.opType).toBe('Mul'); // dY masked at the pooled size
    expect(summed.filter((n) => n.opType === 'MaxUnpool')).toHaveLength(1); // kept for dW
    const n = shape.reduce((p, q) => p * q, 1);
    // small integers: every sum is exact in float32, whatever its order, so the values match bit for bit
    const x = Float32Array.from({ length: n }, (_, i) => [0, -1, 2, 2, 0, -3, 1][((i * 5) % 13) % 7]);
    const dy = Float32Array.from({ length: 36 }, (_, i) => 1 + (i % 3));
    const run = async (nodes: Node[]) => {
      const full: Graph = {
        ...model.graph,
        nodes,
        inputs: [...model.graph.inputs, { name: 'dy', elemType: 1, shape: [2, 3, 2, 3] }],
        outputs: [dw, db].map((name) => ({ name, elemType: 0, shape: null })),
        initializers: new Map([...model.graph.initializers, ...b.initializers]),
      };
      const session = await Session.create(encodeModel({ opsetImports: opsets, graph: full }), { threads: 1 });
      try {
        const out = await session.run({ x: { data: x, dims: shape }, dy: { data: dy, dims: [2, 3, 2, 3] } });
        return [dw, db].map((v) => Array.from(out[v].data as Float32Array));
      } finally {
        await session.release();
      }
    };
    const plain = await run([...model.graph.nodes, ...b.nodes]);
    expect(await run([...shared.forward, ...summed])).toEqual(plain);
    expect(plain[1].some((v) => v !== 0)).toBe(true);
  });

  it('only a sum over every spatial axis, not a no-op one, moves', () => {
    const b = new GraphBuilder(17);
    const unpool: Node = {
      name: 'unpool',
      opType: 'MaxUnpool',
      domain: '',
      inputs: ['g', 'i', 's'],
      outputs: ['u'],
      attrs: { kernel_shape: { type: 'ints', ints: [2, 2] }, strides: { type: 'ints', ints: [2, 2] } },
    };
    const sum = (axes: number[], noop = 0): Node => ({
      name: 'sum',
      opType: 'ReduceSum',
      domain: '',
      inputs: ['u', b.i64(axes)],
      outputs: ['r'],
      attrs: noop ? { noop_with_empty_axes: { type: 'int', i: noop } } : {},
    });
    const readBy = (s: Node) => sumBeforeUnpool([unpool, s], b.initializers)[1].inputs[0];
    expect(readBy(sum([0, 2, 3]))).toBe('g');
    expect(readBy(sum([-1, 0, -2]))).toBe('g');
    expect(readBy(sum([2, 3]))).toBe('g');
    expect(readBy(sum([0, 2]))).toBe('u');
    expect(readBy(sum([0, 1]))).toBe('u');
    expect(readBy(sum([0, 2, 3], 1))).toBe('u');
  });
});
