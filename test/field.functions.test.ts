// Model-local functions (issue 15, item 5): the PyTorch dynamo exporter's layout, copied from
// ../shared/field/dynamo-local-functions into test/fixtures/field, is inlined on load; gradients
// match the float64 oracle in expected/, `scrub inspect` runs, and a written model keeps every byte
// outside the edited tensor (functions included). A hand-built model checks the inliner itself:
// nested calls, attribute references and defaults, fresh names, opset conflicts and recursion.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../src/core/errors.js';
import { readNpy } from '../src/data/npy.js';
import { decodeModel } from '../src/graph/decode.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType, tensorToFloat32, type Attr, type Graph, type LocalFunction, type Node } from '../src/graph/ir.js';
import { loadModel, parseModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { Session } from '../src/runtime/session.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2, changedBytes } from './support/fixtures.js';

const DIR = `${FIXTURES}/field/dynamo-local-functions`;
const MODEL = `${DIR}/model.onnx`;

async function forward(model: Uint8Array | string, feeds: Record<string, Float32Array>, dims: number[]) {
  const s = await Session.create(model, { threads: 1 });
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, data]) => [k, { data, dims }]));
    const out = await s.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await s.release();
  }
}

describe('dynamo local functions (field case)', () => {
  it('inlines the functions: plain ONNX nodes, no function domains left', () => {
    const m = loadModel(MODEL);
    expect(m.graph.nodes.map((n) => n.opType).sort()).toEqual(
      ['Add', 'Add', 'MatMul', 'MatMul', 'Relu', 'Transpose', 'Transpose'].sort(),
    );
    expect(m.graph.nodes.every((n) => n.domain === '')).toBe(true);
    expect([...m.opsetImports.keys()]).toEqual(['']);
    expect(new Set(m.graph.nodes.map((n) => n.name)).size).toBe(m.graph.nodes.length);
  });

  it('matches the float64 gradients of expected/', async () => {
    const want = oracle(`${DIR}/expected`);
    const gm = await GradientModel.open(loadModel(MODEL), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name)).toEqual(want.parameters.map((p) => p.name));
      const x = readNpy(`${DIR}/x.npy`);
      const y = readNpy(`${DIR}/y.npy`).data as BigInt64Array;
      const r = await gm.run({ data: x.data as Float32Array, dims: x.shape }, y);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${DIR}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });

  it('scrub inspect exits 0 and lists the four parameters', async () => {
    const r = await run('inspect', MODEL, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.parameters.map((p: { name: string }) => p.name)).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    expect(report.missingRules).toEqual([]);
  });

  it('writes an edited model byte for byte outside the edited tensor, functions kept', async () => {
    const model = loadModel(MODEL);
    const t = model.graph.initializers.get('fc2.bias')!;
    const edited = tensorToFloat32(t).map((v) => v + 1);
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-fn-')), 'edited.onnx');
    writeModel(model, out, new Map([['fc2.bias', edited]]));
    const before = readFileSync(MODEL);
    const after = readFileSync(out);
    expect(after.length).toBe(before.length);
    const { inside, outside } = changedBytes(before, after, t.location as { offset: number; length: number });
    expect(outside, 'bytes changed outside fc2.bias').toBe(0);
    expect(inside).toBeGreaterThan(0);
    expect(tensorToFloat32(loadModel(out).graph.initializers.get('fc2.bias')!)).toEqual(edited);
    // ONNX Runtime runs both files with their functions natively: every logit moves by 1.
    const x = readNpy(`${DIR}/x.npy`);
    const [a, b] = [
      await forward(MODEL, { l_x_: x.data as Float32Array }, x.shape),
      await forward(out, { l_x_: x.data as Float32Array }, x.shape),
    ];
    a.fc2_1.forEach((v, i) => expect(b.fc2_1[i] - v).toBeCloseTo(1, 4));
  });

  it('the inlined graph runs on ONNX Runtime like the original with its functions', async () => {
    const m = loadModel(MODEL);
    const inlined = encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph: m.graph });
    const x = readNpy(`${DIR}/x.npy`);
    const feeds = { l_x_: x.data as Float32Array };
    const [a, b] = [await forward(MODEL, feeds, x.shape), await forward(inlined, feeds, x.shape)];
    expect(relL2(b.fc2_1, a.fc2_1)).toBeLessThan(1e-6);
  });
});

// ---- a hand-built model: nested function, attribute references, defaults ----

const vi = (name: string) => ({ name, elemType: DataType.FLOAT, shape: [2, 3] });
const node = (opType: string, inputs: string[], outputs: string[], extra: Partial<Node> = {}): Node => ({
  name: '',
  opType,
  domain: '',
  inputs,
  outputs,
  attrs: {},
  ...extra,
});
const f32 = (f: number): Attr => ({ type: 'float', f });

function fn(name: string, inputs: string[], outputs: string[], nodes: Node[], extra: Partial<LocalFunction> = {}) {
  return {
    name,
    domain: 'custom',
    overload: '',
    inputs,
    outputs,
    attributes: [],
    attrDefaults: {},
    nodes,
    opsetImports: new Map([
      ['', 18],
      ['custom', 1],
    ]),
    ...extra,
  } satisfies LocalFunction;
}

/** Inner(x; alpha = 0.3) = LeakyRelu(x, alpha) + x, internal value named `h` like a graph value. */
const INNER = fn(
  'Inner',
  ['x'],
  ['y'],
  [node('LeakyRelu', ['x'], ['h'], { refAttrs: { alpha: { ref: 'alpha', type: 1 } } }), node('Add', ['h', 'x'], ['y'])],
  { attrDefaults: { alpha: f32(0.3) } },
);
/** Outer(a, b; alpha, perm) = Inner(a; alpha) @ Transpose(b, perm)ᵀ-ish, nesting Inner. */
const OUTER = fn(
  'Outer',
  ['a', 'b'],
  ['c'],
  [
    node('Inner', ['a'], ['t'], { name: 'inner', domain: 'custom', refAttrs: { alpha: { ref: 'alpha', type: 1 } } }),
    node('Transpose', ['b'], ['bt'], { refAttrs: { perm: { ref: 'perm', type: 7 } } }),
    node('Mul', ['t', 'b'], ['m']),
    node('Transpose', ['bt'], ['btt'], { refAttrs: { perm: { ref: 'perm', type: 7 } } }),
    node('Add', ['m', 'btt'], ['c']),
  ],
  { attributes: ['alpha', 'perm'] },
);

function handBuilt(functions: LocalFunction[], opset = 18): Uint8Array {
  const graph: Graph = {
    name: 'g',
    nodes: [
      node('Relu', ['X'], ['h'], { name: 'relu' }),
      node('Outer', ['h', 'B'], ['out1'], {
        name: 'outer',
        domain: 'custom',
        attrs: { alpha: f32(0.1), perm: { type: 'ints', ints: [0, 1] } },
      }),
      node('Inner', ['X'], ['out2'], { domain: 'custom' }), // default alpha, no node name
      node('Inner', ['out2'], ['out3'], { domain: 'custom', attrs: { alpha: f32(2) } }),
    ],
    inputs: [vi('X'), vi('B')],
    outputs: [vi('out1'), vi('out2'), vi('out3')],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  return encodeModel({
    irVersion: 8,
    opsetImports: new Map([
      ['', opset],
      ['custom', 1],
    ]),
    graph,
    functions,
  });
}

describe('inlining local functions (hand-built model)', () => {
  const X = Float32Array.from([-1, 2, -3, 4, -0.5, 0.25]);
  const B = Float32Array.from([0.5, -1, 1.5, 2, -2.5, 3]);

  it('inlines nested calls with attribute references; ORT gives the same outputs as with functions', async () => {
    const bytes = handBuilt([OUTER, INNER]);
    const m = parseModel(bytes, 'hand.onnx');
    expect(m.graph.nodes.map((n) => n.opType)).toEqual([
      'Relu',
      'LeakyRelu',
      'Add',
      'Transpose',
      'Mul',
      'Transpose',
      'Add',
      'LeakyRelu',
      'Add',
      'LeakyRelu',
      'Add',
    ]);
    const leaky = m.graph.nodes.filter((n) => n.opType === 'LeakyRelu').map((n) => n.attrs.alpha);
    expect(leaky.map((a) => (a as { f: number }).f)).toEqual([Math.fround(0.1), Math.fround(0.3), Math.fround(2)]);
    expect(m.graph.nodes[3].attrs.perm).toEqual({ type: 'ints', ints: [0, 1] });
    expect(m.graph.nodes.every((n) => !n.refAttrs)).toBe(true);
    // fresh, unique names; the function's `h` does not capture the graph's `h`
    const outs = m.graph.nodes.flatMap((n) => n.outputs);
    expect(new Set(outs).size).toBe(outs.length);
    expect(outs).toContain('outer/inner/h');
    expect(m.graph.nodes[1].inputs).toEqual(['h']);
    expect(new Set(m.graph.nodes.map((n) => n.name)).size).toBe(m.graph.nodes.length);
    expect([...m.opsetImports]).toEqual([['', 18]]);

    const inlined = encodeModel({ irVersion: 8, opsetImports: m.opsetImports, graph: m.graph });
    const [a, b] = [await forward(bytes, { X, B }, [2, 3]), await forward(inlined, { X, B }, [2, 3])];
    for (const k of ['out1', 'out2', 'out3']) expect(Array.from(b[k]), k).toEqual(Array.from(a[k]));
    // and by hand: out2 = leaky(X, 0.3) + X
    const leaky3 = (v: number, al: number) => (v < 0 ? al * v : v) + v;
    Array.from(X).forEach((v, i) => expect(b.out2[i]).toBeCloseTo(leaky3(v, 0.3), 6));
  });

  it('refuses, in one line, a function that needs another opset version', () => {
    const old = { ...INNER, opsetImports: new Map([['', 17]]) };
    expect(() => parseModel(handBuilt([OUTER, old]), 'hand.onnx')).toThrow(UnsupportedModelError);
    expect(() => parseModel(handBuilt([OUTER, old]), 'hand.onnx')).toThrow(
      /^hand\.onnx: local function custom:Inner needs opset 17 of domain 'ai\.onnx', the model imports 18;[^\n]*$/,
    );
  });

  it('refuses a function that calls itself', () => {
    const loop = fn('Inner', ['x'], ['y'], [node('Inner', ['x'], ['y'], { domain: 'custom' })]);
    expect(() => parseModel(handBuilt([OUTER, loop]), 'hand.onnx')).toThrow(/calls itself/);
  });

  it('round-trips functions through the codec', () => {
    const bytes = handBuilt([OUTER, INNER]);
    const d = decodeModel(bytes);
    expect(d.functions.map((f) => f.name)).toEqual(['Outer', 'Inner']);
    expect(d.functions[0].nodes[1].refAttrs).toEqual({ perm: { ref: 'perm', type: 7 } });
    expect(d.functions[1].attrDefaults.alpha).toEqual(f32(Math.fround(0.3)));
    expect(encodeModel({ ...d, functions: d.functions })).toEqual(bytes);
  });
});
