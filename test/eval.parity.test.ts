// Evaluation of the fixture models as exported against report.json's "original" column.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/eval/run.js';
import { FIXTURES } from './support/fixtures.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const report = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8'));

describe.skipIf(noFashionMnist).each(['mlp', 'cnn'])('evaluation parity: %s', (name) => {
  it.each(['class0', 'random10', 'random30'])(
    '%s',
    async (scenario) => {
      const list = `${FIXTURES}/scenarios/${scenario}.json`;
      const r = await evaluate({
        model: `${FIXTURES}/models/${name}.onnx`,
        forget: `${FM}/train-images-idx3-ubyte.gz@${list}`,
        retain: `${FM}/train-images-idx3-ubyte.gz@0:55000@~${list}`,
        test: `${FM}/t10k-images-idx3-ubyte.gz`,
        retrain: `${FIXTURES}/oracle/retrain/${name}.${scenario}.onnx`,
        mean: [0.286],
        std: [0.353],
      });
      const ref = report[name].scenarios[scenario].original;
      const v = r.metrics.values;
      for (const k of [
        'forget_acc',
        'retain_acc',
        'test_acc',
        ...(scenario === 'class0' ? ['test_forget_class_acc', 'test_retain_classes_acc'] : []),
      ])
        expect(Math.abs(v[k] - ref[k]), k).toBeLessThanOrEqual(0.001);
      for (const k of ['forget_loss', 'retain_loss', 'test_loss'])
        expect(Math.abs(v[k] - ref[k]) / ref[k], k).toBeLessThan(1e-4);
      expect(Math.abs(v.mia - ref.mia), 'mia').toBeLessThanOrEqual(0.02);
      // our shuffles are not numpy's: the README allows ±0.02
      expect(Math.abs(v.mia_loss - ref.mia_loss), 'mia_loss').toBeLessThanOrEqual(0.02);
      expect(Math.abs(v.js_to_retrain - ref.js_to_retrain) / ref.js_to_retrain, 'js_to_retrain').toBeLessThan(1e-3);
      expect(Math.abs(v.l1_to_retrain - ref.l1_to_retrain) / ref.l1_to_retrain, 'l1_to_retrain').toBeLessThan(1e-3);
      for (const k of Object.keys(ref)) expect(r.metrics.definitions[k], `definition of ${k}`).toBeDefined();
    },
    120_000,
  );
});
