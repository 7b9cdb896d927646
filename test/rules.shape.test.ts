import { describe, expect, it } from 'vitest';
import { gradCheck, type CaseInput, type CheckResult, type OpCase } from './support/gradcheck.js';
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
const INT64_MIN = -(2 ** 63);
const BIG = 2 ** 62;

const cases: OpCase[] = [
  // Transpose
  { name: 'Transpose default perm', op: 'Transpose', inputs: [f([2, 3, 4])] },
  {
    name: 'Transpose perm, dynamic batch',
    op: 'Transpose',
    attrs: { perm: [0, 2, 3, 1] },
    inputs: [f([2, 3, 4, 5], { dynamic: true })],
  },
  { name: 'Transpose opset 1', op: 'Transpose', opset: 1, attrs: { perm: [1, 0, 2] }, inputs: [f([2, 3, 4])] },
  // Squeeze / Unsqueeze
  {
    name: 'Squeeze attr negative axes (11)',
    op: 'Squeeze',
    opset: 11,
    attrs: { axes: [-1, 1] },
    inputs: [f([2, 1, 3, 1])],
  },
  { name: 'Squeeze attr (1)', op: 'Squeeze', opset: 7, attrs: { axes: [0] }, inputs: [f([1, 3, 2])] },
  {
    name: 'Squeeze input axes, dynamic batch (13)',
    op: 'Squeeze',
    opset: 13,
    inputs: [f([2, 1, 3], { dynamic: true }), i64([-2])],
  },
  { name: 'Squeeze no axes (13)', op: 'Squeeze', opset: 13, inputs: [f([1, 3, 1, 2])] },
  {
    name: 'Unsqueeze attr negative axes (11)',
    op: 'Unsqueeze',
    opset: 11,
    attrs: { axes: [0, -1] },
    inputs: [f([2, 3])],
  },
  {
    name: 'Unsqueeze input axes, dynamic batch (13)',
    op: 'Unsqueeze',
    opset: 13,
    inputs: [f([2, 3], { dynamic: true }), i64([1, -1])],
  },
  // Concat
  {
    name: 'Concat axis 1, three inputs',
    op: 'Concat',
    attrs: { axis: 1 },
    inputs: [f([2, 1, 4]), f([2, 3, 4]), f([2, 2, 4])],
  },
  {
    name: 'Concat axis -1, dynamic batch (11)',
    op: 'Concat',
    opset: 11,
    attrs: { axis: -1 },
    inputs: [f([2, 3, 2], { dynamic: true }), f([2, 3, 3], { dynamic: true })],
  },
  {
    name: 'Concat, one input constant',
    op: 'Concat',
    attrs: { axis: 0 },
    inputs: [f([2, 3], { constant: true }), f([3, 3]), f([1, 3], { constant: true })],
  },
  { name: 'Concat opset 4', op: 'Concat', opset: 4, attrs: { axis: 0 }, inputs: [f([2, 3]), f([1, 3])] },
  {
    name: 'Concat along the dynamic axis (17, Split with run-time sizes)',
    op: 'Concat',
    attrs: { axis: 0 },
    inputs: [f([2, 3], { dynamic: true }), f([3, 3], { dynamic: true }), f([1, 3])],
  },
  {
    name: 'Concat along the dynamic axis (11, Slices)',
    op: 'Concat',
    opset: 11,
    attrs: { axis: 0 },
    inputs: [f([2, 3], { dynamic: true }), f([1, 3])],
  },
  {
    name: 'Concat along the dynamic axis, one constant',
    op: 'Concat',
    attrs: { axis: -2 },
    inputs: [f([1, 3], { constant: true }), f([2, 3], { dynamic: true }), f([2, 3], { constant: true })],
  },
  // Split
  {
    name: 'Split attr sizes, uneven (11)',
    op: 'Split',
    opset: 11,
    attrs: { axis: 1, split: [1, 3, 2] },
    inputs: [f([2, 6, 2])],
    outputs: 3,
  },
  { name: 'Split attr (7), equal', op: 'Split', opset: 7, attrs: { axis: 0 }, inputs: [f([4, 3])], outputs: 2 },
  {
    name: 'Split input sizes, negative axis, dynamic batch (13)',
    op: 'Split',
    opset: 13,
    attrs: { axis: -1 },
    inputs: [f([2, 3, 7], { dynamic: true }), i64([3, 4])],
    outputs: 2,
  },
  {
    name: 'Split num_outputs uneven last chunk (18)',
    op: 'Split',
    opset: 18,
    attrs: { axis: 1, num_outputs: 3 },
    inputs: [f([2, 7])],
    outputs: 3,
  },
  // Slice
  { name: 'Slice basic (10)', op: 'Slice', opset: 10, inputs: [f([3, 5]), i64([1]), i64([4]), i64([1])] },
  {
    name: 'Slice attr form (9)',
    op: 'Slice',
    opset: 9,
    attrs: { starts: [1, -3], ends: [BIG, -1], axes: [0, -1] },
    inputs: [f([3, 5])],
  },
  { name: 'Slice negative starts/ends, no axes', op: 'Slice', inputs: [f([4, 5]), i64([-3, 1]), i64([-1, 100])] },
  {
    name: 'Slice clamped bounds, negative axes',
    op: 'Slice',
    inputs: [f([2, 4, 5]), i64([-100, 2]), i64([BIG, BIG]), i64([-1, 1])],
  },
  { name: 'Slice empty result', op: 'Slice', inputs: [f([3, 4]), i64([3]), i64([1]), i64([1])] },
  { name: 'Slice step 2', op: 'Slice', opset: 13, inputs: [f([2, 7]), i64([1]), i64([7]), i64([1]), i64([2])] },
  {
    name: 'Slice step 3, crop after spread',
    op: 'Slice',
    inputs: [f([3, 7, 2]), i64([2]), i64([7]), i64([1]), i64([3])],
  },
  {
    name: 'Slice step -1 to INT64_MIN',
    op: 'Slice',
    inputs: [f([3, 4]), i64([-1]), i64([INT64_MIN]), i64([-1]), i64([-1])],
  },
  { name: 'Slice step -2', op: 'Slice', inputs: [f([2, 7]), i64([5]), i64([0]), i64([1]), i64([-2])] },
  {
    name: 'Slice mixed steps, dynamic batch',
    op: 'Slice',
    inputs: [f([2, 5, 6], { dynamic: true }), i64([4, 1]), i64([0, BIG]), i64([1, 2]), i64([-2, 2])],
  },
  {
    name: 'Slice on the dynamic axis (run-time pads)',
    op: 'Slice',
    inputs: [f([4, 3], { dynamic: true }), i64([1, -2]), i64([-1, BIG]), i64([0, 1])],
  },
  {
    name: 'Slice on the dynamic axis (run-time pads, 13)',
    op: 'Slice',
    opset: 13,
    inputs: [f([4, 3], { dynamic: true }), i64([-3]), i64([BIG]), i64([0])],
  },
  {
    name: 'Slice step 2 on the dynamic axis (scatter)',
    op: 'Slice',
    inputs: [f([5, 3], { dynamic: true }), i64([0]), i64([BIG]), i64([0]), i64([2])],
  },
  {
    name: 'Slice step -1 on the dynamic axis (scatter)',
    op: 'Slice',
    inputs: [f([5, 3], { dynamic: true }), i64([-2]), i64([INT64_MIN]), i64([0]), i64([-1])],
  },
  // Gather
  { name: 'Gather embedding table, repeated ids', op: 'Gather', inputs: [f([10, 4]), i64([1, 3, 1, 0, 3, 3], [2, 3])] },
  {
    name: 'Gather embedding table, run-time ids, dynamic batch',
    op: 'Gather',
    inputs: [f([10, 4]), { ...i64([1, 3, 1, 0, 3, -1], [2, 3], false), dynamic: true }],
  },
  {
    name: 'Gather axis 1, negative and repeated indices',
    op: 'Gather',
    attrs: { axis: 1 },
    inputs: [f([3, 4, 5]), i64([0, -1, 2, 0], [2, 2])],
  },
  {
    name: 'Gather axis -1, run-time indices, dynamic batch',
    op: 'Gather',
    attrs: { axis: -1 },
    inputs: [f([2, 3, 4], { dynamic: true }), i64([3, 0, 3], [3], false)],
  },
  { name: 'Gather scalar index (q/k/v pick)', op: 'Gather', inputs: [f([3, 2, 4], { dynamic: false }), i64([1], [])] },
  {
    name: 'Gather scalar -1, axis 1, dynamic batch',
    op: 'Gather',
    attrs: { axis: 1 },
    inputs: [f([2, 3, 4], { dynamic: true }), i64([-1], [])],
  },
  { name: 'Gather scalar run-time index', op: 'Gather', inputs: [f([3, 2, 4]), i64([2], [], false)] },
  {
    name: 'Gather scalar run-time index, axis 2',
    op: 'Gather',
    attrs: { axis: 2 },
    inputs: [f([2, 3, 4]), i64([-3], [], false)],
  },
  {
    name: 'Gather consecutive indices, axis -1',
    op: 'Gather',
    attrs: { axis: -1 },
    inputs: [f([2, 3, 5]), i64([1, 2, 3])],
  },
  {
    name: 'Gather unique constant indices (11, no reduction)',
    op: 'Gather',
    opset: 11,
    inputs: [f([5, 3]), i64([4, 0, -4], [3])],
  },
  {
    name: 'Gather unique constant indices, axis 1 (13)',
    op: 'Gather',
    opset: 13,
    attrs: { axis: 1 },
    inputs: [f([2, 5, 3]), i64([3, 0], [1, 2])],
  },
  {
    name: 'Gather scalar index (opset 1 form)',
    op: 'Gather',
    opset: 7,
    attrs: { axis: 0 },
    inputs: [f([3, 4]), i64([2], [])],
  },
  // Embedding tables below opset 16: built as the artifact builds them, at opset 16 (artifact.ts raiseBlockers)
  ...[11, 13, 14, 15, 16].flatMap((opset): OpCase[] => [
    {
      name: `Gather table, repeated constant ids (${opset}, raised)`,
      op: 'Gather',
      opset,
      raise: true,
      inputs: [f([6, 3]), i64([1, 3, 1, 0, 3, -3], [2, 3])],
    },
    {
      name: `Gather table, run-time repeated ids, dynamic batch (${opset}, raised)`,
      op: 'Gather',
      opset,
      raise: true,
      inputs: [f([6, 3]), { ...i64([5, 5, 0, -1, 2, 5, 0, 0], [4, 2], false), dynamic: true }],
    },
    {
      name: `Gather axis 1, run-time repeated ids (${opset}, raised)`,
      op: 'Gather',
      opset,
      raise: true,
      attrs: { axis: 1 },
      inputs: [f([2, 4, 3]), i64([3, 1, 3, -1], [4], false)],
    },
  ]),
  // Expand
  { name: 'Expand', op: 'Expand', inputs: [f([3, 1]), i64([2, 3, 4])] },
  { name: 'Expand shape of lower rank', op: 'Expand', inputs: [f([2, 1, 4]), i64([3, 1])] },
  { name: 'Expand no-op axes, dynamic batch', op: 'Expand', inputs: [f([2, 1, 4], { dynamic: true }), i64([1, 3, 1])] },
  // Pad
  { name: 'Pad constant', op: 'Pad', inputs: [f([2, 3, 4]), i64([0, 1, 2, 0, 2, 1])] },
  { name: 'Pad constant with negative pads', op: 'Pad', inputs: [f([2, 4, 5]), i64([0, -1, 2, 0, 1, -2])] },
  { name: 'Pad constant value input', op: 'Pad', inputs: [f([2, 3]), i64([1, 0, 0, 2]), f([])] },
  { name: 'Pad constant value input, cropping', op: 'Pad', inputs: [f([3, 3]), i64([1, -1, -1, 2]), f([])] },
  {
    name: 'Pad constant on the dynamic axis',
    op: 'Pad',
    inputs: [f([2, 3, 4], { dynamic: true }), i64([1, 0, 1, 2, 0, 0])],
  },
  {
    name: 'Pad reflect (11), overlapping borders',
    op: 'Pad',
    opset: 11,
    attrs: { mode: 'reflect' },
    inputs: [f([2, 3, 5]), i64([0, 2, 3, 0, 1, 4])],
  },
  {
    name: 'Pad reflect, dynamic batch',
    op: 'Pad',
    attrs: { mode: 'reflect' },
    inputs: [f([2, 3, 4], { dynamic: true }), i64([0, 1, 1, 0, 2, 0])],
  },
  {
    name: 'Pad edge, pads wider than the axis (13)',
    op: 'Pad',
    opset: 13,
    attrs: { mode: 'edge' },
    inputs: [f([2, 3]), i64([0, 5, 1, 2])],
  },
  { name: 'Pad edge, axis of size 1', op: 'Pad', attrs: { mode: 'edge' }, inputs: [f([2, 1]), i64([1, 2, 0, 3])] },
  { name: 'Pad wrap (19)', op: 'Pad', opset: 19, attrs: { mode: 'wrap' }, inputs: [f([2, 4]), i64([1, 3, 2, 4])] },
  {
    name: 'Pad reflect with cropping (scatter)',
    op: 'Pad',
    attrs: { mode: 'reflect' },
    inputs: [f([3, 5]), i64([1, -1, 0, 2])],
  },
  {
    name: 'Pad reflect on the dynamic axis (scatter)',
    op: 'Pad',
    attrs: { mode: 'reflect' },
    inputs: [f([2, 3, 4], { dynamic: true }), i64([1, 0, 1, 1, 0, 2])],
  },
  {
    name: 'Pad edge on the dynamic axis (scatter)',
    op: 'Pad',
    attrs: { mode: 'edge' },
    inputs: [f([2, 3], { dynamic: true }), i64([2, 1, 1, 0])],
  },
  {
    name: 'Pad axes input (18), reflect',
    op: 'Pad',
    opset: 18,
    attrs: { mode: 'reflect' },
    inputs: [f([2, 3, 4]), i64([1, 3]), null, i64([-1])],
  },
  {
    name: 'Pad axes input (18), constant with value',
    op: 'Pad',
    opset: 18,
    inputs: [f([2, 3, 4]), i64([1, -1, 2, 0]), f([]), i64([1, -1])],
  },
  {
    name: 'Pad reflect, run-time sizes (13, raised to 16)',
    op: 'Pad',
    opset: 13,
    raise: true,
    attrs: { mode: 'reflect' },
    inputs: [f([3, 4], { dynamic: true }), i64([1, 0, 1, 2])],
  },
  { name: 'Pad attr form constant (10)', op: 'Pad', opset: 10, attrs: { pads: [1, 0, 2, 1] }, inputs: [f([2, 3])] },
  { name: 'Pad attr form cropping (10)', op: 'Pad', opset: 10, attrs: { pads: [1, -1, -1, 2] }, inputs: [f([3, 3])] },
  {
    name: 'Pad attr form edge (7)',
    op: 'Pad',
    opset: 7,
    attrs: { pads: [0, 2, 0, 1], mode: 'edge' },
    inputs: [f([2, 3])],
  },
  {
    name: 'Pad attr form reflect (10)',
    op: 'Pad',
    opset: 10,
    attrs: { pads: [1, 2, 1, 1], mode: 'reflect' },
    inputs: [f([3, 4])],
  },
];

function expectClose(results: CheckResult[], tol = 1e-2) {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(tol);
}

describe('shape gradient rules', () => {
  it.each(cases)('$name', async (c) => expectClose(await gradCheck(c)));
});

// Several-node graphs: shapes, bounds and indices computed at run time, outputs without gradient.

interface GraphCase {
  name: string;
  opset?: number;
  inputs: Record<string, CaseInput>;
  nodes: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrInput> }[];
  /** Outputs that get a random seed. */
  outputs: string[];
}

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s + 0.5) / 2147483648;
  };
}

async function graphCheck(c: GraphCase): Promise<CheckResult[]> {
  const r = rng(7);
  const opset = c.opset ?? 17;
  const opsets = new Map([['', opset]]);
  const initializers = new Map<string, Tensor>();
  const graphInputs: ValueInfo[] = [];
  const feeds: Feeds = {};
  for (const [name, inp] of Object.entries(c.inputs)) {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const data =
      inp.type === 'int64'
        ? BigInt64Array.from(inp.values!.map((v) => BigInt(v)))
        : Float32Array.from(inp.values ?? Array.from({ length: n }, () => r() * 2 - 1));
    const dataType = inp.type === 'int64' ? DataType.INT64 : DataType.FLOAT;
    if (inp.constant)
      initializers.set(name, {
        name,
        dataType,
        dims: inp.shape,
        bytes: new Uint8Array(data.buffer),
        location: { kind: 'typed' },
      });
    else {
      graphInputs.push({
        name,
        elemType: dataType,
        shape: inp.shape.map((d, k) => (k === 0 && inp.dynamic ? 'N' : d)),
      });
      feeds[name] = { data, dims: inp.shape };
    }
  }
  const nodes = c.nodes.map((n, k) => {
    const b0 = new GraphBuilder(opset, `n${k}`);
    b0.emit(n.op, n.inputs, n.attrs ?? {}, n.outputs.length);
    return { ...b0.nodes[0], outputs: n.outputs };
  });
  const graph: Graph = {
    name: c.name,
    nodes,
    inputs: graphInputs,
    outputs: c.outputs.map((name) => ({ name, elemType: 0, shape: null })),
    initializers,
    valueInfo: new Map(),
  };
  const model = parseModel(encodeModel({ opsetImports: opsets, graph }), `${c.name}.onnx`);
  const shapes = await probeShapes(model);
  const wrt = Object.entries(c.inputs).flatMap(([name, inp]) =>
    !inp.constant && !inp.noGrad && (inp.type ?? 'float') === 'float' ? [name] : [],
  );
  const b = new GraphBuilder(opset);
  const seedNames = c.outputs.map((o) => `seed_${o}`);
  const grads = backward({
    graph: model.graph,
    opsets,
    shapes,
    registry: defaultRegistry(),
    wrt,
    seeds: new Map(c.outputs.map((o, k) => [o, seedNames[k]])),
    b,
  });
  const gradOutputs = wrt.map((w) => `grad_${w}`);
  wrt.forEach((w, k) =>
    b.nodes.push({
      name: gradOutputs[k],
      opType: 'Identity',
      domain: '',
      inputs: [grads.get(w) ?? b.zerosLike(w)],
      outputs: [gradOutputs[k]],
      attrs: {},
    }),
  );
  const gradGraph: Graph = {
    ...model.graph,
    nodes: [...model.graph.nodes, ...b.nodes],
    inputs: [
      ...graphInputs,
      ...seedNames.map((s, k) => ({
        name: s,
        elemType: DataType.FLOAT,
        shape: shapes.get(c.outputs[k])!.dims.map((d, j) => d ?? `s${k}_${j}`),
      })),
    ],
    outputs: [...c.outputs, ...gradOutputs].map((name) => ({ name, elemType: 0, shape: null })),
    initializers: new Map([...model.graph.initializers, ...b.initializers]),
  };
  const fwd = await Session.create(model.bytes, { threads: 1 });
  const bwd = await Session.create(encodeModel({ opsetImports: opsets, graph: gradGraph }), { threads: 1 });
  try {
    const y0 = await fwd.run(feeds);
    const seeds = c.outputs.map((o) => Float32Array.from({ length: y0[o].data.length }, () => r() * 2 - 1));
    const g = await bwd.run({
      ...feeds,
      ...Object.fromEntries(seedNames.map((s, k) => [s, { data: seeds[k], dims: y0[c.outputs[k]].dims }])),
    });
    const loss = async (fd: Feeds) => {
      const out = await fwd.run(fd);
      return c.outputs.reduce(
        (s, o, k) => s + Array.from(out[o].data as Float32Array).reduce((t, v, i) => t + v * seeds[k][i], 0),
        0,
      );
    };
    const results: CheckResult[] = [];
    const eps = 1e-2;
    for (const [k, w] of wrt.entries()) {
      const x = feeds[w].data as Float32Array;
      const gw = g[gradOutputs[k]].data as Float32Array;
      expect(gw.length).toBe(x.length);
      const d = Float32Array.from(x, () => r() * 2 - 1);
      const analytic = gw.reduce((s, v, i) => s + v * d[i], 0);
      const shifted = (sign: number): Feeds => ({
        ...feeds,
        [w]: { data: x.map((v, i) => v + sign * eps * d[i]), dims: feeds[w].dims },
      });
      const numeric = ((await loss(shifted(1))) - (await loss(shifted(-1)))) / (2 * eps);
      results.push({
        input: k,
        analytic,
        numeric,
        relErr: Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-3),
      });
    }
    return results;
  } finally {
    await fwd.release();
    await bwd.release();
  }
}

/** z's length (2) read at run time: bounds, steps and pads that no constant folding can see. */
const z = { z: f([2], { noGrad: true }) };
const shapeZ = { op: 'Shape', inputs: ['z'], outputs: ['zs'] };

const graphCases: GraphCase[] = [
  {
    name: 'Split, middle output unused',
    opset: 18,
    inputs: { x: f([2, 6]) },
    nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: 1, num_outputs: 3 } }],
    outputs: ['a', 'c'],
  },
  {
    name: 'Split, middle output unused (11)',
    opset: 11,
    inputs: { x: f([5, 2], { dynamic: true }) },
    nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: 1, split: [1, 0, 1] } }],
    outputs: ['c'],
  },
  {
    name: 'Expand cls token to a run-time batch (ViT)',
    inputs: {
      cls: f([1, 1, 4]),
      tokens: f([3, 5, 4], { dynamic: true, noGrad: true }),
      zero: i64([0]),
      one: i64([1]),
      rest: i64([1, 4]),
    },
    nodes: [
      { op: 'Shape', inputs: ['tokens'], outputs: ['ts'] },
      { op: 'Slice', inputs: ['ts', 'zero', 'one'], outputs: ['batch'] },
      { op: 'Concat', inputs: ['batch', 'rest'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Expand', inputs: ['cls', 'shape'], outputs: ['y'] },
      { op: 'Concat', inputs: ['y', 'tokens'], outputs: ['out'], attrs: { axis: 1 } },
    ],
    outputs: ['out'],
  },
  {
    name: 'Slice with run-time starts',
    inputs: { x: f([5, 4]), ...z, ends: i64([4]), axes: i64([0]) },
    nodes: [shapeZ, { op: 'Slice', inputs: ['x', 'zs', 'ends', 'axes'], outputs: ['y'] }],
    outputs: ['y'],
  },
  {
    name: 'Slice with run-time starts (11)',
    opset: 11,
    inputs: { x: f([5, 4]), ...z, ends: i64([-1]), axes: i64([-1]) },
    nodes: [shapeZ, { op: 'Slice', inputs: ['x', 'zs', 'ends', 'axes'], outputs: ['y'] }],
    outputs: ['y'],
  },
  {
    name: 'Slice with run-time axes',
    inputs: { x: f([3, 5, 4]), one: f([1], { noGrad: true }), starts: i64([-3]), ends: i64([BIG]) },
    nodes: [
      { op: 'Shape', inputs: ['one'], outputs: ['os'] },
      { op: 'Neg', inputs: ['os'], outputs: ['axes'] },
      { op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  {
    name: 'Slice with run-time steps (scatter)',
    inputs: { x: f([3, 7]), ...z, starts: i64([-1]), ends: i64([0]), axes: i64([1]) },
    nodes: [
      shapeZ,
      { op: 'Neg', inputs: ['zs'], outputs: ['steps'] },
      { op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes', 'steps'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  {
    name: 'Gather with int32 ids',
    inputs: { table: f([6, 3]), ids: i64([5, 0, 5, -1], [2, 2], false) },
    nodes: [
      { op: 'Cast', inputs: ['ids'], outputs: ['ids32'], attrs: { to: DataType.INT32 } },
      { op: 'Gather', inputs: ['table', 'ids32'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  {
    name: 'Gather q/k/v from a fused projection',
    inputs: { qkv: f([3, 2, 2, 4], { dynamic: false }), i0: i64([0], []), i1: i64([1], []), i2: i64([2], []) },
    nodes: [
      { op: 'Gather', inputs: ['qkv', 'i0'], outputs: ['q'] },
      { op: 'Gather', inputs: ['qkv', 'i1'], outputs: ['k'] },
      { op: 'Gather', inputs: ['qkv', 'i2'], outputs: ['v'] },
    ],
    outputs: ['q', 'k', 'v'],
  },
  {
    name: 'Pad constant with run-time pads',
    inputs: { x: f([3, 4]), ...z, tail: i64([1, 0, 2]) },
    nodes: [
      shapeZ,
      { op: 'Concat', inputs: ['zs', 'tail'], outputs: ['pads'], attrs: { axis: 0 } },
      { op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  {
    name: 'Pad constant with run-time pads and axes (18)',
    opset: 18,
    inputs: { x: f([3, 4]), ...z, tail: i64([-1, 0, 1]), axes: i64([-1, 0]), v: f([]) },
    nodes: [
      shapeZ,
      { op: 'Concat', inputs: ['zs', 'tail'], outputs: ['pads'], attrs: { axis: 0 } },
      { op: 'Pad', inputs: ['x', 'pads', 'v', 'axes'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  {
    name: 'Pad reflect with run-time pads (scatter)',
    inputs: { x: f([3, 4]), ...z, tail: i64([1, 0, 3]) },
    nodes: [
      shapeZ,
      { op: 'Concat', inputs: ['zs', 'tail'], outputs: ['pads'], attrs: { axis: 0 } },
      { op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'reflect' } },
    ],
    outputs: ['y'],
  },
];

describe('shape gradient rules in small graphs', () => {
  it.each(graphCases)('$name', async (c) => expectClose(await graphCheck(c)));
});

describe('shape gradient limitations', () => {
  it('Gather with repeated indices before opset 16 names the limitation', async () => {
    await expect(gradCheck({ name: 'g', op: 'Gather', opset: 13, inputs: [f([4, 3]), i64([1, 1])] })).rejects.toThrow(
      /reduction='add'.*opset 16/,
    );
  });
  it('Gather with run-time indices before opset 16 names the limitation', async () => {
    await expect(
      gradCheck({ name: 'g', op: 'Gather', opset: 13, inputs: [f([4, 3]), i64([1, 2], [2], false)] }),
    ).rejects.toThrow(/run-time indices.*opset 16/);
  });
  it('Slice over a run-time size at opset 10 works: the model is read as opset 11 (graph/upgrade.ts)', async () => {
    const results = await gradCheck({
      name: 's',
      op: 'Slice',
      opset: 10,
      inputs: [f([4, 3], { dynamic: true }), i64([1]), i64([3]), i64([0])],
    });
    for (const r of results) expect(r.relErr).toBeLessThan(1e-2);
  });
  it('reflect Pad with run-time sizes before opset 16 names the limitation', async () => {
    await expect(
      gradCheck({
        name: 'p',
        op: 'Pad',
        opset: 13,
        attrs: { mode: 'reflect' },
        inputs: [f([3, 4], { dynamic: true }), i64([1, 0, 1, 0])],
      }),
    ).rejects.toThrow(/opset 16/);
  });
});
