// Activation rules: central-difference checks of every registered form and attribute variant (test
// points kept off the kinks), the boundary conventions at the kinks themselves (PyTorch's), the
// registry entries of the rounding and index ops that carry no gradient, and end to end the
// activation models of the missing-op-rules field case: field.missing-ops.test.ts.
import { describe, expect, it } from 'vitest';
import { gradCheck, type CaseInput, type Init, type OpCase } from './support/gradcheck.js';
import { encodeModel } from '../src/graph/encode.js';
import { parseModel } from '../src/graph/load.js';
import { DataType, type Graph, type Tensor } from '../src/graph/ir.js';
import { GraphBuilder, float, type AttrInput } from '../src/autodiff/builder.js';
import { backward } from '../src/autodiff/engine.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { Session, type Feeds } from '../src/runtime/session.js';

/**
 * 24 values spread over [lo, hi] in a scrambled order; a value nearer than 0.1 to a kink moves to
 * 0.15 from it, on its side. A central difference steps at most ~0.04 along its direction.
 */
function spread(lo: number, hi: number, kinks: number[] = []): Init {
  return (i) => {
    let v = lo + ((hi - lo) * ((i * 7) % 24)) / 23;
    for (const k of kinks) if (Math.abs(v - k) < 0.1) v = v < k ? k - 0.15 : k + 0.15;
    return v;
  };
}

const x = (init: Init, extra: Partial<CaseInput> = {}): CaseInput => ({ shape: [2, 3, 4], init, ...extra });
const dyn = (init: Init): CaseInput => x(init, { dynamic: true });
// |X| in [0.5, 2], both signs: 1/X is smooth enough there for the central difference.
const awayFromZero = (i: number) => (i % 2 ? -1 : 1) * (0.5 + (1.5 * ((i * 7) % 24)) / 23);

const cases: OpCase[] = [
  // HardSwish: kinks at ±3.
  { name: 'HardSwish-14, dynamic batch', op: 'HardSwish', opset: 14, inputs: [dyn(spread(-5, 5, [-3, 3]))] },
  {
    name: 'HardSwish opset 18 [3,8]',
    op: 'HardSwish',
    opset: 18,
    inputs: [{ shape: [3, 8], init: spread(-4.2, 4.6, [-3, 3]) }],
  },

  // HardSigmoid: kinks where alpha·X + beta is 0 or 1.
  {
    name: 'HardSigmoid default alpha 0.2 beta 0.5, opset 7, dynamic batch',
    op: 'HardSigmoid',
    opset: 7,
    inputs: [dyn(spread(-4, 4, [-2.5, 2.5]))],
  },
  {
    name: 'HardSigmoid alpha 0.5 beta 0.6',
    op: 'HardSigmoid',
    opset: 13,
    attrs: { alpha: 0.5, beta: 0.6 },
    inputs: [x(spread(-3, 3, [-1.2, 0.8]))],
  },
  {
    name: "HardSigmoid PyTorch's alpha 1/6 beta 0.5, dynamic batch",
    op: 'HardSigmoid',
    opset: 17,
    attrs: { alpha: 1 / 6, beta: 0.5 },
    inputs: [dyn(spread(-5, 5, [-3, 3]))],
  },
  {
    name: 'HardSigmoid negative alpha -0.3 beta 0.4',
    op: 'HardSigmoid',
    opset: 17,
    attrs: { alpha: -0.3, beta: 0.4 },
    inputs: [x(spread(-3.5, 3.5, [-2, 4 / 3]))],
  },

  // PRelu: the slope broadcasts unidirectionally to X.
  {
    name: 'PRelu [N,C,H,W] with per-channel slope [C,1,1], dynamic batch',
    op: 'PRelu',
    opset: 17,
    inputs: [{ shape: [2, 3, 4, 5], init: 'awayFromZero', dynamic: true }, { shape: [3, 1, 1] }],
  },
  {
    name: 'PRelu-7 per-channel slope [C,1,1] (opset 7)',
    op: 'PRelu',
    opset: 7,
    inputs: [{ shape: [2, 3, 4, 5], init: 'awayFromZero' }, { shape: [3, 1, 1] }],
  },
  {
    name: 'PRelu-9 single slope [1] (num_parameters=1)',
    op: 'PRelu',
    opset: 9,
    inputs: [{ shape: [2, 3, 4, 5], init: 'awayFromZero', dynamic: true }, { shape: [1] }],
  },
  {
    name: 'PRelu scalar slope',
    op: 'PRelu',
    opset: 13,
    inputs: [{ shape: [2, 3, 4], init: 'awayFromZero' }, { shape: [] }],
  },
  {
    name: 'PRelu-16 full-shape slope',
    op: 'PRelu',
    opset: 16,
    inputs: [{ shape: [2, 3, 4], init: 'awayFromZero' }, { shape: [2, 3, 4] }],
  },
  {
    name: 'PRelu trailing-axis slope [4], dynamic batch',
    op: 'PRelu',
    opset: 16,
    inputs: [{ shape: [2, 3, 4], init: 'awayFromZero', dynamic: true }, { shape: [4] }],
  },
  {
    name: 'PRelu constant slope (X only)',
    op: 'PRelu',
    opset: 17,
    inputs: [
      { shape: [2, 3, 4, 5], init: 'awayFromZero' },
      { shape: [3, 1, 1], values: [0.25, -0.5, 1.5], constant: true },
    ],
  },
  {
    name: 'PRelu slope only',
    op: 'PRelu',
    opset: 17,
    inputs: [{ shape: [2, 3, 4, 5], init: 'awayFromZero', noGrad: true }, { shape: [3, 1, 1] }],
  },

  // Elu, Selu, Celu: kinks at 0 where the slopes differ.
  { name: 'Elu default alpha, opset 7', op: 'Elu', opset: 7, inputs: [x('awayFromZero')] },
  {
    name: 'Elu alpha 0.5, dynamic batch',
    op: 'Elu',
    opset: 17,
    attrs: { alpha: 0.5 },
    inputs: [dyn(spread(-4, 3, [0]))],
  },
  { name: 'Selu defaults, dynamic batch', op: 'Selu', opset: 17, inputs: [dyn(spread(-4, 3, [0]))] },
  {
    name: 'Selu alpha 1.2 gamma 0.9, opset 7',
    op: 'Selu',
    opset: 7,
    attrs: { alpha: 1.2, gamma: 0.9 },
    inputs: [x('awayFromZero')],
  },
  { name: 'Celu-12 default alpha', op: 'Celu', opset: 12, inputs: [x(spread(-4, 3, [0]))] },
  {
    name: 'Celu alpha 2, dynamic batch',
    op: 'Celu',
    opset: 17,
    attrs: { alpha: float(2) },
    inputs: [dyn(spread(-5, 3, [0]))],
  },
  { name: 'Celu alpha 0.5', op: 'Celu', opset: 17, attrs: { alpha: 0.5 }, inputs: [x(spread(-3, 3, [0]))] },

  // Smooth everywhere.
  { name: 'Softplus, opset 7', op: 'Softplus', opset: 7, inputs: [x(spread(-6, 6))] },
  { name: 'Softplus, dynamic batch', op: 'Softplus', opset: 17, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Softsign, opset 7', op: 'Softsign', opset: 7, inputs: [x(spread(-4, 4))] },
  { name: 'Softsign, dynamic batch', op: 'Softsign', opset: 17, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Mish-18, dynamic batch', op: 'Mish', opset: 18, inputs: [dyn(spread(-5, 5))] },
  { name: 'Mish opset 20', op: 'Mish', opset: 20, inputs: [{ shape: [3, 5] }] },
  { name: 'Sin, opset 7', op: 'Sin', opset: 7, inputs: [x(spread(-4, 4))] },
  { name: 'Sin, dynamic batch', op: 'Sin', opset: 17, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Cos, opset 7', op: 'Cos', opset: 7, inputs: [x(spread(-4, 4))] },
  { name: 'Cos, dynamic batch', op: 'Cos', opset: 17, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Reciprocal, opset 7', op: 'Reciprocal', opset: 7, inputs: [x(awayFromZero)] },
  { name: 'Reciprocal-13, dynamic batch', op: 'Reciprocal', opset: 13, inputs: [dyn(awayFromZero)] },

  // ThresholdedRelu: a jump at alpha.
  {
    name: 'ThresholdedRelu-10 default alpha 1',
    op: 'ThresholdedRelu',
    opset: 10,
    inputs: [x(spread(-2, 3, [1]))],
  },
  {
    name: 'ThresholdedRelu alpha 0.3, dynamic batch',
    op: 'ThresholdedRelu',
    opset: 17,
    attrs: { alpha: 0.3 },
    inputs: [dyn(spread(-2, 2, [0.3]))],
  },
  {
    name: 'ThresholdedRelu negative alpha -0.5',
    op: 'ThresholdedRelu',
    opset: 17,
    attrs: { alpha: -0.5 },
    inputs: [x(spread(-2, 2, [-0.5]))],
  },
];

/**
 * The gradients of all float inputs at the given points, for dY = 1 everywhere; the inputs after the
 * first `fed` are initializers (constants the rule can read), with no gradient asked.
 */
async function gradAt(
  op: string,
  opset: number,
  attrs: Record<string, AttrInput>,
  all: { values: number[]; dims: number[] }[],
  fed = all.length,
): Promise<number[][]> {
  const inputs = all.slice(0, fed);
  const names = inputs.map((_, i) => `x${i}`);
  const constants = all.slice(fed).map((c, i): Tensor => {
    const bytes = new Uint8Array(Float32Array.from(c.values).buffer);
    return { name: `c${i}`, dataType: DataType.FLOAT, dims: c.dims, bytes, location: { kind: 'typed' } };
  });
  const b0 = new GraphBuilder(opset, 'case');
  b0.emit(op, [...names, ...constants.map((c) => c.name)], attrs);
  const node = { ...b0.nodes[0], outputs: ['y'] };
  const graph: Graph = {
    name: op,
    nodes: [node],
    inputs: inputs.map((inp, i) => ({ name: names[i], elemType: DataType.FLOAT, shape: inp.dims })),
    outputs: [{ name: 'y', elemType: 0, shape: null }],
    initializers: new Map<string, Tensor>(constants.map((c) => [c.name, c])),
    valueInfo: new Map(),
  };
  const model = parseModel(encodeModel({ opsetImports: new Map([['', opset]]), graph }), `${op}.onnx`);
  const gradOpset = model.opsetImports.get('') ?? opset;
  const shapes = await probeShapes(model);
  const b = new GraphBuilder(gradOpset);
  const grads = backward({
    graph: model.graph,
    opsets: model.opsetImports,
    shapes,
    registry: defaultRegistry(),
    wrt: names,
    seeds: new Map([['y', 'seed']]),
    b,
  });
  names.forEach((n) =>
    b.nodes.push({
      name: `g_${n}`,
      opType: 'Identity',
      domain: '',
      inputs: [grads.get(n)!],
      outputs: [`g_${n}`],
      attrs: {},
    }),
  );
  const yDims = shapes.get('y')!.dims as number[];
  const gradGraph: Graph = {
    ...model.graph,
    nodes: [...model.graph.nodes, ...b.nodes],
    inputs: [...graph.inputs, { name: 'seed', elemType: DataType.FLOAT, shape: yDims }],
    outputs: names.map((n) => ({ name: `g_${n}`, elemType: 0, shape: null })),
    initializers: new Map([...model.graph.initializers, ...b.initializers]),
  };
  const session = await Session.create(encodeModel({ opsetImports: new Map([['', gradOpset]]), graph: gradGraph }), {
    threads: 1,
  });
  try {
    const feeds: Feeds = { seed: { data: new Float32Array(yDims.reduce((p, q) => p * q, 1)).fill(1), dims: yDims } };
    inputs.forEach((inp, i) => (feeds[names[i]] = { data: Float32Array.from(inp.values), dims: inp.dims }));
    const out = await session.run(feeds);
    return names.map((n) => Array.from(out[`g_${n}`].data as Float32Array));
  } finally {
    await session.release();
  }
}

const at = (...values: number[]) => [{ values, dims: [values.length] }];

describe('activation gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });

  // The values at the kinks, where central differences cannot tell: PyTorch's backward conventions.
  it("HardSwish at ±3 as PyTorch's hardswish_backward: x < −3 → 0, x <= 3 → x/3 + 1/2, else 1", async () => {
    const [g] = await gradAt('HardSwish', 14, {}, at(-3.5, -3, 0, 3, 3.5));
    expect(g[0]).toBe(0);
    expect(g[1]).toBeCloseTo(-0.5, 6);
    expect(g[2]).toBeCloseTo(0.5, 6);
    expect(g[3]).toBeCloseTo(1.5, 6);
    expect(g[4]).toBe(1);
  });

  it("HardSigmoid passes alpha·dY strictly inside 0 < alpha·x + beta < 1 (PyTorch's −3 < x < 3)", async () => {
    const [torch] = await gradAt('HardSigmoid', 17, { alpha: 1 / 6, beta: 0.5 }, at(-3, -2.9, 0, 2.9, 3));
    expect(torch[0]).toBe(0);
    expect(torch[1]).toBeCloseTo(1 / 6, 6);
    expect(torch[2]).toBeCloseTo(1 / 6, 6);
    expect(torch[3]).toBeCloseTo(1 / 6, 6);
    expect(torch[4]).toBe(0);
    const [def] = await gradAt('HardSigmoid', 17, {}, at(-2.5, 0, 2.5));
    expect(def[0]).toBe(0);
    expect(def[1]).toBeCloseTo(0.2, 6);
    expect(def[2]).toBe(0);
  });

  it('Elu, Selu, Celu take the exponential side at 0, as PyTorch elu_backward (x <= 0)', async () => {
    const [elu] = await gradAt('Elu', 17, { alpha: 0.5 }, at(0, 1));
    expect(elu[0]).toBeCloseTo(0.5, 6);
    expect(elu[1]).toBe(1);
    const [selu] = await gradAt('Selu', 17, { alpha: 1.5, gamma: float(2) }, at(0, 1));
    expect(selu[0]).toBeCloseTo(3, 6);
    expect(selu[1]).toBeCloseTo(2, 6);
    const [celu] = await gradAt('Celu', 17, { alpha: float(2) }, at(0, -2, 1));
    expect(celu[0]).toBeCloseTo(1, 6);
    expect(celu[1]).toBeCloseTo(Math.exp(-1), 6);
    expect(celu[2]).toBe(1);
  });

  it('PRelu at X = 0: dX = slope·dY and dSlope = 0, as PyTorch', async () => {
    const [dx, dslope] = await gradAt('PRelu', 17, {}, [
      { values: [0, 0, 1, -2], dims: [2, 2] },
      { values: [0.25, -0.5], dims: [2, 1] },
    ]);
    expect(dx).toEqual([0.25, 0.25, 1, -0.5]);
    expect(dslope).toEqual([0, -2]);
  });

  it('ThresholdedRelu passes no gradient at X = alpha (PyTorch threshold_backward: x <= threshold → 0)', async () => {
    const [g] = await gradAt('ThresholdedRelu', 17, { alpha: 0.5 }, at(0.5, 0.6, -1));
    expect(g).toEqual([0, 1, 0]);
  });

  it("Clip(0, 6) is ReLU6: no gradient on either bound (PyTorch's hardtanh_backward, TF's Relu6Grad)", async () => {
    const clip13 = async (lo: number, hi: number, ...x: number[]) =>
      (await gradAt('Clip', 13, {}, [...at(...x), { values: [lo], dims: [] }, { values: [hi], dims: [] }], 1))[0];
    const clip6 = async (lo: number, hi: number, ...x: number[]) =>
      (await gradAt('Clip', 10, { min: float(lo), max: float(hi) }, at(...x)))[0];
    expect(await clip13(0, 6, -1, 0, 3, 6, 7)).toEqual([0, 0, 1, 0, 0]);
    expect(await clip6(0, 6, -1, 0, 3, 6, 7)).toEqual([0, 0, 1, 0, 0]);
    // other bounds keep torch.clamp's: both bounds pass
    expect(await clip13(0, 5, -1, 0, 3, 5, 7)).toEqual([0, 1, 1, 1, 0]);
    expect(await clip6(0, 5, -1, 0, 3, 5, 7)).toEqual([0, 1, 1, 1, 0]);
  });

  it('registers each activation form at its earliest right opset', () => {
    const registry = defaultRegistry();
    const forms: [string, number][] = [
      ['Celu', 12],
      ['Cos', 7],
      ['Elu', 6],
      ['HardSigmoid', 6],
      ['HardSwish', 14],
      ['Mish', 18],
      ['PRelu', 7],
      ['Reciprocal', 6],
      ['Selu', 6],
      ['Sin', 7],
      ['Softplus', 1],
      ['Softsign', 1],
      ['ThresholdedRelu', 10],
    ];
    for (const [op, since] of forms) {
      expect(registry.find('', op, 21), op).toMatchObject({ opType: op, since });
      expect(registry.find('', op, since - 1), op).toBeUndefined();
    }
  });

  it('rounding and index ops carry no gradient', () => {
    const registry = defaultRegistry();
    for (const [op, since] of [
      ['Floor', 1],
      ['Ceil', 1],
      ['Round', 11],
      ['Sign', 9],
      ['ArgMax', 1],
      ['ArgMin', 1],
      ['NonZero', 9],
    ] as [string, number][]) {
      expect(registry.find('', op, 21), op).toMatchObject({ since, nonDifferentiable: true });
      expect(registry.carriesGradient('', op, 21), op).toBe(false);
    }
  });
});
