// Text classifiers with several inputs (issue 17, gradients): ../shared/text's BERT-style multi-label
// classifier (inputs input_ids, attention_mask, token_type_ids; 28 sigmoid labels, BCEWithLogitsLoss)
// at opset 17 and opset 14, on the oracle's batch, through `scrub grad --x DIR --multi-label`: loss
// within 1e-5 relative, every gradient within 1e-4 relative L2 of PyTorch's float64 oracle (the two
// key biases, exactly zero in exact arithmetic, absolutely), parameters exactly the oracle's.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { run } from './support/cli.js';
import { FIXTURES, l2, relL2 } from './support/fixtures.js';

const DIR = `${FIXTURES}/text`;
interface TextOracle {
  loss: number;
  parameters: {
    name: string;
    torchName: string;
    transposed: boolean;
    file: string;
    opset14Name: string;
    opset14Transposed: boolean;
  }[];
}
const want = JSON.parse(readFileSync(`${DIR}/oracle/grad/summary.json`, 'utf8')) as TextOracle;

describe.each([
  ['bert.onnx', false],
  ['bert.opset14.onnx', true],
])('%s', (file, opset14) => {
  it('grad matches the float64 oracle', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-text-grad-')), 'g');
    const args = ['--x', `${DIR}/batch`, '--y', `${DIR}/batch/y.npy`, '--out', out, '--multi-label', '--json'];
    const r = await run('grad', `${DIR}/models/${file}`, ...args);
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out) as {
      loss: number;
      count: number;
      parameters: { name: string; torchName?: string; transposed: boolean; file: string }[];
    };
    expect(got.count).toBe(16);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    const name = (p: TextOracle['parameters'][0]) => (opset14 ? p.opset14Name : p.name);
    expect(got.parameters.map((p) => p.name).sort()).toEqual(want.parameters.map(name).sort());
    const refs = want.parameters.map((p) => ({ p, g: readNpy(`${DIR}/oracle/grad/${p.file}`).data as Float64Array }));
    const largest = Math.max(...refs.map((r) => l2(r.g)));
    for (const { p, g: ref } of refs) {
      const mine = got.parameters.find((q) => q.name === name(p))!;
      expect(mine.transposed, p.name).toBe(opset14 ? p.opset14Transposed : p.transposed);
      if (mine.torchName) expect(mine.torchName).toBe(p.torchName);
      const g = readNpy(join(out, mine.file)).data as Float32Array;
      // the oracle stores each gradient in bert.onnx's layout; a tensor the opset-14 file transposes otherwise
      // would need a transpose here: none does (checked by the layout assertion above)
      if (/attention\.self\.key\.bias$/.test(p.name)) expect(l2(g), p.name).toBeLessThan(1e-6 * largest);
      else expect(relL2(g, ref), p.name).toBeLessThan(1e-4);
    }
  }, 120_000);
});
