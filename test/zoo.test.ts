// The zoo (issue 16): torchvision classifiers and text classifiers exported with torch.onnx.export's
// defaults (../shared/zoo, copied into test/fixtures/zoo), each with PyTorch's float64 gradient of the
// mean cross-entropy on its batch of 8. scrub's loss within 1e-5 relative and every gradient within
// 1e-4 relative L2, with exactly the oracle's parameters, PyTorch names and transposition; and SSD
// runs end to end on each (its own batch as training set, half of it as forget set).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const ZOO = [
  'mobilenet_v2',
  'mobilenet_v3_small',
  'efficientnet_b0',
  'shufflenet_v2',
  'densenet',
  'convnext',
  'swin',
  'text_lstm',
  'text_cnn',
];

describe.each(ZOO)('zoo/%s', (name) => {
  const model = `${FIXTURES}/zoo/${name}.onnx`;
  const dir = `${FIXTURES}/zoo/${name}`;

  it('gradients match the float64 oracle', async () => {
    const want = oracle(`${FIXTURES}/zoo/${name}.grad`);
    const gm = await GradientModel.open(loadModel(model), { cache: false, threads: 1 });
    try {
      const row = (p: { name: string; torchName?: string | null; transposed: boolean; shape: number[] }) =>
        `${p.name} ${p.torchName ?? '-'} ${p.transposed} [${p.shape}]`;
      expect(gm.params.map(row).sort()).toEqual(want.parameters.map(row).sort());
      const x = readNpy(`${dir}/x.npy`);
      const r = await gm.run({ data: x.data, dims: x.shape }, readNpy(`${dir}/y.npy`).data as BigInt64Array);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${FIXTURES}/zoo/${name}.grad/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  }, 120_000);

  it('SSD runs end to end', async () => {
    const out = join(mkdtempSync(join(tmpdir(), `scrub-zoo-${name}-`)), 'm.onnx');
    const data = `${dir}/x.npy,${dir}/y.npy`;
    const r = await run(model, `${data}@0:4`, '--train', data, '-o', out, '--json', '--threads', '1');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.forget.count).toBe(4);
    expect(report.parameters.length).toBe(oracle(`${FIXTURES}/zoo/${name}.grad`).parameters.length);
  }, 120_000);
});
