// What scrub cannot do exactly yet is refused in one line, and `inspect` says so too (issue 15,
// items 6 and 10): an opset-6 file (7 to 10 are upgraded: field.opset.test.ts). A model with two inputs
// is no longer refused: grad, SSD, fisher, eval and the in-memory methods (∇τ, finetune; issue 17)
// take one NAME.npy per input.
// (Fixed batches run: fixed-batch.test.ts.)
// Copies of ../shared/field cases in test/fixtures/field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../src/graph/encode.js';
import { loadModel } from '../src/graph/load.js';
import { run } from './support/cli.js';
import { FIXTURES, l2, oracle, relL2 } from './support/fixtures.js';
import { readNpy } from '../src/data/npy.js';

const MNIST = `${FIXTURES}/field/fixed-batch-zoo-mnist`;
const TEXT = `${FIXTURES}/field/multi-input-text/tinybert_2in_op16.onnx`;
const oneLine = (r: { err: string }) => expect(r.err.split('\n')).toHaveLength(1);

/** The zoo MNIST declared at opset 6 (its ops mean the same there), older than scrub reads. */
function opset6(): string {
  const m = loadModel(`${MNIST}/opt-mnist.onnx`);
  const path = join(mkdtempSync(join(tmpdir(), 'scrub-opset6-')), 'mnist-opset6.onnx');
  writeFileSync(path, encodeModel({ irVersion: m.irVersion, opsetImports: new Map([['', 6]]), graph: m.graph }));
  return path;
}

describe('refused alike by inspect and the commands that edit', () => {
  it('an opset-6 file: exit 3, one line', async () => {
    const model = opset6();
    const message =
      /opset 6 is older than 7, the oldest scrub reads; convert it with onnx\.version_converter\.convert_version/;
    const inspect = await run('inspect', model);
    expect(inspect.code).toBe(3);
    oneLine(inspect);
    expect(inspect.err).toMatch(message);
    const dir = mkdtempSync(join(tmpdir(), 'scrub-refused-'));
    const grad = await run('grad', model, '--x', `${MNIST}/x.npy`, '--y', `${MNIST}/y.npy`, '--out', join(dir, 'g'));
    expect(grad.code).toBe(3);
    oneLine(grad);
    expect(grad.err).toMatch(message);
  });
});

describe('a model with two inputs (field case multi-input-text)', () => {
  const dir = `${FIXTURES}/field/multi-input-text`;

  it('grad feeds each input its NAME.npy: the gradient matches the float64 oracle', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-two-inputs-')), 'g');
    // --y is the folder's y.npy unless given
    const r = await run('grad', TEXT, '--x', dir, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out) as { loss: number; parameters: { name: string; file: string }[] };
    const want = oracle(`${dir}/expected`);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    expect(got.parameters.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
    const refs = new Map(
      want.parameters.map((p) => [p.name, readNpy(`${dir}/expected/${p.file}`).data as Float64Array]),
    );
    const largest = Math.max(...[...refs.values()].map((g) => l2(g)));
    for (const p of got.parameters) {
      const g = readNpy(join(out, p.file)).data as Float32Array;
      const ref = refs.get(p.name)!;
      // the key biases' true gradient is exactly zero (softmax ignores a per-query shift): compared absolutely
      if (/^layers\.\d\.k\.bias$/.test(p.name)) expect(l2(g), p.name).toBeLessThan(1e-6 * largest);
      else expect(relL2(g, ref), p.name).toBeLessThan(1e-4);
    }
  });

  it('a single x.npy for two inputs: exit 2, saying to pass a folder', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-two-inputs-')), 'g');
    const r = await run('grad', TEXT, '--x', `${dir}/input_ids.npy`, '--y', `${dir}/y.npy`, '--out', out);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.err).toMatch(/takes 2 inputs \(input_ids, attention_mask\); pass a folder holding input_ids\.npy/);
  });

  it('SSD, fisher, eval and ∇τ read one NAME.npy per input from a folder', async () => {
    const out = mkdtempSync(join(tmpdir(), 'scrub-two-inputs-'));
    const ssd = await run(TEXT, `${dir}@0:3`, '--train', dir, '-o', join(out, 'm.onnx'), '--json');
    expect(ssd.code, ssd.err).toBe(0);
    expect(JSON.parse(ssd.out).forget.count).toBe(3);
    const e = await run('eval', join(out, 'm.onnx'), '--forget', `${dir}@0:3`, '--json', '-o', join(out, 'e.json'));
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).sets.forget.count).toBe(3);
    const inspect = await run('inspect', TEXT);
    expect(inspect.code, inspect.err).toBe(0);
    const tau = await run(
      TEXT,
      `${dir}@0:3`,
      '--method',
      'gradtau',
      '--retain',
      `${dir}@3:8`,
      '--val',
      `${dir}@3:8`,
      '-o',
      join(out, 'g.onnx'),
    );
    expect(tau.code, tau.err).toBe(0);
    expect(inspect.out).toMatch(/^ready {7}grad, fisher and --method ssd, lf-ssd, gradtau, finetune run on it$/m);
  });
});
