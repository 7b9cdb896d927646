// SSD parity with the PyTorch reference (../shared/fixtures README, "SSD reference"), on the real
// Fashion-MNIST from the Debian package dataset-fashion-mnist (installed by .ci/run).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { ForwardModel } from '../src/runtime/forward.js';
import { modelInputs } from '../src/runtime/gradient.js';
import { unlearn } from '../src/api/unlearn.js';
import { countCorrect } from '../src/eval/predictions.js';
import { computeFisher, writeFisher } from '../src/methods/table.js';
import { FIXTURES } from './support/fixtures.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const TRAIN = `${FM}/train-images-idx3-ubyte.gz@0:55000`;
const TEST = `${FM}/t10k-images-idx3-ubyte.gz`;
const NORM = { mean: [0.286], std: [0.353] };
const report = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8'));

async function accuracy(modelPath: string, spec: string): Promise<number> {
  const input = modelInputs(loadModel(modelPath))[0];
  const data = await openDataset(spec, { input: { dtype: input.dtype, dims: input.dims }, ...NORM });
  const fm = await ForwardModel.open(modelPath, input);
  let correct = 0;
  for await (const b of data.batches(1000)) correct += countCorrect(await fm.logits(b.x), b, 10);
  await fm.release();
  return correct / data.count;
}

describe.skipIf(noFashionMnist)('SSD parity with PyTorch (Fashion-MNIST)', () => {
  it('has the data (apt-get install dataset-fashion-mnist)', () =>
    expect(existsSync(`${FM}/train-images-idx3-ubyte.gz`)).toBe(true));

  describe.each(['mlp', 'cnn', 'vit'])('%s', (name) => {
    const dir = mkdtempSync(join(tmpdir(), `scrub-ssd-${name}-`));
    const modelPath = `${FIXTURES}/models/${name}.onnx`;
    const fisher = join(dir, `${name}.fisher`);
    beforeAll(async () => {
      writeFisher(fisher, await computeFisher({ model: modelPath, train: TRAIN, ...NORM, threads: 1 }));
    }, 600_000);

    it.each(['class0', 'random10', 'random30'])(
      '%s',
      async (scenario) => {
        const ref = report[name].scenarios[scenario];
        const list = `${FIXTURES}/scenarios/${scenario}.json`;
        const out = join(dir, `${name}.${scenario}.onnx`);
        const r = await unlearn({
          model: modelPath,
          forget: `${FM}/train-images-idx3-ubyte.gz@${list}`,
          fisher,
          out,
          // the paper's method, as the reference ran it (the default is adaptive SSD's α)
          alpha: 10,
          lambda: 1,
          ...NORM,
          threads: 1,
        });
        expect(r.forget.count).toBe(ref.forget_count);

        for (const p of r.parameters) {
          const want = ref.ssd_selected[p.name];
          expect(
            Math.abs(p.selected - want),
            `${p.name}: selected ${p.selected}, reference ${want}`,
          ).toBeLessThanOrEqual(Math.max(0.005 * want, 2));
        }

        const mine = loadModel(out).graph.initializers;
        const oracle = loadModel(`${FIXTURES}/oracle/ssd/${name}.${scenario}.onnx`).graph.initializers;
        let total = 0;
        let equal = 0;
        for (const p of r.parameters) {
          const a = tensorToFloat32(mine.get(p.name)!);
          const b = tensorToFloat32(oracle.get(p.name)!);
          for (let i = 0; i < a.length; i++)
            if (Math.abs(a[i] - b[i]) <= 1e-4 * Math.abs(b[i]) || a[i] === b[i]) equal++;
          total += a.length;
        }
        expect(equal / total).toBeGreaterThanOrEqual(0.995);

        expect(Math.abs(r.forgetAccuracy.after - ref.ssd.forget_acc)).toBeLessThan(0.005);
        expect(Math.abs((await accuracy(out, `${TRAIN}@~${list}`)) - ref.ssd.retain_acc)).toBeLessThan(0.005);
        expect(Math.abs((await accuracy(out, TEST)) - ref.ssd.test_acc)).toBeLessThan(0.005);
      },
      600_000,
    );

    // The default: adaptive SSD's α (Schoepf et al. 2024). The targets (forget accuracy ≤ the
    // retrained model's + 0.02, kept classes' test accuracy ≥ its − 0.01, mia within 0.10 of its) are
    // out of reach for SSD's edit at any α, λ (bench/ssd-auto.js prints the gaps); this holds: it
    // keeps more of the kept classes than the paper's α = 10, still forgets most of the class, and
    // the record says how α was chosen.
    it('class0 with the defaults: α from the importance ratios, kept classes better than α = 10', async () => {
      const ref = report[name].scenarios.class0;
      const list = `${FIXTURES}/scenarios/class0.json`;
      const r = await unlearn({
        model: modelPath,
        forget: `${FM}/train-images-idx3-ubyte.gz@${list}`,
        fisher,
        out: join(dir, `${name}.class0.auto.onnx`),
        // a retain sample, for the evaluation to know the class is gone (test_retain_classes_acc)
        retain: `${FM}/train-images-idx3-ubyte.gz@0:5000@~${list}`,
        test: TEST,
        ...NORM,
        threads: 1,
      });
      if (r.method !== 'ssd') throw new Error(`ran ${r.method}`);
      expect(r.selection).toMatchObject({ alpha: 'assd', lambda: 'assd' });
      expect(r.hyperparameters.lambda).toBe(1);
      expect(r.selection.assd!.percentile).toBeCloseTo(100 - Math.log(1 + (100 * ref.forget_count) / 55000), 12);
      const record = JSON.parse(readFileSync(r.record, 'utf8'));
      expect(record.method.hyperparameters).toMatchObject({ alpha: r.hyperparameters.alpha, alphaFrom: 'assd' });
      const after = r.metrics.after!.values;
      const before = r.metrics.before!.values;
      expect(after.test_retain_classes_acc).toBeGreaterThan(ref.ssd.test_retain_classes_acc);
      expect(after.forget_acc).toBeLessThan(before.forget_acc / 2);
    }, 600_000);
  });
});
