// The head (issue 15, item 1), on real exports from ../shared/field copied into test/fixtures/field:
// a tf2onnx/Keras model whose output is a Softmax is differentiated through the Softmax's input, a
// model whose first output is not the logits uses the one named `logits`, and a single-logit
// (binary) head is refused in one line. Gradients against the float64 oracles in expected/.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { describeModel } from '../src/eval/run.js';
import { loadModel } from '../src/graph/load.js';
import { ForwardModel } from '../src/runtime/forward.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const FIELD = `${FIXTURES}/field`;

/** Mean cross-entropy (float64) of logits [n, c] against labels. */
function meanCrossEntropy(logits: Float32Array, y: BigInt64Array, c: number): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const z = Array.from(logits.subarray(i * c, (i + 1) * c));
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    sum += lse - z[Number(y[i])];
  }
  return sum / y.length;
}

describe.each([
  ['softmax-output-tf2onnx', 'softmax', 'sequential_1/dense_2_1/Add:0'],
  ['first-output-not-logits', 'logits', 'logits'],
  ['binary-single-logit', 'binary', 'logits'],
])('the head of %s', (name, kind, logits) => {
  const dir = `${FIELD}/${name}`;
  const want = oracle(`${dir}/expected`);
  const x = readNpy(`${dir}/x.npy`);
  const y = readNpy(`${dir}/y.npy`).data as BigInt64Array;

  it('is found, and its gradients match the float64 oracle (loss 1e-5, each tensor 1e-4 relative L2)', async () => {
    const gm = await GradientModel.open(loadModel(`${dir}/model.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.head).toMatchObject({ kind, logits });
      expect(gm.params.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const r = await gm.run({ data: x.data, dims: x.shape }, y);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${dir}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  });

  it.skipIf(kind === 'binary')("evaluation reads the same head: its logits give the oracle's loss", async () => {
    const { input, head, classes } = await describeModel(`${dir}/model.onnx`);
    expect(head).toMatchObject({ kind, logits });
    const fm = await ForwardModel.open(`${dir}/model.onnx`, input, { head, threads: 1 });
    try {
      const z = await fm.logits({ data: x.data, dims: x.shape });
      expect(Math.abs(meanCrossEntropy(z, y, classes) - want.loss) / want.loss).toBeLessThan(1e-5);
    } finally {
      await fm.release();
    }
  });
});

describe('inspect tells the head', () => {
  it('names the Softmax it differentiates through', async () => {
    const r = await run('inspect', `${FIELD}/softmax-output-tf2onnx/model.onnx`);
    expect(r.code, r.err).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('head'));
    expect(line).toMatch(/^head {8}output, 10 classes \(Softmax node .*Softmax: scrub differentiates its input /);
    expect(line).toMatch(/its input sequential_1\/dense_2_1\/Add:0\)/);
  });
});

describe('heads scrub refuses', () => {
  it('a binary head is evaluated and unlearned later: one line, exit 3, before any pass', async () => {
    const dir = `${FIELD}/binary-single-logit`;
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-head-')), 'm.onnx');
    const data = `${dir}/x.npy,${dir}/y.npy`;
    const r = await run(`${dir}/model.onnx`, `${data}@0:2`, '--train', data, '-o', out);
    expect(r.code).toBe(3);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/output logits is a single logit \(a binary head\): scrub computes its gradients/);
  });

  it('binary labels must be 0 or 1', async () => {
    const gm = await GradientModel.open(loadModel(`${FIELD}/binary-single-logit/model.onnx`), { cache: false });
    try {
      const x = readNpy(`${FIELD}/binary-single-logit/x.npy`);
      const y = BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 0n, 1n, 0n]);
      await expect(gm.run({ data: x.data, dims: x.shape }, y)).rejects.toThrow(
        /example 2 has label 2; .* labels 0 and 1/,
      );
    } finally {
      await gm.release();
    }
  });

  it('--output names an output that is not there: exit 2 listing the outputs', async () => {
    const dir = `${FIELD}/first-output-not-logits`;
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-head-')), 'g');
    const args = ['--x', `${dir}/x.npy`, '--y', `${dir}/y.npy`, '--out', out, '--output', 'probs'];
    const r = await run('grad', `${dir}/model.onnx`, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--output probs: .* has no output of that name; its outputs: features, logits\./);
  });
});
