// Opsets 7 to 10 read as opset 11 (graph/upgrade.ts, issue 15 item 6): each rewrite of an old op form
// gives, on ONNX Runtime, exactly the outputs of the original file; the forms scrub cannot prove the
// same are refused in one line that names the node; a gradient through an upgraded Pad-2 matches
// central differences of the original file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseOldOpset } from '../src/autodiff/artifact.js';
import { UnsupportedModelError } from '../src/core/errors.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType, type Attr, type Model, type Node, type Tensor, type ValueInfo } from '../src/graph/ir.js';
import { parseModel } from '../src/graph/load.js';
import { changedForms, UPGRADES, upgradeOpset } from '../src/graph/upgrade.js';
import { Session, type Feeds, type HostTensor } from '../src/runtime/session.js';
import { run } from './support/cli.js';
import { gradCheck } from './support/gradcheck.js';

const F = DataType.FLOAT;
const vi = (name: string, shape: number[], elemType: number = F): ValueInfo => ({ name, elemType, shape });
const out = (name: string): ValueInfo => ({ name, elemType: 0, shape: null });
const node = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): Node => ({
  name: opType.toLowerCase(),
  opType,
  domain: '',
  inputs,
  outputs,
  attrs,
});
const ints = (v: number[]): Attr => ({ type: 'ints', ints: v });
const floats = (v: number[]): Attr => ({ type: 'floats', floats: v });
const int = (i: number): Attr => ({ type: 'int', i });
const float = (f: number): Attr => ({ type: 'float', f });
const str = (s: string): Attr => ({ type: 'string', s });

function tensor(name: string, dims: number[], v: number[], dataType: number = F): Tensor {
  const data = dataType === DataType.INT64 ? BigInt64Array.from(v.map(BigInt)) : Float32Array.from(v);
  return { name, dataType, dims, bytes: new Uint8Array(data.buffer), location: { kind: 'typed' } };
}

function model(opset: number, nodes: Node[], inputs: ValueInfo[], outputs: ValueInfo[], inits: Tensor[] = []) {
  return encodeModel({
    irVersion: 4,
    opsetImports: new Map([['', opset]]),
    graph: {
      name: 'g',
      nodes,
      inputs,
      outputs,
      initializers: new Map(inits.map((t) => [t.name, t])),
      valueInfo: new Map(),
    },
  });
}

const seq = (n: number, f = (i: number) => Math.sin(i * 1.7) * 3) => Float32Array.from({ length: n }, (_, i) => f(i));
const x = (dims: number[]): HostTensor => ({ data: seq(dims.reduce((a, b) => a * b, 1)), dims });

async function outputs(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const s = await Session.create(bytes, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** Parses `bytes`, checks the graph was upgraded to 11 and runs like the file; returns the model. */
async function sameOutputs(bytes: Uint8Array, feeds: Feeds): Promise<Model> {
  const m = parseModel(bytes, 'case.onnx');
  expect(m.opsetImports.get('')).toBe(11);
  expect(m.bytes).toBe(bytes);
  const upgraded = encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph });
  const [a, b] = [await outputs(bytes, feeds), await outputs(upgraded, feeds)];
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    expect(b[k].dims, k).toEqual(a[k].dims);
    expect([...b[k].data], k).toEqual([...a[k].data]);
  }
  return m;
}

const ops = (m: Model) => m.graph.nodes.map((n) => n.opType);

function refusal(bytes: Uint8Array): string {
  try {
    parseModel(bytes, 'case.onnx');
  } catch (e) {
    expect(e).toBeInstanceOf(UnsupportedModelError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('not refused');
}

describe('rewrites of old op forms: the same outputs on ONNX Runtime', () => {
  it('Slice-1 (opset 9), with and without axes, negative and past-the-end bounds', async () => {
    const bytes = model(
      9,
      [
        node('Slice', ['x'], ['a'], { starts: ints([0, 1]), ends: ints([1000, -1]), axes: ints([1, 2]) }),
        { ...node('Slice', ['x'], ['b'], { starts: ints([1, -3]), ends: ints([3, 1000]) }), name: 'slice2' },
      ],
      [vi('x', [3, 4, 5])],
      [out('a'), out('b')],
    );
    const m = await sameOutputs(bytes, { x: x([3, 4, 5]) });
    expect(ops(m).filter((o) => o === 'Constant')).toHaveLength(5);
    expect(m.graph.nodes.filter((n) => n.opType === 'Slice').every((n) => Object.keys(n.attrs).length === 0)).toBe(
      true,
    );
  });

  it('Slice-1 with ends INT64_MAX (as exporters write "to the end") reads as INT64_MAX', async () => {
    const bytes = model(
      9,
      [node('Slice', ['x'], ['a'], { starts: ints([1]), ends: ints([2 ** 62]), axes: ints([0]) })],
      [vi('x', [3, 4])],
      [out('a')],
    );
    // patch the encoded 2^62 (varint) into INT64_MAX: 9 bytes of 0xff then 0x7f
    const v62 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    const at = bytes.findIndex((_, i) => v62.every((b, k) => bytes[i + k] === b));
    expect(at).toBeGreaterThan(0);
    const patched = bytes.slice();
    patched.set([...Array<number>(8).fill(0xff), 0x7f], at); // the same length: 63 bits either way
    const m = await sameOutputs(patched, { x: x([3, 4]) });
    const ends = m.graph.nodes.find((n) => n.outputs[0] === 'slice/ends')!.attrs.value;
    expect(ends.type === 'tensor' && new BigInt64Array(ends.t.bytes.slice().buffer)[0]).toBe(2n ** 63n - 1n);
  });

  it.each([
    ['constant, value 1.5, a cropping pad', { mode: str('constant'), pads: ints([0, 1, -1, 2]), value: float(1.5) }],
    ['constant, default value', { pads: ints([1, 0, 0, 2]) }],
    ['reflect', { mode: str('reflect'), pads: ints([0, 2, 0, 3]) }],
    ['edge', { mode: str('edge'), pads: ints([1, 2, 2, 1]) }],
  ])('Pad-2 (opset 10): %s', async (_, attrs) => {
    const bytes = model(10, [node('Pad', ['x'], ['y'], attrs)], [vi('x', [3, 4])], [out('y')]);
    const m = await sameOutputs(bytes, { x: x([3, 4]) });
    const pad = m.graph.nodes.find((n) => n.opType === 'Pad')!;
    expect(Object.keys(pad.attrs)).toEqual('mode' in attrs ? ['mode'] : []);
  });

  it.each([
    ['min and max', { min: float(-1), max: float(0.5) }],
    ['min only', { min: float(-0.25) }],
    ['max only', { max: float(2) }],
    ['no bounds (±FLT_MAX, infinities clipped alike)', {}],
  ])('Clip-6 (opset 8): %s', async (_, attrs) => {
    const bytes = model(8, [node('Clip', ['x'], ['y'], attrs)], [vi('x', [2, 5])], [out('y')]);
    const data = seq(10);
    data[0] = Infinity;
    data[1] = -Infinity;
    await sameOutputs(bytes, { x: { data, dims: [2, 5] } });
  });

  it('TopK-1 (opset 9): values and indices', async () => {
    const bytes = model(
      9,
      [node('TopK', ['x'], ['v', 'i'], { k: int(2), axis: int(1) })],
      [vi('x', [3, 5])],
      [out('v'), vi('i', [3, 2], DataType.INT64)],
    );
    const m = await sameOutputs(bytes, { x: x([3, 5]) });
    expect(m.graph.nodes.find((n) => n.opType === 'TopK')!.inputs).toHaveLength(2);
  });

  it('BatchNormalization-7 spatial=1 (opset 8) drops the attribute', async () => {
    const c = 3;
    const inits = [
      tensor('s', [c], [1.5, 0.5, 2]),
      tensor('b', [c], [0.1, -0.2, 0.3]),
      tensor('mean', [c], [0.2, -0.1, 0]),
      tensor('var', [c], [1, 2, 0.5]),
    ];
    const bytes = model(
      8,
      [node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['y'], { spatial: int(1), epsilon: float(1e-3) })],
      [vi('x', [2, c, 4, 4])],
      [out('y')],
      inits,
    );
    const m = await sameOutputs(bytes, { x: x([2, c, 4, 4]) });
    expect(Object.keys(m.graph.nodes[0].attrs)).toEqual(['epsilon']);
  });

  it.each([
    ['Upsample-7 nearest (opset 8)', 8, 'nearest'],
    ['Upsample-7 linear (opset 7)', 7, 'linear'],
  ])('%s becomes Resize-11', async (_, opset, mode) => {
    const scales = mode === 'linear' ? [1, 1, 2, 2] : [1, 1, 2, 3];
    const bytes = model(
      opset,
      [node('Upsample', ['x'], ['y'], { mode: str(mode), scales: floats(scales) })],
      [vi('x', [1, 2, 3, 4])],
      [out('y')],
    );
    const m = await sameOutputs(bytes, { x: x([1, 2, 3, 4]) });
    expect(ops(m)).toEqual(['Constant', 'Constant', 'Resize']);
  });

  const upsample9 = (opset: number, mode: string, where: string) => {
    const scales = tensor('scales', [4], [1, 1, 2, 2]);
    const nodes = [node('Upsample', ['x', 'scales'], ['y'], { mode: str(mode) })];
    if (where === 'node')
      nodes.unshift(node('Constant', [], ['scales'], { value: { type: 'tensor', t: { ...scales, name: '' } } }));
    return model(opset, nodes, [vi('x', [1, 2, 3, 4])], [out('y')], where === 'init' ? [scales] : []);
  };

  it.each([
    ['Upsample-9 nearest, scales an initializer', 'nearest', 'init'],
    ['Upsample-9 linear, scales a Constant node', 'linear', 'node'],
  ])('%s (opset 9) becomes Resize-11', async (_, mode, where) => {
    const m = await sameOutputs(upsample9(9, mode, where), { x: x([1, 2, 3, 4]) });
    expect(ops(m)).not.toContain('Upsample');
  });

  it.each(['nearest', 'linear'])(
    'Upsample-10 %s (opset 10, which ORT refuses) runs as Upsample-9 does',
    async (mode) => {
      const m = parseModel(upsample9(10, mode, 'init'), 'case.onnx');
      expect(ops(m)).toEqual(['Constant', 'Resize']);
      const upgraded = encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph });
      const feeds = { x: x([1, 2, 3, 4]) };
      const [a, b] = [await outputs(upsample9(9, mode, 'init'), feeds), await outputs(upgraded, feeds)];
      expect([...b.y.data]).toEqual([...a.y.data]);
    },
  );

  it.each([0, 1])('Scatter-9 (opset 9), axis %i, becomes ScatterElements', async (axis) => {
    const bytes = model(
      9,
      [node('Scatter', ['x', 'i', 'u'], ['y'], { axis: int(axis) })],
      [vi('x', [3, 3]), vi('u', [2, 3])],
      [out('y')],
      [tensor('i', [2, 3], [1, 0, 2, 0, 2, 1], DataType.INT64)],
    );
    const m = await sameOutputs(bytes, {
      x: x([3, 3]),
      u: { data: Float32Array.from([9, 8, 7, 6, 5, 4]), dims: [2, 3] },
    });
    expect(ops(m)).toEqual(['ScatterElements']);
  });

  it('Dropout-7 (opset 8) with an unused mask: the mask is dropped', async () => {
    const bytes = model(
      8,
      [node('Dropout', ['x'], ['y', 'mask'], { ratio: float(0.3) })],
      [vi('x', [2, 3])],
      [out('y')],
    );
    const m = await sameOutputs(bytes, { x: x([2, 3]) });
    expect(m.graph.nodes[0].outputs).toEqual(['y']);
  });

  it('a node in a subgraph (If at opset 9) is upgraded too', async () => {
    const branch = (starts: number) => ({
      name: 'b',
      nodes: [
        node('Slice', ['x'], [`s${starts}`], { starts: ints([starts]), ends: ints([starts + 2]), axes: ints([0]) }),
      ],
      inputs: [],
      outputs: [out(`s${starts}`)],
      initializers: new Map(),
      valueInfo: new Map(),
    });
    const bytes = model(
      9,
      [
        node('If', ['c'], ['y'], {
          then_branch: { type: 'graph', g: branch(0) },
          else_branch: { type: 'graph', g: branch(1) },
        }),
      ],
      [vi('x', [4, 2]), vi('c', [], DataType.BOOL)],
      [out('y')],
    );
    for (const c of [0, 1]) await sameOutputs(bytes, { x: x([4, 2]), c: { data: Uint8Array.from([c]), dims: [] } });
  });

  it('ops of opset 11 form and other domains are left alone; opset 11 and newer are untouched', () => {
    const bytes = model(8, [node('Relu', ['x'], ['y'])], [vi('x', [2])], [out('y')]);
    const m = parseModel(bytes, 'case.onnx');
    expect(m.graph.nodes).toEqual([node('Relu', ['x'], ['y'])]);
    expect(m.upgradedFrom).toBe(8);
    const slice13 = model(13, [node('Slice', ['x', 'x', 'x'], ['y'])], [vi('x', [2])], [out('y')]);
    const m13 = parseModel(slice13, 'case.onnx');
    expect(m13.opsetImports.get('')).toBe(13);
    expect(m13.upgradedFrom).toBeUndefined();
  });
});

describe('old op forms scrub cannot prove the same are refused by name', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'BatchNormalization spatial=0',
      model(
        8,
        [node('BatchNormalization', ['x', 's', 's', 's', 's'], ['y'], { spatial: int(0) })],
        [vi('x', [2, 3])],
        [out('y')],
        [tensor('s', [3], [1, 1, 1])],
      ),
      /^case\.onnx: node batchnormalization \(BatchNormalization, opset 8\) has spatial=0 .*opset 9 removed; re-export/,
    ],
    [
      'Resize-10',
      model(
        10,
        [node('Resize', ['x', 'sc'], ['y'])],
        [vi('x', [1, 1, 2, 2])],
        [out('y')],
        [tensor('sc', [4], [1, 1, 2, 2])],
      ),
      new RegExp(
        'node resize \\(Resize, opset 10\\) maps coordinates otherwise.*; ' +
          'convert the model with onnx\\.version_converter\\.convert_version\\(model, 13\\) and try again\\.$',
      ),
    ],
    [
      'OneHot-9',
      model(
        9,
        [node('OneHot', ['i', 'd', 'v'], ['y'])],
        [vi('i', [2], DataType.INT64)],
        [out('y')],
        [tensor('d', [1], [3]), tensor('v', [2], [0, 1])],
      ),
      /node onehot \(OneHot, opset 9\) counts negative indices/,
    ],
    [
      'Upsample with a scale below 1',
      model(
        8,
        [node('Upsample', ['x'], ['y'], { scales: floats([1, 1, 0.5, 0.5]) })],
        [vi('x', [1, 1, 4, 4])],
        [out('y')],
      ),
      /node upsample \(Upsample, opset 8\) has a scale below 1/,
    ],
    [
      'Upsample-9 with run-time scales',
      model(9, [node('Upsample', ['x', 's'], ['y'])], [vi('x', [1, 1, 4, 4]), vi('s', [4])], [out('y')]),
      /node upsample \(Upsample, opset 9\) has scales computed at run time/,
    ],
    [
      'Dropout-7 whose mask is a graph output',
      model(8, [node('Dropout', ['x'], ['y', 'm'])], [vi('x', [2])], [out('y'), out('m')]),
      /node dropout \(Dropout, opset 8\) has its mask m used/,
    ],
    [
      'ConvTranspose with auto_pad SAME_UPPER',
      model(
        9,
        [node('ConvTranspose', ['x', 'w'], ['y'], { auto_pad: str('SAME_UPPER'), strides: ints([2, 2]) })],
        [vi('x', [1, 1, 3, 3])],
        [out('y')],
        [tensor('w', [1, 1, 2, 2], [1, 2, 3, 4])],
      ),
      /node convtranspose \(ConvTranspose, opset 9\) computes its padding from auto_pad SAME_\* or output_shape/,
    ],
    [
      'an op that came in after the model opset (Compress at opset 8)',
      model(8, [node('Compress', ['x', 'x'], ['y'])], [vi('x', [2])], [out('y')]),
      /node compress \(Compress, opset 8\) is not an op of opset 8 \(it came in at opset 9\)/,
    ],
    [
      'an op that came in after the model opset (Erf at opset 8)',
      model(8, [node('Erf', ['x'], ['y'])], [vi('x', [2])], [out('y')]),
      /node erf \(Erf, opset 8\) is not an op of opset 8 \(it came in at opset 9\)/,
    ],
  ];
  it.each(cases)('%s', (_, bytes, message) => {
    expect(refusal(bytes)).toMatch(message);
  });

  it('a changed op missing from the table is refused, never assumed the same', () => {
    const bytes = model(9, [node('Gemm', ['a', 'a', 'c'], ['y'])], [vi('a', [2, 2]), vi('c', [2])], [out('y')]);
    const m = parseModel(bytes, 'case.onnx'); // Gemm-9 is in the table: the same at 11
    expect(m.graph.nodes[0].opType).toBe('Gemm');
    const old: Model = { ...m, opsetImports: new Map([['', 9]]), graph: { ...m.graph, nodes: [...m.graph.nodes] } };
    const table = { ...UPGRADES };
    delete table['Gemm-9'];
    expect(() => upgradeOpset(old, table)).toThrow(
      /^case\.onnx: node gemm \(Gemm, opset 9\) changed meaning or form by opset 11, and scrub has no upgrade for it; /,
    );
  });

  it('the table covers exactly the op forms of opsets 7-10 that differ at 11 (onnx 1.12 schemas)', () => {
    // from /usr/bin/python3, onnx 1.12: every (op, version in force at 7..10) whose version differs at 11,
    // and the deprecated Upsample
    const fromOnnx = [
      ...['ArgMax-1', 'ArgMin-1', 'AveragePool-10', 'AveragePool-7', 'BatchNormalization-7', 'Cast-6', 'Clip-6'],
      ...['Compress-9', 'Concat-4', 'Constant-1', 'Constant-9', 'Conv-1', 'ConvTranspose-1', 'DepthToSpace-1'],
      ...['Dropout-7', 'Equal-7', 'Flatten-1', 'Flatten-9', 'Gather-1', 'Gemm-7', 'Gemm-9', 'Greater-7'],
      ...['Hardmax-1', 'If-1', 'Less-7', 'LogSoftmax-1', 'Loop-1', 'LpPool-2', 'MatMul-1', 'Max-6', 'MaxPool-1'],
      ...['MaxPool-10', 'MaxPool-8', 'MaxUnpool-9', 'Mean-6', 'Min-6', 'NonMaxSuppression-10', 'OneHot-9'],
      ...['PRelu-7', 'Pad-2', 'ReduceL1-1', 'ReduceL2-1', 'ReduceLogSum-1', 'ReduceLogSumExp-1', 'ReduceMax-1'],
      ...['ReduceMean-1', 'ReduceMin-1', 'ReduceProd-1', 'ReduceSum-1', 'ReduceSumSquare-1', 'Resize-10'],
      ...['Scan-8', 'Scan-9', 'Scatter-9', 'Slice-1', 'Slice-10', 'Softmax-1', 'Split-2', 'Squeeze-1', 'Sum-6'],
      ...['TopK-1', 'TopK-10', 'Unsqueeze-1', 'Upsample-10', 'Upsample-7', 'Upsample-9'],
    ].sort();
    expect(fromOnnx).toHaveLength(66);
    expect(changedForms()).toEqual(fromOnnx);
    expect(Object.keys(UPGRADES).sort()).toEqual(fromOnnx);
  });
});

describe('opsets below 7', () => {
  const opset6 = model(6, [node('Relu', ['x'], ['y'])], [vi('x', [1, 3])], [out('y')]);
  const advice = new RegExp(
    'opset 6 is older than 7, the oldest scrub reads; convert it with onnx\\.version_converter\\.convert_version' +
      '\\(model, 13\\) or re-export it with torch\\.onnx\\.export\\(\\.\\.\\., opset_version=17\\)\\.$',
  );

  it('are read as they are and refused where scrub builds its passes', () => {
    const m = parseModel(opset6, 'old.onnx');
    expect(m.opsetImports.get('')).toBe(6);
    expect(() => refuseOldOpset(m)).toThrow(advice);
  });

  it('scrub inspect refuses one in one line naming the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'scrub-opset6-')), 'old.onnx');
    writeFileSync(path, opset6);
    const r = await run('inspect', path);
    expect(r.code).toBe(3);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(advice);
    expect(r.err).toContain(path);
  });
});

describe('gradient through an upgraded old form', () => {
  it.each([
    ['Pad-2 reflect', 'Pad', 10, { mode: 'reflect', pads: [0, 1, 0, 2] }],
    ['Pad-2 constant with a value', 'Pad', 8, { pads: [1, 0, 2, 1], value: 0.5 }],
    ['Slice-1', 'Slice', 9, { starts: [1, 0], ends: [3, -1], axes: [0, 1] }],
  ])('%s (%s, opset %i) matches central differences of the original file', async (name, op, opset, attrs) => {
    const results = await gradCheck({ name, op, opset, attrs, inputs: [{ shape: [4, 5] }] });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.relErr, JSON.stringify(r)).toBeLessThan(1e-2);
  });
});
