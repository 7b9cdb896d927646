import { describe, expect, it } from 'vitest';
import { gradCheck, type CaseInput, type Init, type OpCase } from './support/gradcheck.js';
import { encodeModel } from '../src/graph/encode.js';
import { parseModel } from '../src/graph/load.js';
import { DataType, type Graph, type Tensor, type ValueInfo } from '../src/graph/ir.js';
import { GraphBuilder, type AttrInput } from '../src/autodiff/builder.js';
import { backward } from '../src/autodiff/engine.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { Session, type Feeds } from '../src/runtime/session.js';

const f = (shape: number[], more: Partial<CaseInput> = {}): CaseInput => ({ shape, ...more });
const i64 = (values: number[], shape: number[] = [values.length], constant = true): CaseInput => ({
  shape,
  type: 'int64',
  values,
  constant,
});

/** Nonzero values of magnitude 0.7-1.4, so that products of many stay near 1. */
const nearOne: Init = (i) => (i % 3 === 1 ? -1 : 1) * (0.7 + ((i * 7) % 11) / 15);

/**
 * Every form of a Reduce* op: axes as an attribute (opsets 1-17: checked at 11, 13, 17) and as input 1
 * (18+), keepdims 0 and 1, negative and all axes, noop_with_empty_axes, a dynamic batch, and (18)
 * axes computed at run time: the shape probe feeds int64 inputs zeros, so those reduce axis 0.
 */
function reduceCases(op: string, init: Init, extra: Partial<OpCase> = {}): OpCase[] {
  const x = (more: Partial<CaseInput> = {}) => f([2, 3, 4], { init, ...more });
  const cases: OpCase[] = [
    { name: `${op}-13 axes [1] keepdims`, op, opset: 13, attrs: { axes: [1] }, inputs: [x()] },
    { name: `${op}-11 axes [0,2] no keepdims`, op, opset: 11, attrs: { axes: [0, 2], keepdims: 0 }, inputs: [x()] },
    {
      name: `${op}-17 axes [-1] no keepdims, dynamic batch`,
      op,
      opset: 17,
      attrs: { axes: [-1], keepdims: 0 },
      inputs: [x({ dynamic: true })],
    },
    { name: `${op}-13 axes [-2,0] keepdims`, op, opset: 13, attrs: { axes: [-2, 0] }, inputs: [x()] },
    { name: `${op}-11 all axes no keepdims`, op, opset: 11, attrs: { keepdims: 0 }, inputs: [x()] },
    { name: `${op}-17 all axes keepdims`, op, opset: 17, inputs: [x()] },
    { name: `${op}-18 axes [1] no keepdims`, op, opset: 18, attrs: { keepdims: 0 }, inputs: [x(), i64([1])] },
    { name: `${op}-18 axes [-1,0] keepdims`, op, opset: 18, inputs: [x(), i64([-1, 0])] },
    {
      name: `${op}-18 axes [-2] no keepdims, dynamic batch`,
      op,
      opset: 18,
      attrs: { keepdims: 0 },
      inputs: [x({ dynamic: true }), i64([-2])],
    },
    { name: `${op}-18 axes omitted no keepdims`, op, opset: 18, attrs: { keepdims: 0 }, inputs: [x()] },
    { name: `${op}-18 empty axes tensor (all axes) keepdims`, op, opset: 18, inputs: [x(), i64([])] },
    {
      name: `${op}-18 axes omitted, noop_with_empty_axes`,
      op,
      opset: 18,
      attrs: { noop_with_empty_axes: 1, keepdims: 0 },
      inputs: [x()],
    },
    {
      name: `${op}-18 empty axes tensor, noop_with_empty_axes, dynamic batch`,
      op,
      opset: 18,
      attrs: { noop_with_empty_axes: 1 },
      inputs: [x({ dynamic: true }), i64([])],
    },
    {
      name: `${op}-18 computed axes no keepdims, dynamic batch`,
      op,
      opset: 18,
      attrs: { keepdims: 0 },
      inputs: [x({ dynamic: true }), i64([0], [1], false)],
    },
    { name: `${op}-18 computed axes keepdims`, op, opset: 18, inputs: [x(), i64([0], [1], false)] },
    {
      name: `${op}-18 computed empty axes (all axes) no keepdims`,
      op,
      opset: 18,
      attrs: { keepdims: 0 },
      inputs: [x(), i64([], [0], false)],
    },
    {
      name: `${op}-18 computed empty axes, noop_with_empty_axes, dynamic batch`,
      op,
      opset: 18,
      attrs: { keepdims: 0, noop_with_empty_axes: 1 },
      inputs: [x({ dynamic: true }), i64([], [0], false)],
    },
    {
      name: `${op}-18 computed axes, noop_with_empty_axes`,
      op,
      opset: 18,
      attrs: { noop_with_empty_axes: 1 },
      inputs: [x(), i64([0], [1], false)],
    },
  ];
  return cases.map((c) => ({ ...c, ...extra }));
}

/** Values well apart for each input of a variadic Max/Min (no two within 0.05 of each other). */
const spread =
  (offset: number): Init =>
  (i) =>
    ((i * 7) % 13) * 0.3 - 1.8 + offset;

const variadicCases = (op: 'Max' | 'Min'): OpCase[] => [
  { name: `${op}-13 one input`, op, opset: 13, eps: 1e-3, inputs: [f([2, 3], { init: spread(0) })] },
  {
    name: `${op}-7 equal shapes (the opset-6 form)`,
    op,
    opset: 7,
    eps: 1e-3,
    inputs: [f([2, 3], { init: spread(0) }), f([2, 3], { init: spread(0.1) })],
  },
  {
    name: `${op}-13 two inputs, broadcast`,
    op,
    opset: 13,
    eps: 1e-3,
    inputs: [f([2, 3, 4], { init: spread(0) }), f([3, 1], { init: spread(0.1) })],
  },
  {
    name: `${op}-8 three inputs, broadcast`,
    op,
    opset: 8,
    eps: 1e-3,
    inputs: [f([2, 3], { init: spread(0) }), f([3], { init: spread(0.1) }), f([2, 1], { init: spread(0.2) })],
  },
  {
    name: `${op}-17 scalar and dynamic batch`,
    op,
    opset: 17,
    eps: 1e-3,
    inputs: [f([3, 4], { init: spread(0), dynamic: true }), f([], { init: () => 0.05 })],
  },
];

const prodZeros: Init = (i) => [0, 0.8, -1.2, 1.1, 0, 0, 0.9, 1.3, -0.7, 1.2, 0.6, -1.1][i];

const cases: OpCase[] = [
  ...reduceCases('ReduceMax', 'distinct'),
  {
    name: 'ReduceMax-20 axes [1] no keepdims',
    op: 'ReduceMax',
    opset: 20,
    attrs: { keepdims: 0 },
    inputs: [f([2, 3, 4], { init: 'distinct' }), i64([1])],
  },
  ...reduceCases('ReduceMin', 'distinct'),
  {
    name: 'ReduceMin-20 axes [-1] keepdims',
    op: 'ReduceMin',
    opset: 20,
    inputs: [f([2, 3, 4], { init: 'distinct' }), i64([-1])],
  },
  ...reduceCases('ReduceL1', 'awayFromZero'),
  ...reduceCases('ReduceL2', 'awayFromZero'),
  ...reduceCases('ReduceLogSumExp', 'normal'),
  ...reduceCases('ReduceSumSquare', 'normal'),
  ...reduceCases('ReduceProd', nearOne),
  {
    name: 'ReduceProd-13 rows with no, one and two zeros',
    op: 'ReduceProd',
    opset: 13,
    attrs: { axes: [1], keepdims: 0 },
    inputs: [f([3, 4], { init: prodZeros })],
  },
  {
    name: 'ReduceProd-18 columns with zeros, keepdims',
    op: 'ReduceProd',
    opset: 18,
    inputs: [f([3, 4], { init: prodZeros }), i64([0])],
  },
  {
    name: 'ReduceProd-11 all axes, one zero',
    op: 'ReduceProd',
    opset: 11,
    attrs: { keepdims: 0 },
    inputs: [f([2, 3], { init: (i) => [1.1, 0, -0.9, 1.2, 0.8, 1.3][i] })],
  },
  {
    name: 'ReduceProd-11 all axes, two zeros',
    op: 'ReduceProd',
    opset: 11,
    // the gradient is 0; central differences' O(eps²) term is not: a smaller step
    eps: 1e-3,
    inputs: [f([2, 3], { init: (i) => [1.1, 0, -0.9, 0, 0.8, 1.3][i] })],
  },

  ...variadicCases('Max'),
  ...variadicCases('Min'),
  { name: 'Mean-13 one input', op: 'Mean', opset: 13, inputs: [f([2, 3])] },
  { name: 'Mean-7 equal shapes (the opset-6 form)', op: 'Mean', opset: 7, inputs: [f([2, 3]), f([2, 3])] },
  { name: 'Mean-13 two inputs, broadcast', op: 'Mean', opset: 13, inputs: [f([2, 3, 4]), f([3, 1])] },
  { name: 'Mean-8 three inputs, broadcast', op: 'Mean', opset: 8, inputs: [f([2, 3]), f([3]), f([2, 1])] },
  {
    name: 'Mean-17 scalar and dynamic batch',
    op: 'Mean',
    opset: 17,
    inputs: [f([3, 4], { dynamic: true }), f([])],
  },

  // CumSum: axis as input 1 (a 0-D tensor)
  ...[0, 1].flatMap((exclusive) =>
    [0, 1].map((reverse): OpCase => ({
      name: `CumSum-11 axis 1, exclusive ${exclusive}, reverse ${reverse}`,
      op: 'CumSum',
      opset: 11,
      attrs: { exclusive, reverse },
      inputs: [f([2, 4, 3]), i64([1], [])],
    })),
  ),
  {
    name: 'CumSum-14 axis -1, exclusive reverse, dynamic batch',
    op: 'CumSum',
    opset: 14,
    attrs: { exclusive: 1, reverse: 1 },
    inputs: [f([2, 3, 4], { dynamic: true }), i64([-1], [])],
  },
  {
    name: 'CumSum-17 computed axis (0), exclusive',
    op: 'CumSum',
    opset: 17,
    attrs: { exclusive: 1 },
    inputs: [f([4, 3]), i64([0], [], false)],
  },

  // TopK: k an attribute at 1 (read as opset 11 on load, graph/upgrade.ts), input K from 10
  {
    name: 'TopK-1 k attribute (opset 9), axis 1',
    op: 'TopK',
    opset: 9,
    outputs: 1,
    unseeded: 1,
    attrs: { k: 2, axis: 1 },
    inputs: [f([3, 5], { init: 'distinct' })],
  },
  {
    name: 'TopK-10 K input, default axis',
    op: 'TopK',
    opset: 10,
    unseeded: 1,
    inputs: [f([3, 5], { init: 'distinct' }), i64([3])],
  },
  {
    name: 'TopK-11 smallest, axis 0',
    op: 'TopK',
    opset: 11,
    unseeded: 1,
    attrs: { largest: 0, axis: 0 },
    inputs: [f([4, 3], { init: 'distinct' }), i64([2])],
  },
  {
    name: 'TopK-11 unsorted, axis -2',
    op: 'TopK',
    opset: 11,
    unseeded: 1,
    attrs: { sorted: 0, axis: -2 },
    inputs: [f([2, 5, 3], { init: 'distinct' }), i64([3])],
  },
  {
    name: 'TopK-17 k = size, dynamic batch',
    op: 'TopK',
    opset: 17,
    unseeded: 1,
    inputs: [f([2, 3, 4], { init: 'distinct', dynamic: true }), i64([4])],
  },

  // GatherElements
  {
    name: 'GatherElements-11 axis 0, distinct constant indices (no reduction)',
    op: 'GatherElements',
    opset: 11,
    inputs: [f([3, 4]), i64([2, 0, -1, 1, 0, 1, 0, 2], [2, 4])],
  },
  {
    name: 'GatherElements-13 axis 1, repeated indices',
    op: 'GatherElements',
    opset: 16,
    attrs: { axis: 1 },
    inputs: [f([2, 4]), i64([1, 1, 3, 1, 0, 0, 0, 2], [2, 4])],
  },
  ...[11, 13, 15].map((opset): OpCase => ({
    name: `GatherElements-${opset} axis -1, repeated and negative indices (raised)`,
    op: 'GatherElements',
    opset,
    raise: true,
    attrs: { axis: -1 },
    inputs: [f([2, 2, 3]), i64([2, -1, 0, 0, 1, 1, -3, 0, 2, 2, 2, 2], [2, 2, 3])],
  })),
  {
    name: 'GatherElements-17 axis 0, run-time indices, dynamic batch',
    op: 'GatherElements',
    opset: 17,
    inputs: [f([3, 2], { dynamic: true }), { ...i64([2, 1, 2, 2, 0, -1, 1, 1], [4, 2], false), dynamic: true }],
  },
  {
    name: 'GatherElements-11 axis 2, run-time indices (raised)',
    op: 'GatherElements',
    opset: 11,
    raise: true,
    attrs: { axis: 2 },
    inputs: [f([2, 3, 4]), i64([3, 3, 0, 1, 3, 2], [1, 3, 2], false)],
  },

  // GatherND: 11 without batch_dims, 12 with
  {
    name: 'GatherND-11 element tuples, distinct constant (no reduction)',
    op: 'GatherND',
    opset: 11,
    inputs: [f([3, 4]), i64([0, 1, 2, -1, 1, 0], [3, 2])],
  },
  {
    name: 'GatherND-17 element tuples, repeated',
    op: 'GatherND',
    opset: 17,
    inputs: [f([3, 4]), i64([0, 1, 2, 3, 0, 1, 0, 1, 1, 2], [5, 2])],
  },
  ...[11, 13].map((opset): OpCase => ({
    name: `GatherND-${opset} row slices, repeated and negative (raised)`,
    op: 'GatherND',
    opset,
    raise: true,
    inputs: [f([4, 3]), i64([1, 3, -3, 0, 1, 1], [2, 3, 1])],
  })),
  {
    name: 'GatherND-17 run-time tuples, dynamic batch',
    op: 'GatherND',
    opset: 17,
    inputs: [f([3, 2, 3], { dynamic: true }), { ...i64([2, 1, 0, 0, 2, 1, -1, -2], [4, 2], false), dynamic: true }],
  },
  {
    name: 'GatherND-12 batch_dims 1, repeated (raised)',
    op: 'GatherND',
    opset: 12,
    raise: true,
    attrs: { batch_dims: 1 },
    inputs: [f([2, 3, 4]), i64([2, 2, 0, 1, 1, -2], [2, 3, 1])],
  },
  {
    name: 'GatherND-13 batch_dims 1, distinct tuples (no reduction)',
    op: 'GatherND',
    opset: 13,
    attrs: { batch_dims: 1 },
    inputs: [f([2, 3, 4]), i64([2, 0, 1, 0, 0, 1, 2, 3], [2, 2, 2])],
  },
  {
    name: 'GatherND-17 batch_dims 2, repeated',
    op: 'GatherND',
    opset: 17,
    attrs: { batch_dims: 2 },
    inputs: [f([2, 3, 4, 2]), i64([1, 1, 0, 3, 3, 3, 2, 0, 0, 1, 2, 2], [2, 3, 2, 1])],
  },
  {
    name: 'GatherND-17 batch_dims 1, run-time tuples, dynamic batch',
    op: 'GatherND',
    opset: 17,
    attrs: { batch_dims: 1 },
    inputs: [f([2, 3, 4], { dynamic: true }), { ...i64([2, 3, 2, 3, 0, -1, 1, 0], [2, 2, 2], false), dynamic: true }],
  },
  {
    name: 'GatherND-16 batch_dims 1, run-time tuples',
    op: 'GatherND',
    opset: 16,
    attrs: { batch_dims: 1 },
    inputs: [f([3, 4, 2]), i64([3, 3, 0, 1, 2, -4], [3, 2, 1], false)],
  },
];

describe('reduction and selection gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });
});

interface Fed {
  shape: number[];
  values: number[];
  /** An int64 initializer (axes) rather than a float graph input. */
  int64?: boolean;
}

/** dX of every float input of a one-node model, for the given X and dY, from the rules' backward graph. */
async function exactGrads(
  op: string,
  opset: number,
  attrs: Record<string, AttrInput>,
  inputs: Fed[],
  dy: number[],
  unseeded = 0,
): Promise<number[][]> {
  const names = inputs.map((_, i) => `x${i}`);
  const b0 = new GraphBuilder(opset, 'case');
  b0.emit(op, names, attrs, 1 + unseeded);
  b0.nodes[0].outputs = ['y', ...Array.from({ length: unseeded }, (_, k) => `unseeded${k}`)];
  const initializers = new Map<string, Tensor>();
  const graphInputs: ValueInfo[] = [];
  inputs.forEach((inp, i) => {
    if (!inp.int64) {
      graphInputs.push({ name: names[i], elemType: DataType.FLOAT, shape: inp.shape });
      return;
    }
    const data = BigInt64Array.from(inp.values.map((v) => BigInt(v)));
    initializers.set(names[i], {
      name: names[i],
      dataType: DataType.INT64,
      dims: inp.shape,
      bytes: new Uint8Array(data.buffer),
      location: { kind: 'typed' },
    });
  });
  const graph: Graph = {
    name: 'tied',
    nodes: b0.nodes,
    inputs: graphInputs,
    outputs: [{ name: 'y', elemType: 0, shape: null }],
    initializers,
    valueInfo: new Map(),
  };
  const opsets = new Map([['', opset]]);
  const model = parseModel(encodeModel({ opsetImports: opsets, graph }), 'tied.onnx');
  const shapes = await probeShapes(model);
  const ys = shapes.get('y')!.dims as number[];
  const wrt = graphInputs.map((g) => g.name);
  const b = new GraphBuilder(model.opsetImports.get('')!);
  const grads = backward({
    graph: model.graph,
    opsets: model.opsetImports,
    shapes,
    registry: defaultRegistry(),
    wrt,
    seeds: new Map([['y', 'dy']]),
    b,
  });
  const outs = wrt.map((w) => grads.get(w)!);
  const full: Graph = {
    ...model.graph,
    nodes: [...model.graph.nodes, ...b.nodes],
    inputs: [...model.graph.inputs, { name: 'dy', elemType: DataType.FLOAT, shape: ys }],
    outputs: outs.map((name) => ({ name, elemType: 0, shape: null })),
    initializers: new Map([...model.graph.initializers, ...b.initializers]),
  };
  const session = await Session.create(encodeModel({ opsetImports: model.opsetImports, graph: full }), {
    threads: 1,
  });
  try {
    const feeds: Feeds = { dy: { data: Float32Array.from(dy), dims: ys } };
    inputs.forEach((inp, i) => {
      if (!inp.int64) feeds[names[i]] = { data: Float32Array.from(inp.values), dims: inp.shape };
    });
    const out = await session.run(feeds);
    return outs.map((o) => Array.from(out[o].data as Float32Array));
  } finally {
    await session.release();
  }
}

// Ties have no numeric gradient: the expected dX, written out by hand, shares dY evenly among the tying
// elements (PyTorch's amax/amin and maximum/minimum backward). ReduceProd at zeros, by hand too: dY times
// the product of the others.
interface TieCase {
  name: string;
  op: string;
  opset: number;
  attrs?: Record<string, AttrInput>;
  inputs: Fed[];
  dy: number[];
  expected: number[][];
  /** Outputs of the node after Y that get no seed (TopK's Indices). */
  unseeded?: number;
}

const ties: TieCase[] = [
  {
    name: 'ReduceMax-13 axes [1] no keepdims: two-way and four-way ties',
    op: 'ReduceMax',
    opset: 13,
    attrs: { axes: [1], keepdims: 0 },
    inputs: [{ shape: [3, 4], values: [1, 3, 3, 0, 2, 2, 2, 2, -1, 5, -2, 4] }],
    dy: [2, 4, 3],
    expected: [[0, 1, 1, 0, 1, 1, 1, 1, 0, 3, 0, 0]],
  },
  {
    name: 'ReduceMax-18 axes input [0] keepdims: three-way tie',
    op: 'ReduceMax',
    opset: 18,
    inputs: [
      { shape: [3, 2], values: [7, 1, 7, 4, 7, 4] },
      { shape: [1], values: [0], int64: true },
    ],
    dy: [6, 10],
    expected: [[2, 0, 2, 5, 2, 5]],
  },
  {
    name: 'ReduceMax-11 all axes: tie across rows',
    op: 'ReduceMax',
    opset: 11,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 3], values: [0, 5, 1, 5, 2, 5] }],
    dy: [9],
    expected: [[0, 3, 0, 3, 0, 3]],
  },
  {
    name: 'ReduceMin-17 axes [-1] keepdims: ties',
    op: 'ReduceMin',
    opset: 17,
    attrs: { axes: [-1] },
    inputs: [{ shape: [2, 4], values: [1, 0, 0, 3, -2, -2, -2, -2] }],
    dy: [5, 8],
    expected: [[0, 2.5, 2.5, 0, 2, 2, 2, 2]],
  },
  {
    name: 'ReduceMin-18 axes omitted (all axes): two-way tie',
    op: 'ReduceMin',
    opset: 18,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 2], values: [3, -1, -1, 4] }],
    dy: [7],
    expected: [[0, 3.5, 3.5, 0]],
  },
  {
    name: 'Max-13 two inputs: ties split in halves',
    op: 'Max',
    opset: 13,
    inputs: [
      { shape: [4], values: [1, 2, 3, -1] },
      { shape: [4], values: [1, 0, 3, 5] },
    ],
    dy: [2, 4, 6, 8],
    expected: [
      [1, 4, 3, 0],
      [1, 0, 3, 8],
    ],
  },
  {
    name: 'Max-8 three inputs, broadcast: ties among two and three',
    op: 'Max',
    opset: 8,
    inputs: [
      { shape: [2, 3], values: [1, 2, 0, 4, 4, 1] },
      { shape: [3], values: [1, 2, 4] },
      { shape: [2, 1], values: [1, 4] },
    ],
    dy: [6, 12, 3, 9, 18, 30],
    // Y = [[1, 2, 4], [4, 4, 4]]; ties: (0,0) all three, (0,1) x0 and x1, (1,0) and (1,1) x0 and x2,
    // (1,2) x1 and x2; (0,2) x1 alone
    expected: [
      [2, 6, 0, 4.5, 9, 0],
      [2, 6, 3 + 15],
      [2, 4.5 + 9 + 15],
    ],
  },
  {
    name: 'Min-13 two inputs, broadcast: ties split in halves',
    op: 'Min',
    opset: 13,
    inputs: [
      { shape: [2, 2], values: [0, 3, 2, 1] },
      { shape: [2], values: [0, 1] },
    ],
    dy: [4, 6, 8, 10],
    // Y = [[0, 1], [0, 1]]; ties at (0,0) and (1,1)
    expected: [
      [2, 0, 0, 5],
      [2 + 8, 6 + 5],
    ],
  },
  {
    name: 'ReduceProd-13 axes [1]: no, one and two zeros (products of the others)',
    op: 'ReduceProd',
    opset: 13,
    attrs: { axes: [1], keepdims: 0 },
    inputs: [{ shape: [3, 3], values: [2, 3, 0.5, 0, 4, -2, 0, 5, 0] }],
    dy: [1, 2, 3],
    expected: [[1.5, 1, 6, -16, 0, 0, 0, 0, 0]],
  },
  {
    name: 'ReduceProd-18 all axes: one zero',
    op: 'ReduceProd',
    opset: 18,
    attrs: { keepdims: 0 },
    inputs: [{ shape: [2, 2], values: [3, 0, -2, 0.5] }],
    dy: [2],
    expected: [[0, -6, 0, 0]],
  },
  // TopK with tied values: dY goes to the elements Indices names, the lower index first among ties
  {
    name: 'TopK-11 k 2 of [3, 1, 3, 2]: both tied maxima picked',
    op: 'TopK',
    opset: 11,
    unseeded: 1,
    inputs: [
      { shape: [1, 4], values: [3, 1, 3, 2] },
      { shape: [1], values: [2], int64: true },
    ],
    dy: [5, 7],
    expected: [[5, 0, 7, 0]],
  },
  {
    name: 'TopK-11 k 1 of [3, 1, 3, 2]: the lower index of the tie',
    op: 'TopK',
    opset: 11,
    unseeded: 1,
    inputs: [
      { shape: [1, 4], values: [3, 1, 3, 2] },
      { shape: [1], values: [1], int64: true },
    ],
    dy: [5],
    expected: [[5, 0, 0, 0]],
  },
];

describe('reduction and selection gradients at ties (exact)', () => {
  it.each(ties)('$name', async (t) => {
    const grads = await exactGrads(t.op, t.opset, t.attrs ?? {}, t.inputs, t.dy, t.unseeded);
    expect(grads).toEqual(t.expected);
  });
});
