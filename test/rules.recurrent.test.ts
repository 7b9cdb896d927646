// LSTM, GRU and RNN gradient rules: central differences of one-node models (forward, reverse and
// bidirectional; with and without initial states, B and sequence_lens; seeds on some outputs; static
// sequence lengths, unrolled, and dynamic ones, as Loops), the forms the rules refuse, and parity with
// PyTorch's float64 gradients on the zoo's text_lstm (bidirectional LSTM) and the field case lstm-text-opset11.
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { GraphBuilder } from '../src/autodiff/builder.js';
import type { GradContext } from '../src/autodiff/registry.js';
import { gru14 } from '../src/autodiff/rules/gru.js';
import { lstm14 } from '../src/autodiff/rules/lstm.js';
import { rnn14 } from '../src/autodiff/rules/rnn.js';
import type { Node } from '../src/graph/ir.js';
import { gradCheck, type CaseInput, type OpCase } from './support/gradcheck.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

type Kind = 'LSTM' | 'GRU' | 'RNN';
type Spec = 'seeded' | 'unseeded' | 'absent';

interface Rec {
  T: number;
  B?: number;
  I?: number;
  H?: number;
  dir?: 'forward' | 'reverse' | 'bidirectional';
  bias?: boolean;
  h0?: boolean;
  c0?: boolean;
  lens?: number[];
  layout?: 0 | 1;
  lbr?: 0 | 1;
  opset?: number;
  outputs?: Spec[];
  /** X's first axis (the sequence, in layout 0) symbolic. */
  dynamicSeq?: boolean;
  activations?: string[];
  attrs?: OpCase['attrs'];
  peephole?: boolean;
}

const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };

/** Weights uniform in ±0.5 (a fixed hash of the index, salted per input). */
const weights =
  (salt: number) =>
  (i: number): number => {
    const v = Math.sin(i * 12.9898 + salt * 78.233) * 43758.5453;
    return v - Math.floor(v) - 0.5;
  };

function rec(kind: Kind, name: string, o: Rec): OpCase {
  const { T, B = 3, I = 3, H = 4, dir = 'forward' } = o;
  const D = dir === 'bidirectional' ? 2 : 1;
  const G = GATES[kind];
  const inputs: (CaseInput | null)[] = [
    { shape: [T, B, I], init: 'unit', dynamic: o.dynamicSeq },
    { shape: [D, G * H, I], init: weights(1) },
    { shape: [D, G * H, H], init: weights(2) },
    o.bias ? { shape: [D, 2 * G * H], init: weights(3) } : null,
    o.lens ? { shape: [B], type: 'int32', values: o.lens } : null,
    o.h0 ? { shape: [D, B, H] } : null,
    kind === 'LSTM' && o.c0 ? { shape: [D, B, H] } : null,
    o.peephole ? { shape: [D, 3 * H], init: 'unit' } : null,
  ];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  const attrs: OpCase['attrs'] = { hidden_size: H, direction: dir, ...o.attrs };
  if (o.layout !== undefined) attrs.layout = o.layout;
  if (o.lbr !== undefined) attrs.linear_before_reset = o.lbr;
  if (o.activations) attrs.activations = { type: 'strings', strings: o.activations };
  const outputSpec = o.outputs ?? Array<Spec>(kind === 'LSTM' ? 3 : 2).fill('seeded');
  // A smaller step than the default 1e-2: the recurrence compounds curvature, and the central difference's
  // O(eps²) error reaches a few percent at 1e-2 (it falls ~10x per 3x smaller step, as it should).
  return { name: `${kind} ${name}`, op: kind, opset: o.opset ?? 14, attrs, inputs, outputSpec, eps: 3e-3 };
}

const DIRS = ['forward', 'reverse', 'bidirectional'] as const;

const lstmCases: OpCase[] = [
  ...DIRS.flatMap((dir) => [
    rec('LSTM', `${dir}, all inputs`, { T: 4, dir, bias: true, h0: true, c0: true }),
    rec('LSTM', `${dir}, no B or states`, { T: 3, dir }),
    rec('LSTM', `${dir}, sequence_lens`, { T: 4, dir, bias: true, h0: true, c0: true, lens: [4, 2, 1] }),
    rec('LSTM', `${dir}, sequence_lens all shorter, no states`, { T: 5, dir, bias: true, lens: [3, 1, 2] }),
    rec('LSTM', `${dir}, length 1`, { T: 1, dir, bias: true, h0: true, c0: true }),
  ]),
  rec('LSTM', 'opset 7 form (read at 11)', { T: 3, opset: 9, dir: 'bidirectional', bias: true, h0: true, c0: true }),
  rec('LSTM', 'length 1, sequence_lens', { T: 1, dir: 'bidirectional', h0: true, c0: true, lens: [1, 1, 1] }),
  // a row of length 0: ONNX Runtime gives it zeros in Y, Y_h and Y_c (not its initial state)
  rec('LSTM', 'sequence_lens with an empty row', {
    T: 4,
    dir: 'bidirectional',
    bias: true,
    h0: true,
    c0: true,
    lens: [0, 2, 4],
  }),
  rec('LSTM', 'explicit default activations', {
    T: 3,
    dir: 'bidirectional',
    bias: true,
    activations: ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Tanh'],
  }),
  // seeds on some outputs only, or Y absent (the rule then runs the node again for Y)
  rec('LSTM', 'seed on Y only', {
    T: 3,
    dir: 'bidirectional',
    bias: true,
    h0: true,
    c0: true,
    outputs: ['seeded', 'unseeded', 'unseeded'],
  }),
  rec('LSTM', 'seed on Y_h only, Y absent', {
    T: 4,
    dir: 'bidirectional',
    bias: true,
    h0: true,
    c0: true,
    lens: [4, 1, 3],
    outputs: ['absent', 'seeded'],
  }),
  rec('LSTM', 'seed on Y_c only', {
    T: 3,
    dir: 'reverse',
    bias: true,
    h0: true,
    c0: true,
    outputs: ['unseeded', 'unseeded', 'seeded'],
  }),
  rec('LSTM', 'seed on Y_c only, sequence_lens', {
    T: 4,
    dir: 'forward',
    h0: true,
    c0: true,
    lens: [2, 4, 1],
    outputs: ['absent', 'absent', 'seeded'],
  }),
];

const gruCases: OpCase[] = [0, 1].flatMap((lbr) => [
  ...DIRS.flatMap((dir) => [
    rec('GRU', `lbr ${lbr}, ${dir}, all inputs`, { T: 4, dir, lbr: lbr as 0 | 1, bias: true, h0: true }),
    rec('GRU', `lbr ${lbr}, ${dir}, no B or initial_h`, { T: 3, dir, lbr: lbr as 0 | 1 }),
    rec('GRU', `lbr ${lbr}, ${dir}, sequence_lens`, {
      T: 4,
      dir,
      lbr: lbr as 0 | 1,
      bias: true,
      h0: true,
      lens: [4, 2, 1],
    }),
    // with initial_h: without it, R's directional derivatives here fall to ~1e-3, where float32 noise rules
    rec('GRU', `lbr ${lbr}, ${dir}, sequence_lens all shorter`, {
      T: 5,
      dir,
      lbr: lbr as 0 | 1,
      bias: true,
      h0: true,
      lens: [3, 1, 2],
    }),
    rec('GRU', `lbr ${lbr}, ${dir}, length 1`, { T: 1, dir, lbr: lbr as 0 | 1, bias: true, h0: true }),
  ]),
  rec('GRU', `lbr ${lbr}, seed on Y_h only, Y absent`, {
    T: 4,
    dir: 'bidirectional',
    lbr: lbr as 0 | 1,
    bias: true,
    h0: true,
    lens: [3, 4, 1],
    outputs: ['absent', 'seeded'],
  }),
  rec('GRU', `lbr ${lbr}, seed on Y only`, {
    T: 3,
    dir: 'reverse',
    lbr: lbr as 0 | 1,
    bias: true,
    h0: true,
    outputs: ['seeded'],
  }),
  rec('GRU', `lbr ${lbr}, sequence_lens with an empty row`, {
    T: 4,
    dir: 'bidirectional',
    lbr: lbr as 0 | 1,
    bias: true,
    h0: true,
    lens: [0, 2, 4],
  }),
  rec('GRU', `lbr ${lbr}, opset 7 form`, {
    T: 3,
    dir: 'bidirectional',
    lbr: lbr as 0 | 1,
    bias: true,
    h0: true,
    opset: 11,
  }),
]);

const rnnCases: OpCase[] = [
  ...DIRS.flatMap((dir) => [
    rec('RNN', `${dir}, all inputs`, { T: 4, dir, bias: true, h0: true }),
    rec('RNN', `${dir}, no B or initial_h`, { T: 3, dir }),
    rec('RNN', `${dir}, sequence_lens`, { T: 4, dir, bias: true, h0: true, lens: [4, 2, 1] }),
    rec('RNN', `${dir}, sequence_lens all shorter`, { T: 5, dir, bias: true, lens: [3, 1, 2] }),
    rec('RNN', `${dir}, length 1`, { T: 1, dir, bias: true, h0: true }),
  ]),
  rec('RNN', 'seed on Y_h only, Y absent', {
    T: 4,
    dir: 'bidirectional',
    bias: true,
    h0: true,
    lens: [2, 4, 3],
    outputs: ['absent', 'seeded'],
  }),
  rec('RNN', 'seed on Y only', { T: 3, dir: 'forward', bias: true, outputs: ['seeded'] }),
  rec('RNN', 'sequence_lens with an empty row', { T: 4, dir: 'bidirectional', bias: true, h0: true, lens: [0, 2, 4] }),
  rec('RNN', 'opset 7 form', { T: 3, dir: 'reverse', bias: true, h0: true, opset: 8 }),
];

// X's first axis (the sequence) symbolic: the chains run as ONNX Loops instead of unrolled.
const dynamicCases: OpCase[] = DIRS.flatMap((dir) => [
  rec('LSTM', `dynamic length, ${dir}, all inputs`, { T: 4, dir, bias: true, h0: true, c0: true, dynamicSeq: true }),
  rec('LSTM', `dynamic length, ${dir}, no B or states`, { T: 3, dir, dynamicSeq: true }),
  rec('LSTM', `dynamic length, ${dir}, sequence_lens`, {
    T: 4,
    dir,
    bias: true,
    h0: true,
    c0: true,
    lens: [0, 2, 4],
    dynamicSeq: true,
  }),
  rec('LSTM', `dynamic length, ${dir}, length 1`, { T: 1, dir, bias: true, h0: true, c0: true, dynamicSeq: true }),
  ...[0, 1].flatMap((lbr) => [
    rec('GRU', `dynamic length, lbr ${lbr}, ${dir}, all inputs`, {
      T: 4,
      dir,
      lbr: lbr as 0 | 1,
      bias: true,
      h0: true,
      dynamicSeq: true,
    }),
    rec('GRU', `dynamic length, lbr ${lbr}, ${dir}, sequence_lens`, {
      T: 5,
      dir,
      lbr: lbr as 0 | 1,
      bias: true,
      h0: true,
      lens: [3, 1, 5],
      dynamicSeq: true,
    }),
  ]),
  rec('RNN', `dynamic length, ${dir}, all inputs`, { T: 4, dir, bias: true, h0: true, dynamicSeq: true }),
  rec('RNN', `dynamic length, ${dir}, sequence_lens`, {
    T: 4,
    dir,
    bias: true,
    h0: true,
    lens: [4, 0, 2],
    dynamicSeq: true,
  }),
]);

const dynamicSeeds: OpCase[] = [
  rec('LSTM', 'dynamic length, seed on Y_h only, Y absent', {
    T: 4,
    dir: 'bidirectional',
    bias: true,
    h0: true,
    c0: true,
    lens: [4, 1, 3],
    outputs: ['absent', 'seeded'],
    dynamicSeq: true,
  }),
  rec('LSTM', 'dynamic length, seed on Y_c only', {
    T: 3,
    dir: 'reverse',
    h0: true,
    c0: true,
    outputs: ['unseeded', 'unseeded', 'seeded'],
    dynamicSeq: true,
  }),
  rec('GRU', 'dynamic length, seed on Y only', {
    T: 3,
    dir: 'bidirectional',
    lbr: 1,
    bias: true,
    outputs: ['seeded'],
    dynamicSeq: true,
  }),
];

const check = async (c: OpCase) => {
  const results = await gradCheck(c);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
};

describe('LSTM gradient rule', () => {
  it.each(lstmCases)('$name', check);
});

describe('GRU gradient rule', () => {
  it.each(gruCases)('$name', check);
});

describe('RNN gradient rule', () => {
  it.each(rnnCases)('$name', check);
});

describe('recurrent gradient rules, dynamic sequence length (Loop)', () => {
  it.each([...dynamicCases, ...dynamicSeeds])('$name', check);
});

const refusals: { name: string; c: OpCase; msg: RegExp }[] = [
  {
    name: 'LSTM, other activations',
    c: rec('LSTM', 'acts', { T: 2, activations: ['Sigmoid', 'Relu', 'Tanh'] }),
    msg: /default activations/,
  },
  {
    name: 'GRU, other activations',
    c: rec('GRU', 'acts', { T: 2, activations: ['HardSigmoid', 'Tanh'] }),
    msg: /default activations/,
  },
  { name: 'RNN, Relu', c: rec('RNN', 'relu', { T: 2, activations: ['Relu'] }), msg: /default activations/ },
  { name: 'LSTM, clip', c: rec('LSTM', 'clip', { T: 2, attrs: { clip: 3.5 } }), msg: /clip/ },
  { name: 'GRU, clip', c: rec('GRU', 'clip', { T: 2, attrs: { clip: 3.5 } }), msg: /clip/ },
  { name: 'RNN, clip', c: rec('RNN', 'clip', { T: 2, attrs: { clip: 3.5 } }), msg: /clip/ },
  { name: 'LSTM, input_forget 1', c: rec('LSTM', 'if', { T: 2, attrs: { input_forget: 1 } }), msg: /input_forget/ },
  { name: 'LSTM, peepholes P', c: rec('LSTM', 'p', { T: 2, bias: true, peephole: true }), msg: /peephole/ },
];

describe('recurrent forms the rules refuse', () => {
  it.each(refusals)('$name', async ({ c, msg }) => {
    await expect(gradCheck(c)).rejects.toThrow(msg);
  });

  // ONNX Runtime's CPU kernels do not load layout 1, so no one-node model can run: the rules are called directly.
  it.each([
    ['LSTM', lstm14],
    ['GRU', gru14],
    ['RNN', rnn14],
  ] as const)('%s, layout 1', (op, rule) => {
    const inputs = ['x', 'w', 'r'];
    const node: Node = {
      name: 'n',
      opType: op,
      domain: '',
      inputs,
      outputs: ['y'],
      attrs: { layout: { type: 'int', i: 1 } },
    };
    const ctx: GradContext = {
      node,
      opset: 14,
      b: new GraphBuilder(14),
      x: (i) => inputs[i] ?? '',
      y: (i) => node.outputs[i] ?? '',
      dy: (i) => (i === 0 ? 'dy' : null),
      needs: (i) => i < 3,
      shape: () => [],
      dtype: () => 1,
      constant: () => undefined,
      reduceTo: (g) => g,
    };
    expect(() => rule.grad(ctx)).toThrow(/layout 1/);
  });
});

/** The field case lstm-text-opset11 (copied from ../shared/field): dynamic batch and sequence length. */
const LSTM11 = `${FIXTURES}/field/lstm-text-opset11`;

describe('field/lstm-text-opset11 (dynamic sequence length) against PyTorch', () => {
  it('matches the loss and every parameter gradient', async () => {
    const want = oracle(`${LSTM11}/expected`);
    const gm = await GradientModel.open(loadModel(`${LSTM11}/text_lstm_op11.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const x = readNpy(`${LSTM11}/x.npy`);
      const r = await gm.run({ data: x.data, dims: x.shape }, readNpy(`${LSTM11}/y.npy`).data as BigInt64Array);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${LSTM11}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });
});

describe('text_lstm (zoo: embedding, bidirectional LSTM) against PyTorch', () => {
  it('matches the loss and every parameter gradient', async () => {
    const dir = `${FIXTURES}/zoo/text_lstm.grad`;
    const want = oracle(dir);
    const gm = await GradientModel.open(loadModel(`${FIXTURES}/zoo/text_lstm.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name)).toEqual(want.parameters.map((p) => p.name));
      const x = readNpy(`${FIXTURES}/zoo/text_lstm/x.npy`);
      const y = readNpy(`${FIXTURES}/zoo/text_lstm/y.npy`);
      const r = await gm.run({ data: x.data as BigInt64Array, dims: x.shape }, y.data as BigInt64Array);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${dir}/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });
});
