// Numeric check of a gradient rule: a one-op model, the backward graph our rules emit, and
// central differences of f(x) = Σ_k <Y_k(x), R_k> along random directions, per input.
import { encodeModel } from '../../src/graph/encode.js';
import { parseModel } from '../../src/graph/load.js';
import { DataType, type Dim, type Graph, type Tensor, type ValueInfo } from '../../src/graph/ir.js';
import { GraphBuilder, OpsetTooLowError, type AttrInput } from '../../src/autodiff/builder.js';
import { raiseBlockers, raiseForwardNodes } from '../../src/autodiff/artifact.js';
import { backward } from '../../src/autodiff/engine.js';
import { defaultRegistry } from '../../src/autodiff/rules/index.js';
import { probeShapes } from '../../src/runtime/shapes.js';
import { Session, type Feeds, type HostTensor } from '../../src/runtime/session.js';

export type Init = 'normal' | 'positive' | 'distinct' | 'awayFromZero' | 'unit' | ((i: number) => number);

export interface CaseInput {
  shape: number[];
  /** 'float' (default), 'int64', 'int32' or 'bool'. */
  type?: 'float' | 'int64' | 'int32' | 'bool';
  /** Fixed values (required for int64/int32/bool). */
  values?: number[];
  init?: Init;
  /** Stored as an initializer (a constant: shapes, axes, indices). Constants get no gradient check. */
  constant?: boolean;
  /** First dimension symbolic in the model, as an exported batch axis. */
  dynamic?: boolean;
  /** Float input that is not differentiated (e.g. BatchNormalization statistics). */
  noGrad?: boolean;
}

export interface OpCase {
  name: string;
  op: string;
  opset?: number;
  domain?: string;
  attrs?: Record<string, AttrInput>;
  inputs: (CaseInput | null)[];
  /** Number of outputs to seed (default 1). */
  outputs?: number;
  /** Further outputs the node has, named but not seeded (e.g. BatchNormalization's statistics). */
  unseeded?: number;
  /**
   * Per node output, in order: seeded, named but not seeded, or absent (''); overrides outputs/unseeded
   * (e.g. a recurrent node seeded on Y_h only, or without its Y output).
   */
  outputSpec?: ('seeded' | 'unseeded' | 'absent')[];
  /** Finite-difference step (default 1e-2). */
  eps?: number;
  /** Relative tolerance (default 1e-2). */
  tol?: number;
  /**
   * Build the backward graph as the gradient artifact does: where a rule needs a newer opset than the
   * model's (builder.ts OpsetTooLowError), at that opset, with the forward node in its form (artifact.ts).
   */
  raise?: boolean;
}

export interface CheckResult {
  input: number;
  analytic: number;
  numeric: number;
  relErr: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

function fill(n: number, init: Init, r: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (typeof init === 'function') out[i] = init(i);
    else if (init === 'positive') out[i] = 0.5 + 1.5 * r();
    else if (init === 'unit') out[i] = -0.9 + 1.8 * r();
    else if (init === 'awayFromZero') {
      const v = 0.2 + r();
      out[i] = r() < 0.5 ? -v : v;
    } else out[i] = normal(r);
  }
  if (init === 'distinct') {
    // a random permutation of well-separated values: no ties for max/argmax rules
    const vals = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [vals[i], vals[j]] = [vals[j], vals[i]];
    }
    vals.forEach((v, i) => (out[i] = v));
  }
  return out;
}

type CaseData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

function elemTypeOf(inp: CaseInput): number {
  if (inp.type === 'int64') return DataType.INT64;
  if (inp.type === 'int32') return DataType.INT32;
  return inp.type === 'bool' ? DataType.BOOL : DataType.FLOAT;
}

function tensorOf(name: string, inp: CaseInput, data: CaseData): Tensor {
  const dataType = elemTypeOf(inp);
  return {
    name,
    dataType,
    dims: inp.shape,
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    location: { kind: 'typed' },
  };
}

function dataOf(inp: CaseInput, r: () => number): CaseData {
  const n = inp.shape.reduce((a, b) => a * b, 1);
  if (inp.type === 'int64') return BigInt64Array.from(inp.values!.map((v) => BigInt(v)));
  if (inp.type === 'int32') return Int32Array.from(inp.values!);
  if (inp.type === 'bool') return Uint8Array.from(inp.values!);
  if (inp.values) return Float32Array.from(inp.values);
  return fill(n, inp.init ?? 'normal', r);
}

/** Runs the check; returns one result per differentiable input and direction. */
export async function gradCheck(c: OpCase, seed = 1): Promise<CheckResult[]> {
  const r = rng(seed);
  const fileOpset = c.opset ?? 17;
  const nOut = c.outputs ?? 1;
  const names = c.inputs.map((inp, i) => (inp ? `x${i}` : ''));
  const values = c.inputs.map((inp) => (inp ? dataOf(inp, r) : null));
  const initializers = new Map<string, Tensor>();
  const graphInputs: ValueInfo[] = [];
  c.inputs.forEach((inp, i) => {
    if (!inp) return;
    if (inp.constant) initializers.set(names[i], tensorOf(names[i], inp, values[i]!));
    else
      graphInputs.push({
        name: names[i],
        elemType: elemTypeOf(inp),
        shape: inp.shape.map((d, k): Dim => (k === 0 && inp.dynamic ? 'N' : d)),
      });
  });
  const spec = c.outputSpec;
  const outNames = spec
    ? spec.flatMap((s, k) => (s === 'seeded' ? [`y${k}`] : []))
    : Array.from({ length: nOut }, (_, k) => `y${k}`);
  const b0 = new GraphBuilder(fileOpset, 'case');
  const attrs = c.attrs ?? {};
  const extra = Array.from({ length: c.unseeded ?? 0 }, (_, k) => `unseeded${k}`);
  b0.emit(c.op, names, attrs, spec ? spec.length : nOut + extra.length, c.domain ?? '');
  const node = b0.nodes[0];
  node.outputs = spec
    ? spec.map((s, k) => (s === 'seeded' ? `y${k}` : s === 'unseeded' ? `unseeded${k}` : ''))
    : [...outNames, ...extra];
  const graph: Graph = {
    name: c.name,
    nodes: [node],
    inputs: graphInputs,
    outputs: outNames.map((name) => ({ name, elemType: 0, shape: null })),
    initializers,
    valueInfo: new Map(),
  };
  // parseModel reads opsets 7 to 10 as opset 11 (graph/upgrade.ts): the rules see what scrub's loads give them
  const model = parseModel(encodeModel({ opsetImports: new Map([['', fileOpset]]), graph }), `${c.name}.onnx`);
  const opsets = model.opsetImports;
  const opset = opsets.get('') ?? fileOpset;
  const shapes = await probeShapes(model);

  const wrt = c.inputs.flatMap((inp, i) =>
    inp && !inp.constant && !inp.noGrad && (inp.type ?? 'float') === 'float' ? [names[i]] : [],
  );
  const seedNames = outNames.map((o) => `seed_${o}`);
  let gradOpset = opset;
  let b: GraphBuilder;
  let grads: Map<string, string | null>;
  for (;;) {
    b = new GraphBuilder(gradOpset);
    try {
      grads = backward({
        graph: model.graph,
        opsets,
        shapes,
        registry: defaultRegistry(),
        wrt,
        seeds: new Map(outNames.map((o, k) => [o, seedNames[k]])),
        b,
      });
      break;
    } catch (e) {
      if (!c.raise || !(e instanceof OpsetTooLowError) || e.needed <= gradOpset) throw e;
      if (raiseBlockers(model.graph, shapes, opset, e.needed).length > 0) throw e;
      gradOpset = e.needed;
    }
  }
  const forward = raiseForwardNodes(model.graph.nodes, opset, gradOpset, b);
  const gradOutputs = wrt.map((w) => `grad_${w}`);
  for (const [k, w] of wrt.entries()) {
    const g = grads.get(w) ?? b.zerosLike(w);
    b.nodes.push({
      name: gradOutputs[k],
      opType: 'Identity',
      domain: '',
      inputs: [g],
      outputs: [gradOutputs[k]],
      attrs: {},
    });
  }
  const outShapes = outNames.map((o) => shapes.get(o)!.dims);
  const gradGraph: Graph = {
    ...model.graph,
    nodes: [...forward, ...b.nodes],
    inputs: [...graphInputs, ...seedNames.map((s, k) => ({ name: s, elemType: DataType.FLOAT, shape: outShapes[k] }))],
    outputs: [...outNames, ...gradOutputs].map((name) => ({ name, elemType: 0, shape: null })),
    initializers: new Map([...model.graph.initializers, ...b.initializers]),
  };
  const gradOpsets = new Map([['', gradOpset]]);
  const gradSession = await Session.create(encodeModel({ opsetImports: gradOpsets, graph: gradGraph }), {
    threads: 1,
  });
  const fwdSession = await Session.create(model.bytes, { threads: 1 });
  try {
    const feeds: Feeds = {};
    c.inputs.forEach((inp, i) => {
      if (inp && !inp.constant) feeds[names[i]] = { data: values[i]!, dims: inp.shape };
    });
    const y0 = await fwdSession.run(feeds);
    const seeds = outNames.map((o) => fill(y0[o].data.length, 'normal', r));
    const gfeeds: Feeds = { ...feeds };
    seedNames.forEach((s, k) => (gfeeds[s] = { data: seeds[k], dims: y0[outNames[k]].dims }));
    const g = await gradSession.run(gfeeds);
    const f = async (fd: Feeds) => {
      const out = await fwdSession.run(fd);
      let s = 0;
      outNames.forEach((o, k) => {
        const y = out[o].data as Float32Array;
        for (let i = 0; i < y.length; i++) s += y[i] * seeds[k][i];
      });
      return s;
    };
    const eps = c.eps ?? 1e-2;
    const results: CheckResult[] = [];
    for (const [k, w] of wrt.entries()) {
      const x = feeds[w].data as Float32Array;
      const gw = g[gradOutputs[k]].data as Float32Array;
      if (gw.length !== x.length) throw new Error(`gradient of ${w} has ${gw.length} elements, input has ${x.length}`);
      for (let dir = 0; dir < 2; dir++) {
        const d = fill(x.length, 'normal', r);
        let analytic = 0;
        for (let i = 0; i < x.length; i++) analytic += gw[i] * d[i];
        const shifted = (sign: number): Feeds => ({
          ...feeds,
          [w]: { data: x.map((v, i) => v + sign * eps * d[i]), dims: feeds[w].dims } as HostTensor,
        });
        const numeric = ((await f(shifted(1))) - (await f(shifted(-1)))) / (2 * eps);
        const scale = Math.max(Math.abs(analytic), Math.abs(numeric), 1e-3);
        results.push({
          input: c.inputs.indexOf(c.inputs.find((_, i) => names[i] === w)!),
          analytic,
          numeric,
          relErr: Math.abs(analytic - numeric) / scale,
        });
      }
    }
    return results;
  } finally {
    await gradSession.release();
    await fwdSession.release();
  }
}
