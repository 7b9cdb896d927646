// Every head's loss by central differences (issue 15, item 1): for logits, a Softmax output, a
// LogSoftmax output, a single logit (and a Sigmoid of one), a Sigmoid over several labels and logits
// chosen as multi-label, the directional derivative of the loss GradientModel computes, along a random
// direction over the last layer's parameters (the head's loss is smooth there; earlier ones sit behind
// ReLU kinks that central differences straddle), equals ⟨gradient, direction⟩.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialWeights } from '../src/context/index.js';
import { Rng } from '../src/core/rng.js';
import type { HostTensor } from '../src/core/tensor.js';
import { readNpy } from '../src/data/npy.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel, type LossFeeds } from '../src/runtime/gradient.js';
import { FIXTURES } from './support/fixtures.js';

const DIR = mkdtempSync(join(tmpdir(), 'scrub-heads-'));

/** `path` with `op` (over axis 1) appended to its first output, which becomes the only output `name`. */
function withHeadOp(path: string, op: 'LogSoftmax' | 'Sigmoid', name: string): string {
  const m = loadModel(path);
  const g = m.graph;
  const out = g.outputs[0];
  const attrs = op === 'LogSoftmax' ? { axis: { type: 'int' as const, i: 1 } } : {};
  const nodes = [
    ...g.nodes,
    { name: `head/${op}`, opType: op, domain: '', inputs: [out.name], outputs: [name], attrs },
  ];
  const file = join(DIR, `${op}-${path.split('/').pop()}`);
  const graph = { ...g, nodes, outputs: [{ ...out, name, elemType: DataType.FLOAT }] };
  writeFileSync(file, encodeModel({ irVersion: m.irVersion, opsetImports: m.opsetImports, graph }));
  return file;
}

const npy = (p: string) => readNpy(p);
const tensor = (p: string): HostTensor => {
  const a = npy(p);
  return { data: a.data, dims: a.shape };
};
const FIELD = `${FIXTURES}/field`;
const ML = `${FIXTURES}/multilabel`;
const multiHot = () => ({ targets: Float32Array.from(npy(`${ML}/y.npy`).data as BigInt64Array, Number) });

const LAST = /^(fc2\.|l2\.|sequential_1\/dense_2_1\/)/;
const CASES: [string, () => string, string, HostTensor, () => LossFeeds | BigInt64Array, boolean][] = [
  ['logits', () => `${FIXTURES}/models/cnn.onnx`, 'logits', tensor(`${FIXTURES}/batch/x.npy`), () => labels64(), false],
  [
    'a Softmax output (tf2onnx)',
    () => `${FIELD}/softmax-output-tf2onnx/model.onnx`,
    'softmax',
    tensor(`${FIELD}/softmax-output-tf2onnx/x.npy`),
    () => npy(`${FIELD}/softmax-output-tf2onnx/y.npy`).data as BigInt64Array,
    false,
  ],
  [
    'a LogSoftmax output',
    () => withHeadOp(`${FIXTURES}/models/cnn.onnx`, 'LogSoftmax', 'logp'),
    'log-softmax',
    tensor(`${FIXTURES}/batch/x.npy`),
    () => labels64(),
    false,
  ],
  [
    'a single logit',
    () => `${FIELD}/binary-single-logit/model.onnx`,
    'binary',
    tensor(`${FIELD}/binary-single-logit/x.npy`),
    () => npy(`${FIELD}/binary-single-logit/y.npy`).data as BigInt64Array,
    false,
  ],
  [
    'a Sigmoid of a single logit',
    () => withHeadOp(`${FIELD}/binary-single-logit/model.onnx`, 'Sigmoid', 'p'),
    'binary',
    tensor(`${FIELD}/binary-single-logit/x.npy`),
    () => npy(`${FIELD}/binary-single-logit/y.npy`).data as BigInt64Array,
    false,
  ],
  ['a Sigmoid over 5 labels', () => `${ML}/sigmoid.onnx`, 'multi-label', tensor(`${ML}/x.npy`), multiHot, false],
  ['logits with --multi-label', () => `${ML}/logits.onnx`, 'multi-label', tensor(`${ML}/x.npy`), multiHot, true],
];

function labels64(): BigInt64Array {
  return npy(`${FIXTURES}/batch/y.npy`).data as BigInt64Array;
}

describe.each(CASES)('the head: %s', (_, model, kind, x, feeds, multiLabel) => {
  it('directional derivative of the loss = ⟨gradient, direction⟩ (central differences)', async () => {
    const m = loadModel(model());
    const gm = await GradientModel.open(m, { cache: false, threads: 1, multiLabel });
    const own = initialWeights(m, gm);
    try {
      expect(gm.head.kind).toBe(kind);
      const y = feeds();
      const base = await gm.run(x, y);
      const rng = new Rng(7);
      const last = gm.params.filter((p) => LAST.test(p.name));
      expect(last.length).toBe(2);
      const dir = new Map(last.map((p) => [p.name, base.grads.get(p.name)!.map(() => rng.nextFloat() - 0.5)]));
      let norm = 0;
      for (const d of dir.values()) for (const v of d) norm += v * v;
      let analytic = 0;
      for (const [name, d] of dir) {
        const g = base.grads.get(name)!;
        for (let i = 0; i < d.length; i++) {
          d[i] /= Math.sqrt(norm);
          analytic += g[i] * d[i];
        }
      }
      const eps = 1e-2;
      const moved = async (s: number) => {
        const w = new Map(
          gm.params.map((p) => {
            const w = own.get(p.name)!.slice();
            const d = dir.get(p.name);
            if (d) for (let i = 0; i < w.length; i++) w[i] += s * eps * d[i];
            return [p.name, w];
          }),
        );
        return (await gm.run(x, y, w)).loss;
      };
      const numeric = ((await moved(1)) - (await moved(-1))) / (2 * eps);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
      expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
    } finally {
      await gm.release();
    }
  });
});
