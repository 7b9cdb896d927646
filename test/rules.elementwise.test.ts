import { describe, expect, it } from 'vitest';
import { gradCheck, type CaseInput, type OpCase } from './support/gradcheck.js';
import { encodeModel } from '../src/graph/encode.js';
import { parseModel } from '../src/graph/load.js';
import { DataType, type Graph, type Node, type Tensor } from '../src/graph/ir.js';
import { GraphBuilder, float } from '../src/autodiff/builder.js';
import { backward } from '../src/autodiff/engine.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { cast13, cast6 } from '../src/autodiff/rules/cast.js';
import type { GradContext } from '../src/autodiff/registry.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { Session, type Feeds } from '../src/runtime/session.js';

const pos: CaseInput = { shape: [2, 3, 4], init: 'positive' };
// Bases in [1, 2) for tensor exponents in (−0.9, 0.9): nearer 0, A^B curves so hard that the central
// difference at eps 1e-2 is off by ~2%.
const base: CaseInput = { shape: [2, 3, 4], init: (i) => 1 + ((i * 7) % 24) / 24 };
// Multiples of 0.1 offset by 0.05: at least 0.05 from any bound on the 0.1 grid.
const grid = (i: number) => -1.15 + 0.1 * ((i * 7) % 24);
const scalarConst = (v: number): CaseInput => ({ shape: [], values: [v], constant: true });
const trainingMode = (v: 0 | 1): CaseInput => ({ shape: [], type: 'bool', values: [v], constant: true });
const bool = (shape: number[], extra: Partial<CaseInput> = {}): CaseInput => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, type: 'bool', values: Array.from({ length: n }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)), ...extra };
};

const binaryCases = (op: string, second: Partial<CaseInput> = {}): OpCase[] => [
  {
    name: `${op} [2,3,4] with [3,1], dynamic batch`,
    op,
    inputs: [
      { shape: [2, 3, 4], dynamic: true },
      { shape: [3, 1], ...second },
    ],
  },
  { name: `${op} [3,1] with [2,3,4]`, op, inputs: [{ shape: [3, 1] }, { shape: [2, 3, 4], ...second }] },
  { name: `${op} [2,3,4] with scalar`, op, inputs: [{ shape: [2, 3, 4] }, { shape: [], ...second }] },
  { name: `${op} scalar with [2,3,4]`, op, inputs: [{ shape: [] }, { shape: [2, 3, 4], ...second }] },
  {
    name: `${op} second input needs no gradient`,
    op,
    inputs: [{ shape: [2, 3, 4] }, { shape: [4], noGrad: true, ...second }],
  },
  {
    name: `${op} first input needs no gradient`,
    op,
    inputs: [
      { shape: [2, 3, 4], noGrad: true },
      { shape: [3, 4], ...second },
    ],
  },
  { name: `${op} opset 7`, op, opset: 7, inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1], ...second }] },
];

const cases: OpCase[] = [
  ...binaryCases('Sub'),
  ...binaryCases('Mul'),
  {
    name: 'Mul by a constant scalar (attention scaling)',
    op: 'Mul',
    inputs: [{ shape: [2, 4, 3, 3], dynamic: true }, scalarConst(0.125)],
  },
  ...binaryCases('Div', { init: 'positive' }),
  {
    name: 'Div by a constant scalar',
    op: 'Div',
    inputs: [{ shape: [2, 3, 4], dynamic: true }, scalarConst(Math.SQRT2)],
  },

  // Pow: constant exponents take shortcuts; tensor exponents get dB = dY·Y·ln(A).
  ...[2, 3, 0.5, 1, 0, -1.5].map((k): OpCase => ({
    name: `Pow constant exponent ${k}`,
    op: 'Pow',
    inputs: [{ ...pos, dynamic: true }, scalarConst(k)],
  })),
  {
    name: 'Pow int64 constant exponent',
    op: 'Pow',
    opset: 15,
    inputs: [pos, { shape: [], type: 'int64', values: [3], constant: true }],
  },
  {
    name: 'Pow int64 constant tensor exponent',
    op: 'Pow',
    opset: 15,
    inputs: [pos, { shape: [4], type: 'int64', values: [1, 2, 3, 0], constant: true }],
  },
  {
    name: 'Pow float constant tensor exponent',
    op: 'Pow',
    inputs: [pos, { shape: [3, 1], values: [0.5, 2, -1], constant: true }],
  },
  {
    name: 'Pow tensor exponent [3,1], dynamic batch',
    op: 'Pow',
    inputs: [
      { ...base, dynamic: true },
      { shape: [3, 1], init: 'unit' },
    ],
  },
  {
    name: 'Pow [3,1] base, [2,3,4] exponent',
    op: 'Pow',
    inputs: [
      { shape: [3, 1], init: 'positive' },
      { shape: [2, 3, 4], init: 'unit' },
    ],
  },
  { name: 'Pow scalar exponent tensor', op: 'Pow', inputs: [pos, { shape: [], init: 'unit' }] },
  {
    name: 'Pow scalar base',
    op: 'Pow',
    inputs: [
      { shape: [], init: 'positive' },
      { shape: [2, 3, 4], init: 'unit' },
    ],
  },
  {
    name: 'Pow exponent only',
    op: 'Pow',
    inputs: [
      { ...pos, noGrad: true },
      { shape: [2, 3, 4], init: 'unit' },
    ],
  },
  {
    name: 'Pow exponent gradient at a zero base is 0 (PyTorch)',
    op: 'Pow',
    inputs: [
      { shape: [2, 3], values: [0, 1.5, 0, 0.7, 2, 0], noGrad: true },
      { shape: [2, 3], init: (i) => 1.5 + 0.2 * i },
    ],
  },
  {
    name: 'Pow opset 7 tensor exponent',
    op: 'Pow',
    opset: 7,
    inputs: [
      { ...base, dynamic: true },
      { shape: [3, 1], init: 'unit' },
    ],
  },

  { name: 'Sqrt', op: 'Sqrt', inputs: [{ ...pos, dynamic: true }] },
  { name: 'Sqrt opset 7', op: 'Sqrt', opset: 7, inputs: [pos] },
  { name: 'Exp', op: 'Exp', inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Exp opset 7', op: 'Exp', opset: 7, inputs: [{ shape: [2, 3] }] },
  { name: 'Log', op: 'Log', inputs: [{ ...pos, dynamic: true }] },
  { name: 'Log opset 7', op: 'Log', opset: 7, inputs: [pos] },
  { name: 'Neg', op: 'Neg', inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Neg opset 7', op: 'Neg', opset: 7, inputs: [{ shape: [2, 3] }] },
  { name: 'Abs', op: 'Abs', inputs: [{ shape: [2, 3, 4], init: 'awayFromZero', dynamic: true }] },
  { name: 'Abs opset 7 (no Sign)', op: 'Abs', opset: 7, inputs: [{ shape: [2, 3, 4], init: 'awayFromZero' }] },

  // Clip: inputs kept 0.05 away from the bounds.
  {
    name: 'Clip-6 min and max, opset 7 (no Where)',
    op: 'Clip',
    opset: 7,
    attrs: { min: float(-0.5), max: 0.6 },
    inputs: [{ shape: [2, 3, 4], init: grid }],
  },
  {
    name: 'Clip-6 min and max, opset 9, dynamic batch',
    op: 'Clip',
    opset: 9,
    attrs: { min: float(-0.5), max: 0.6 },
    inputs: [{ shape: [2, 3, 4], init: grid, dynamic: true }],
  },
  {
    name: 'Clip-6 min only, opset 10',
    op: 'Clip',
    opset: 10,
    attrs: { min: 0.2 },
    inputs: [{ shape: [2, 3, 4], init: grid }],
  },
  {
    name: 'Clip-6 max only, opset 10',
    op: 'Clip',
    opset: 10,
    attrs: { max: float(0) },
    inputs: [{ shape: [2, 3, 4], init: grid }],
  },
  { name: 'Clip-6 no bounds', op: 'Clip', opset: 10, inputs: [{ shape: [2, 3] }] },
  {
    name: 'Clip-11 min and max inputs, dynamic batch',
    op: 'Clip',
    opset: 11,
    inputs: [{ shape: [2, 3, 4], init: grid, dynamic: true }, scalarConst(-0.5), scalarConst(0.6)],
  },
  {
    name: 'Clip-12 max only',
    op: 'Clip',
    opset: 12,
    inputs: [{ shape: [2, 3, 4], init: grid }, null, scalarConst(0.3)],
  },
  { name: 'Clip-13 min only', op: 'Clip', opset: 13, inputs: [{ shape: [2, 3, 4], init: grid }, scalarConst(-0.3)] },
  {
    name: 'Clip-13 bounds as graph inputs',
    op: 'Clip',
    opset: 13,
    inputs: [
      { shape: [2, 3, 4], init: grid },
      { shape: [], values: [-0.5], noGrad: true },
      { shape: [], values: [0.6], noGrad: true },
    ],
  },
  { name: 'Clip-13 no bounds', op: 'Clip', opset: 13, inputs: [{ shape: [2, 3] }] },

  { name: 'Sigmoid', op: 'Sigmoid', inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Sigmoid opset 7', op: 'Sigmoid', opset: 7, inputs: [{ shape: [2, 3] }] },
  { name: 'Tanh', op: 'Tanh', inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Tanh opset 7', op: 'Tanh', opset: 7, inputs: [{ shape: [2, 3] }] },
  {
    name: 'LeakyRelu alpha 0.2, dynamic batch',
    op: 'LeakyRelu',
    attrs: { alpha: 0.2 },
    inputs: [{ shape: [2, 3, 4], init: 'awayFromZero', dynamic: true }],
  },
  { name: 'LeakyRelu default alpha', op: 'LeakyRelu', opset: 16, inputs: [{ shape: [2, 3, 4], init: 'awayFromZero' }] },
  {
    name: 'LeakyRelu opset 7 (no Where)',
    op: 'LeakyRelu',
    opset: 7,
    attrs: { alpha: 0.3 },
    inputs: [{ shape: [2, 3, 4], init: 'awayFromZero' }],
  },
  { name: 'Gelu exact, dynamic batch', op: 'Gelu', opset: 20, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  {
    name: 'Gelu approximate none (explicit)',
    op: 'Gelu',
    opset: 20,
    attrs: { approximate: 'none' },
    inputs: [{ shape: [2, 3, 4], init: (i) => -4 + (8 * i) / 23 }],
  },
  {
    name: 'Gelu approximate tanh, dynamic batch',
    op: 'Gelu',
    opset: 20,
    attrs: { approximate: 'tanh' },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  {
    name: 'Gelu approximate tanh, wide range',
    op: 'Gelu',
    opset: 20,
    attrs: { approximate: 'tanh' },
    inputs: [{ shape: [2, 3, 4], init: (i) => -4 + (8 * i) / 23 }],
  },
  { name: 'Erf, dynamic batch', op: 'Erf', opset: 9, inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Erf opset 13', op: 'Erf', opset: 13, inputs: [{ shape: [2, 3] }] },
  { name: 'Identity, dynamic batch', op: 'Identity', inputs: [{ shape: [2, 3, 4], dynamic: true }] },
  { name: 'Identity opset 7', op: 'Identity', opset: 7, inputs: [{ shape: [2, 3] }] },
  { name: 'Identity opset 16', op: 'Identity', opset: 16, inputs: [{ shape: [2, 3] }] },

  { name: 'Dropout-7 ratio attribute', op: 'Dropout', opset: 7, attrs: { ratio: 0.3 }, inputs: [{ shape: [2, 3, 4] }] },
  {
    name: 'Dropout-10 with mask output, dynamic batch',
    op: 'Dropout',
    opset: 10,
    outputs: 2,
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  { name: 'Dropout-12 ratio input', op: 'Dropout', opset: 12, inputs: [{ shape: [2, 3, 4] }, scalarConst(0.3)] },
  {
    name: 'Dropout-13 training_mode false, with mask output',
    op: 'Dropout',
    opset: 13,
    outputs: 2,
    inputs: [
      { shape: [2, 3, 4], dynamic: true },
      scalarConst(0.3),
      { shape: [], type: 'bool', values: [0], constant: true },
    ],
  },
  { name: 'Dropout-13 no optional inputs', op: 'Dropout', opset: 13, inputs: [{ shape: [2, 3] }] },
  {
    name: 'Dropout-13 ratio 0 in training mode (identity, as torchvision Swin exports it)',
    op: 'Dropout',
    opset: 13,
    outputs: 2,
    inputs: [{ shape: [2, 3, 4], dynamic: true }, scalarConst(0), trainingMode(1)],
  },
  {
    name: 'Dropout-12 ratio 0, training_mode computed at run time (identity)',
    op: 'Dropout',
    opset: 12,
    inputs: [{ shape: [2, 3] }, scalarConst(0), { shape: [], type: 'bool', values: [1] }],
  },
  {
    name: 'Dropout-13 training_mode false, default ratio',
    op: 'Dropout',
    opset: 13,
    inputs: [{ shape: [2, 3] }, null, trainingMode(0)],
  },
  {
    name: 'Dropout-10 ratio 0 attribute',
    op: 'Dropout',
    opset: 10,
    attrs: { ratio: float(0) },
    inputs: [{ shape: [2, 3] }],
  },

  {
    name: 'Cast-6 float to float (opset 9)',
    op: 'Cast',
    opset: 9,
    attrs: { to: DataType.FLOAT },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  {
    name: 'Cast-6 float to double (opset 9)',
    op: 'Cast',
    opset: 9,
    attrs: { to: DataType.DOUBLE },
    inputs: [{ shape: [2, 3, 4] }],
  },
  {
    name: 'Cast-13 float to double, dynamic batch',
    op: 'Cast',
    opset: 13,
    attrs: { to: DataType.DOUBLE },
    inputs: [{ shape: [2, 3, 4], dynamic: true }],
  },
  { name: 'Cast-19 float to float', op: 'Cast', opset: 19, attrs: { to: DataType.FLOAT }, inputs: [{ shape: [2, 3] }] },

  {
    name: 'Where [2,3,4] condition, [3,1] and scalar branches, dynamic batch',
    op: 'Where',
    opset: 9,
    inputs: [bool([2, 3, 4], { dynamic: true }), { shape: [3, 1] }, { shape: [] }],
  },
  {
    name: 'Where [4] constant condition, [2,3,4] and [3,1] branches',
    op: 'Where',
    inputs: [bool([4], { constant: true }), { shape: [2, 3, 4], dynamic: true }, { shape: [3, 1] }],
  },
  {
    name: 'Where scalar branch first',
    op: 'Where',
    opset: 16,
    inputs: [bool([2, 3, 4]), { shape: [] }, { shape: [2, 3, 4] }],
  },
  {
    name: 'Where else branch only',
    op: 'Where',
    opset: 16,
    inputs: [bool([3, 4]), { shape: [2, 3, 4], noGrad: true }, { shape: [4] }],
  },
];

function expectClose(
  results: { input: number; analytic: number; numeric: number; relErr: number }[],
  tol = 1e-2,
): void {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(tol);
}

describe('elementwise gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    expectClose(await gradCheck(c), c.tol);
  });

  it.each([
    ['ratio 0.3', [{ shape: [2, 3] }, scalarConst(0.3), trainingMode(1)], /ratio 0\.3 with training_mode true/],
    ['the default ratio', [{ shape: [2, 3] }, null, trainingMode(1)], /ratio 0\.5 with training_mode true/],
    [
      'training_mode computed at run time',
      [{ shape: [2, 3] }, scalarConst(0.1), { shape: [], type: 'bool', values: [1] }],
      /training_mode is computed at run time/,
    ],
  ] as [string, (CaseInput | null)[], RegExp][])(
    'Dropout-13 in training mode with %s is refused',
    async (_, inputs, why) => {
      const c: OpCase = { name: 'Dropout training', op: 'Dropout', opset: 13, inputs };
      const refusal = gradCheck(c);
      await expect(refusal).rejects.toThrow(why);
      await expect(refusal).rejects.toThrow(/^\S+: gradient of Dropout node \S+: /);
      await expect(refusal).rejects.toThrow(
        /the model is random in training mode; export it in eval mode \(model\.eval\(\)\)$/,
      );
    },
  );

  it('Cast to or from a non-float type has no gradient', () => {
    for (const rule of [cast6, cast13]) {
      const ctx = (from: number, to: number, needs: boolean) =>
        ({
          x: () => 'x',
          y: () => 'y',
          dy: () => 'dy',
          needs: () => needs,
          dtype: (n: string) => (n === 'x' ? from : to),
        }) as unknown as GradContext;
      expect(rule.grad(ctx(DataType.FLOAT, DataType.INT64, true))).toEqual([null]);
      expect(rule.grad(ctx(DataType.INT64, DataType.FLOAT, false))).toEqual([null]);
      expect(rule.grad(ctx(DataType.INT32, DataType.DOUBLE, true))).toEqual([null]);
    }
  });
});

// Multi-node graphs as exporters write them: the rules must compose.
interface Composite {
  name: string;
  opset: number;
  inputs: { name: string; shape: (number | 'N')[] }[];
  initializers?: { name: string; values: number[]; dims: number[] }[];
  nodes: { op: string; inputs: string[]; output: string; attrs?: Node['attrs'] }[];
  output: string;
}

async function compositeCheck(
  c: Composite,
): Promise<{ input: number; analytic: number; numeric: number; relErr: number }[]> {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const initializers = new Map<string, Tensor>(
    (c.initializers ?? []).map((t) => [
      t.name,
      {
        name: t.name,
        dataType: DataType.FLOAT,
        dims: t.dims,
        bytes: new Uint8Array(Float32Array.from(t.values).buffer),
        location: { kind: 'typed' },
      },
    ]),
  );
  const graph: Graph = {
    name: c.name,
    nodes: c.nodes.map((n, k) => ({
      name: `n${k}`,
      opType: n.op,
      domain: '',
      inputs: n.inputs,
      outputs: [n.output],
      attrs: n.attrs ?? {},
    })),
    inputs: c.inputs.map((i) => ({ name: i.name, elemType: DataType.FLOAT, shape: i.shape })),
    outputs: [{ name: c.output, elemType: 0, shape: null }],
    initializers,
    valueInfo: new Map(),
  };
  const opsets = new Map([['', c.opset]]);
  const model = parseModel(encodeModel({ opsetImports: opsets, graph }), `${c.name}.onnx`);
  const shapes = await probeShapes(model);
  const b = new GraphBuilder(c.opset);
  const wrt = c.inputs.map((i) => i.name);
  const grads = backward({
    graph: model.graph,
    opsets,
    shapes,
    registry: defaultRegistry(),
    wrt,
    seeds: new Map([[c.output, 'seed']]),
    b,
  });
  for (const w of wrt)
    b.nodes.push({
      name: `grad_${w}`,
      opType: 'Identity',
      domain: '',
      inputs: [grads.get(w)!],
      outputs: [`grad_${w}`],
      attrs: {},
    });
  const concrete = (shape: (number | 'N')[]) => shape.map((d) => (d === 'N' ? 2 : d));
  const gradGraph: Graph = {
    ...model.graph,
    nodes: [...model.graph.nodes, ...b.nodes],
    inputs: [
      ...graph.inputs,
      { name: 'seed', elemType: DataType.FLOAT, shape: shapes.get(c.output)!.dims.map((d) => d ?? 'N') },
    ],
    outputs: [c.output, ...wrt.map((w) => `grad_${w}`)].map((name) => ({ name, elemType: 0, shape: null })),
    initializers: new Map([...model.graph.initializers, ...b.initializers]),
  };
  const fwd = await Session.create(model.bytes, { threads: 1 });
  const bwd = await Session.create(encodeModel({ opsetImports: opsets, graph: gradGraph }), { threads: 1 });
  try {
    const feeds: Feeds = {};
    for (const i of c.inputs) {
      const dims = concrete(i.shape);
      feeds[i.name] = { data: Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, rand), dims };
    }
    const y = await fwd.run(feeds);
    const seed = Float32Array.from({ length: y[c.output].data.length }, rand);
    const g = await bwd.run({ ...feeds, seed: { data: seed, dims: y[c.output].dims } });
    const f = async (fd: Feeds) => {
      const out = (await fwd.run(fd))[c.output].data as Float32Array;
      return out.reduce((acc, v, i) => acc + v * seed[i], 0);
    };
    const eps = 1e-2;
    return await Promise.all(
      wrt.map(async (w, k) => {
        const x = feeds[w].data as Float32Array;
        const d = Float32Array.from({ length: x.length }, rand);
        const gw = g[`grad_${w}`].data as Float32Array;
        const analytic = gw.reduce((acc, v, i) => acc + v * d[i], 0);
        const at = (sign: number) => ({
          ...feeds,
          [w]: { data: x.map((v, i) => v + sign * eps * d[i]), dims: feeds[w].dims },
        });
        const numeric = ((await f(at(1))) - (await f(at(-1)))) / (2 * eps);
        return {
          input: k,
          analytic,
          numeric,
          relErr: Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-3),
        };
      }),
    );
  } finally {
    await fwd.release();
    await bwd.release();
  }
}

describe('elementwise rules compose', () => {
  it('exact GELU as the ViT exports it: Div(x, √2) → Erf → Add 1 → Mul x → Mul 0.5', async () => {
    expectClose(
      await compositeCheck({
        name: 'vit-gelu',
        opset: 17,
        inputs: [{ name: 'x', shape: ['N', 5, 8] }],
        initializers: [
          { name: 'sqrt2', values: [Math.SQRT2], dims: [] },
          { name: 'one', values: [1], dims: [] },
          { name: 'half', values: [0.5], dims: [] },
        ],
        nodes: [
          { op: 'Div', inputs: ['x', 'sqrt2'], output: 'a' },
          { op: 'Erf', inputs: ['a'], output: 'e' },
          { op: 'Add', inputs: ['e', 'one'], output: 'e1' },
          { op: 'Mul', inputs: ['x', 'e1'], output: 'xe' },
          { op: 'Mul', inputs: ['xe', 'half'], output: 'y' },
        ],
        output: 'y',
      }),
    );
  });

  it('attention scores scaled by a scalar, then Softmax-free mixing', async () => {
    expectClose(
      await compositeCheck({
        name: 'attention-scale',
        opset: 13,
        inputs: [
          { name: 'q', shape: ['N', 2, 4, 3] },
          { name: 'k', shape: ['N', 2, 3, 4] },
        ],
        initializers: [{ name: 'scale', values: [1 / Math.sqrt(3)], dims: [] }],
        nodes: [
          { op: 'MatMul', inputs: ['q', 'k'], output: 's' },
          { op: 'Mul', inputs: ['s', 'scale'], output: 'ss' },
          { op: 'Tanh', inputs: ['ss'], output: 'y' },
        ],
        output: 'y',
      }),
    );
  });

  it('a value used twice (x·x − x / x²) sums its fan-out', async () => {
    expectClose(
      await compositeCheck({
        name: 'fan-out',
        opset: 13,
        inputs: [{ name: 'x', shape: ['N', 3] }],
        initializers: [{ name: 'two', values: [2], dims: [] }],
        nodes: [
          { op: 'Mul', inputs: ['x', 'x'], output: 'sq' },
          { op: 'Pow', inputs: ['x', 'two'], output: 'p' },
          { op: 'Exp', inputs: ['p'], output: 'ep' },
          { op: 'Div', inputs: ['x', 'ep'], output: 'd' },
          { op: 'Sub', inputs: ['sq', 'd'], output: 'y' },
        ],
        output: 'y',
      }),
    );
  });
});
