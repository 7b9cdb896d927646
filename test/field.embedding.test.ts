// Embedding tables below opset 16 (issue 15, item 7). The gradient of Gather with run-time ids sums
// the repeats with ScatterND reduction='add' (opset 16): the artifact declares opset 16 where no op of
// the model changes meaning in between (artifact.ts raiseBlockers), else it keeps a one-line refusal.
// A PyTorch 1.13 BERT-style export at opset 14 (from ../shared/field) against its float64 oracle, and
// small embedding models at opsets 11-16 against gradients computed here in float64.
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType, inlineInitializers, type Node, type Tensor } from '../src/graph/ir.js';
import { loadModel, parseModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { Session } from '../src/runtime/session.js';
import { MAX_RAISED_OPSET, raiseBlockers, raiseForwardNodes } from '../src/autodiff/artifact.js';
import { GraphBuilder } from '../src/autodiff/builder.js';
import { FIXTURES, l2, oracle, relL2 } from './support/fixtures.js';

const NAME = 'embedding-gather-opset14';
const COPY = `${FIXTURES}/field/${NAME}`;
const SHARED_CASE = new URL(`../../shared/field/${NAME}`, import.meta.url).pathname;
const DIR = existsSync(`${COPY}/tinybert_1in_op14.onnx`) ? COPY : SHARED_CASE;
const hasCase = existsSync(`${DIR}/tinybert_1in_op14.onnx`);
if (!hasCase) console.log(`field.embedding: skipping the tinybert parity, ${NAME} is in neither ${COPY} nor ../shared`);

describe.skipIf(!hasCase)('a BERT-style model exported at opset 14 (PyTorch 1.13)', () => {
  it('gets every gradient, embedding tables included, within 1e-4 of the float64 oracle', async () => {
    expect(statSync(`${DIR}/tinybert_1in_op14.onnx`).size).toBeLessThan(2_000_000);
    const want = oracle(`${DIR}/expected`);
    const ids = readNpy(`${DIR}/input_ids.npy`);
    const y = readNpy(`${DIR}/y.npy`).data as BigInt64Array;
    const gm = await GradientModel.open(loadModel(`${DIR}/tinybert_1in_op14.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const r = await gm.run({ data: ids.data, dims: ids.shape }, y);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const refs = new Map(want.parameters.map((p) => [p.name, readNpy(`${DIR}/expected/${p.file}`).data]));
      const largest = Math.max(...[...refs.values()].map((v) => l2(v as Float64Array)));
      const errors: Record<string, number> = {};
      for (const p of want.parameters) {
        const ref = refs.get(p.name) as Float64Array;
        const g = r.grads.get(p.name)!;
        // the key biases' true gradient is exactly 0 (softmax ignores them): compare those absolutely
        if (l2(ref) < 1e-12 * largest) {
          errors[p.name] = l2(g) / largest;
          expect(l2(g), p.name).toBeLessThan(1e-6 * largest);
        } else {
          errors[p.name] = relL2(g, ref);
          expect(errors[p.name], p.name).toBeLessThan(1e-4);
        }
      }
      console.log(
        `field.embedding: loss rel err ${(Math.abs(r.loss - want.loss) / want.loss).toExponential(2)}, ` +
          `word.weight ${errors['word.weight'].toExponential(2)}, ` +
          `pos.weight ${errors['pos.weight'].toExponential(2)}, ` +
          `worst ${Math.max(...Object.values(errors)).toExponential(2)}`,
      );
    } finally {
      await gm.release();
    }
  }, 60_000);
});

// ---- small embedding models: ids [N, T] → Gather(table [V, C]) → sum over T → logits [N, C] ----

const N = 3;
const T = 5;
const V = 6;
const C = 4;
// repeated ids within and across rows, one id never used, a negative id (−1 is V − 1)
const IDS = [1, 3, 1, 0, 3, 3, 3, 5, 2, -1, 0, 0, 0, 0, 1];
const LABELS = [2, 0, 3];
const TABLE = Array.from({ length: V * C }, (_, k) => Math.sin(0.7 * k + 0.3) * 0.8);

function tensor(name: string, dataType: number, dims: number[], data: Float32Array | BigInt64Array): Tensor {
  return { name, dataType, dims, bytes: new Uint8Array(data.buffer), location: { kind: 'typed' } };
}

/** The model at `opset`, in that opset's forms; `softmaxAxis` adds a Softmax over [N, T, C] first. */
function embeddingModel(opset: number, softmaxAxis?: number) {
  const nodes: Node[] = [];
  const inits = new Map<string, Tensor>();
  const add = (opType: string, inputs: string[], output: string, attrs: Node['attrs'] = {}) =>
    nodes.push({ name: output, opType, domain: '', inputs, outputs: [output], attrs });
  inits.set('table', tensor('table', DataType.FLOAT, [V, C], Float32Array.from(TABLE)));
  add('Gather', ['table', 'ids'], 'emb');
  let summed = 'emb';
  if (softmaxAxis !== undefined) {
    add('Softmax', ['emb'], 'soft', { axis: { type: 'int', i: softmaxAxis } });
    summed = 'soft';
  }
  // ReduceSum keepdims then Squeeze: attribute axes before 13, inputs from 13 (rewritten when raised)
  const keep: Node['attrs'] = { keepdims: { type: 'int', i: 1 } };
  if (opset >= 13) {
    inits.set('axes', tensor('axes', DataType.INT64, [1], BigInt64Array.from([1n])));
    add('ReduceSum', [summed, 'axes'], 'pooled', keep);
    add('Squeeze', ['pooled', 'axes'], 'logits');
  } else {
    add('ReduceSum', [summed], 'pooled', { ...keep, axes: { type: 'ints', ints: [1] } });
    add('Squeeze', ['pooled'], 'logits', { axes: { type: 'ints', ints: [1] } });
  }
  const bytes = encodeModel({
    irVersion: 7,
    opsetImports: new Map([['', opset]]),
    graph: {
      name: `embedding_op${opset}`,
      nodes,
      inputs: [{ name: 'ids', elemType: DataType.INT64, shape: ['batch', T] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', C] }],
      initializers: inits,
      valueInfo: new Map(),
    },
  });
  return parseModel(bytes, `embedding_op${opset}.onnx`);
}

/** The mean cross-entropy's gradient w.r.t. the table, in float64. */
function expectedTableGrad(): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(V * C);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const z = new Float64Array(C);
    for (let t = 0; t < T; t++) {
      const id = (IDS[n * T + t] + V) % V;
      for (let c = 0; c < C; c++) z[c] += Math.fround(TABLE[id * C + c]);
    }
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const s = e.reduce((a, v) => a + v, 0);
    loss += (Math.log(s) + max - z[LABELS[n]]) / N;
    const dz = e.map((v, c) => (v / s - (c === LABELS[n] ? 1 : 0)) / N);
    for (let t = 0; t < T; t++) {
      const id = (IDS[n * T + t] + V) % V;
      for (let c = 0; c < C; c++) grad[id * C + c] += dz[c];
    }
  }
  return { loss, grad };
}

describe('an embedding table with repeated and run-time ids', () => {
  it.each([11, 12, 13, 14, 15, 16])('at opset %i gets the exact gradient', async (opset) => {
    const gm = await GradientModel.open(embeddingModel(opset), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name)).toEqual(['table']);
      const ids = { data: BigInt64Array.from(IDS.map(BigInt)), dims: [N, T] };
      const r = await gm.run(ids, BigInt64Array.from(LABELS.map(BigInt)));
      const want = expectedTableGrad();
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      const err = relL2(r.grads.get('table')!, want.grad);
      expect(err).toBeLessThan(1e-5);
      // the unused id 4 gets exactly nothing
      expect(Array.from(r.grads.get('table')!.subarray(4 * C, 5 * C))).toEqual([0, 0, 0, 0]);
    } finally {
      await gm.release();
    }
  });

  it('keeps the one-line refusal where an op changes meaning below 16 (Softmax over a middle axis at 11)', async () => {
    const err = await GradientModel.open(embeddingModel(11, 1), { cache: false, threads: 1 }).then(
      async (gm) => {
        await gm.release();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.name).toBe('UnsupportedModelError');
    expect(err?.message).toMatch(/Gather node emb: .*reduction='add', which needs opset 16; the model is at opset 11/);
    expect(err?.message).toMatch(/Softmax node soft \(axis 1 of rank 3\) changed meaning/);
    expect(err?.message.split('\n')).toHaveLength(1);
  });

  it('raises past a Softmax over the last axis (the same at 11 and 16)', async () => {
    const gm = await GradientModel.open(embeddingModel(11, -1), { cache: false, threads: 1 });
    await gm.release();
  });
});

/** The field case lstm-text-opset11, copied from ../shared/field into test/fixtures/field. */
const LSTM = `${FIXTURES}/field/lstm-text-opset11`;

describe('the opset-11 Embedding + LSTM export (field case lstm-text-opset11)', () => {
  it('does not block raising to 16, and its forward pass rewritten at 16 computes the same logits', async () => {
    const model = loadModel(`${LSTM}/text_lstm_op11.onnx`);
    expect(model.opsetImports.get('')).toBe(11);
    const shapes = await probeShapes(model);
    expect(raiseBlockers(model.graph, shapes, 11, MAX_RAISED_OPSET)).toEqual([]);
    const b = new GraphBuilder(MAX_RAISED_OPSET);
    const nodes = raiseForwardNodes(model.graph.nodes, 11, MAX_RAISED_OPSET, b);
    expect(nodes.some((n, k) => n !== model.graph.nodes[k])).toBe(true);
    const graph = {
      ...model.graph,
      nodes,
      initializers: new Map([...inlineInitializers(model.graph), ...b.initializers]),
    };
    const raised = encodeModel({ irVersion: 8, opsetImports: new Map([['', MAX_RAISED_OPSET]]), graph });
    const x = readNpy(`${LSTM}/x.npy`);
    const feeds = { [model.graph.inputs[0].name]: { data: x.data, dims: x.shape } };
    const out = model.graph.outputs[0].name;
    const [s11, s16] = await Promise.all([Session.create(model.bytes), Session.create(raised)]);
    try {
      const [a, c] = [(await s11.run(feeds))[out].data, (await s16.run(feeds))[out].data];
      expect(Array.from(c)).toEqual(Array.from(a));
    } finally {
      await Promise.all([s11.release(), s16.release()]);
    }
  });
});
