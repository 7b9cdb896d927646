// What scrub cannot do exactly yet is refused in one line, and `inspect` says so too (issue 15,
// items 4, 6 and 10): a batch fixed at 1 fed minibatches, an opset-8 file, a model with two inputs.
// Copies of ../shared/field cases in test/fixtures/field.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const MNIST = `${FIXTURES}/field/fixed-batch-zoo-mnist`;
const TEXT = `${FIXTURES}/field/multi-input-text/tinybert_2in_op16.onnx`;
const oneLine = (r: { err: string }) => expect(r.err.split('\n')).toHaveLength(1);

describe('a batch fixed at 1 (the ONNX Model Zoo MNIST, opset 13)', () => {
  it('inspect says the batch is fixed and what works', async () => {
    const r = await run('inspect', `${MNIST}/opt-mnist-13.onnx`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^batch {7}fixed at 1: SSD, ∇τ, finetune and eval feed minibatches and refuse it for now;/m);
  });

  it('grad with minibatches of 8: exit 3, one line that says what to do, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-fixed-'));
    const args = ['--x', `${MNIST}/x.npy`, '--y', `${MNIST}/y.npy`, '--out', join(dir, 'g'), '--batch-size', '8'];
    const r = await run('grad', `${MNIST}/opt-mnist-13.onnx`, ...args);
    expect(r.code).toBe(3);
    oneLine(r);
    expect(r.err).toMatch(/input Input3 has its batch fixed at 1 \(\[1, 1, 28, 28\]\), and this pass feeds 8 examples/);
    expect(r.err).toMatch(/Re-export the model with a dynamic batch axis .*, or use `scrub grad --batch-size 1`\.$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('grad one example at a time works as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-fixed-'));
    const args = ['--x', `${MNIST}/x.npy`, '--y', `${MNIST}/y.npy`, '--out', join(dir, 'g'), '--batch-size', '1'];
    const r = await run('grad', `${MNIST}/opt-mnist-13.onnx`, ...args, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).count).toBe(8);
  });
});

describe('refused alike by inspect and the commands that edit', () => {
  it.each([
    ['an opset-8 file', `${MNIST}/opt-mnist.onnx`, /opset 8 is too old; re-export with opset 11 or newer/],
    [
      'a model with two inputs',
      TEXT,
      /scrub handles models with one input; this one has 2 \(input_ids, attention_mask\)/,
    ],
  ])('%s: exit 3, one line', async (_, model, message) => {
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
