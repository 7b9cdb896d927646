// What scrub cannot do exactly yet is refused in one line, and `inspect` says so too (issue 15,
// items 6 and 10): an opset-6 file (7 to 10 are upgraded: field.opset.test.ts), a model with two inputs.
// (Fixed batches run: fixed-batch.test.ts.)
// Copies of ../shared/field cases in test/fixtures/field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../src/graph/encode.js';
import { loadModel } from '../src/graph/load.js';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

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
  it.each([
    [
      'an opset-6 file',
      opset6(),
      /opset 6 is older than 7, the oldest scrub reads; convert it with onnx\.version_converter\.convert_version/,
    ],
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
