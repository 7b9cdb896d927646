// The head (issue 15, item 1), on real exports from ../shared/field copied into test/fixtures/field:
// a tf2onnx/Keras model whose output is a Softmax is differentiated through the Softmax's input, a
// model whose first output is not the logits uses the one named `logits`, and a single-logit
// (binary) head z is scored as two classes [0, z]: its cross-entropy is the binary cross-entropy with
// logits, and evaluation and SSD run on it. Gradients against the float64 oracles in expected/.
import { mkdtempSync, readFileSync } from 'node:fs';
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

  it("evaluation reads the same head: its logits give the oracle's loss", async () => {
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

describe('a binary head', () => {
  const dir = `${FIELD}/binary-single-logit`;
  const data = `${dir}/x.npy,${dir}/y.npy`;

  it('is scored as [0, z]: softmax [1 − σ(z), σ(z)], top class 1 where σ(z) > 0.5', async () => {
    const { input, head, classes } = await describeModel(`${dir}/model.onnx`);
    expect(classes).toBe(2);
    const fm = await ForwardModel.open(`${dir}/model.onnx`, input, { head, threads: 1 });
    const raw = await ForwardModel.open(`${dir}/model.onnx`, input, { threads: 1 });
    try {
      const x = readNpy(`${dir}/x.npy`);
      const two = await fm.logits({ data: x.data, dims: x.shape });
      const z = await raw.logits({ data: x.data, dims: x.shape });
      expect(two).toHaveLength(2 * z.length);
      for (let i = 0; i < z.length; i++) expect([two[2 * i], two[2 * i + 1]]).toEqual([0, z[i]]);
    } finally {
      await fm.release();
      await raw.release();
    }
  });

  it('inspect names the loss', async () => {
    const r = await run('inspect', `${dir}/model.onnx`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^head {8}logits, one logit.*loss: binary cross-entropy with logits, labels 0\/1/m);
  });

  it('SSD unlearns it end to end and eval reports its accuracy at 0.5', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-head-')), 'm.onnx');
    const r = await run(`${dir}/model.onnx`, `${data}@0:3`, '--train', data, '-o', out, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.forget.count).toBe(3);
    const e = await run(
      'eval',
      out,
      '--forget',
      `${data}@0:3`,
      '--retain',
      `${data}@3:8`,
      '--json',
      '-o',
      `${out}.eval.json`,
    );
    expect(e.code, e.err).toBe(0);
    const values = JSON.parse(e.out).metrics.values;
    expect(values.forget_acc).toBeGreaterThanOrEqual(0);
    expect(values.forget_acc).toBeLessThanOrEqual(1);
    expect(values.forget_loss).toBeGreaterThan(0);
  });

  it('labels must be 0 or 1', async () => {
    const gm = await GradientModel.open(loadModel(`${dir}/model.onnx`), { cache: false });
    try {
      const x = readNpy(`${dir}/x.npy`);
      const y = BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 0n, 1n, 0n]);
      await expect(gm.run({ data: x.data, dims: x.shape }, y)).rejects.toThrow(
        /label 2 at index 2 is outside the model's 2 classes \(0 to 1\)/,
      );
    } finally {
      await gm.release();
    }
  });
});

describe('heads scrub refuses', () => {
  it('--output names an output that is not there: exit 2 listing the outputs', async () => {
    const dir = `${FIELD}/first-output-not-logits`;
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-head-')), 'g');
    const args = ['--x', `${dir}/x.npy`, '--y', `${dir}/y.npy`, '--out', out, '--output', 'probs'];
    const r = await run('grad', `${dir}/model.onnx`, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--output probs: .* has no output of that name; its outputs: features, logits\./);
  });
});

describe('--output on a model with two outputs that could each be the logits', () => {
  const dir = `${FIXTURES}/two-heads`;
  it('SSD and its record read the chosen head of both models: the same metrics as scrub eval --output', async () => {
    const out = mkdtempSync(join(tmpdir(), 'scrub-two-heads-'));
    const fisher = join(out, 'model.fisher');
    expect((await run('fisher', `${dir}/model.onnx`, dir, '--output', 'out', '-o', fisher)).code).toBe(0);
    const forget = `${dir}@0:10`;
    const r = await run(`${dir}/model.onnx`, forget, '--output', 'out', '--fisher', fisher, '-o', `${out}/o.onnx`);
    expect(r.code, r.err).toBe(0);
    const record = JSON.parse(readFileSync(`${out}/o.record.json`, 'utf8'));
    // the record says which head it measured
    expect(record.settings.head).toEqual({ output: 'out', logits: 'out', kind: 'logits', classes: 3 });
    for (const [model, metrics] of [
      [`${dir}/model.onnx`, record.metrics.before],
      [`${out}/o.onnx`, record.metrics.after],
    ]) {
      const e = await run('eval', model, '--forget', forget, '--output', 'out', '-o', `${out}/e.json`, '--json');
      expect(e.code, e.err).toBe(0);
      expect(metrics.values).toEqual(JSON.parse(e.out).metrics.values);
      // the eval record names the head too
      expect(JSON.parse(readFileSync(`${out}/e.json`, 'utf8')).settings.head).toEqual(record.settings.head);
    }
    // the other head scores the same examples otherwise: the choice is what the record measured
    const aux = await run(
      'eval',
      `${dir}/model.onnx`,
      '--forget',
      forget,
      '--output',
      'aux',
      '-o',
      `${out}/a.json`,
      '--json',
    );
    expect(aux.code, aux.err).toBe(0);
    expect(JSON.parse(aux.out).metrics.values.forget_loss).not.toBeCloseTo(record.metrics.before.values.forget_loss, 3);
  });
});
