// ∇τ's default schedule against the retrained models (the issue's acceptance): forget accuracy within
// 2 points of retraining's, test accuracy at least retraining's minus 1 point, mia_loss within 0.03,
// and js_to_retrain below the reference schedule's (report.json), on mlp and cnn, every scenario.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { miaLossSeedMean } from '../src/eval/seeds.js';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const TRAIN = `${FM}/train-images-idx3-ubyte.gz`;
const TEST = `${FM}/t10k-images-idx3-ubyte.gz`;
const report = JSON.parse(readFileSync(`${FIXTURES}/report.json`, 'utf8'));
const NORM = ['--mean', '0.286', '--std', '0.353'];

// mia_loss is compared as the mean over evaluation seeds 0–4 for both models (src/eval/seeds.ts): on
// class0 (1,000 unseen examples) we measured the retrained mlp at 0.469 with seed 0 and 0.48–0.52
// with seeds 1–6, so one seed compares noise as much as models. The tolerance stays 0.03.
const miaLossMean = (model: string, forget: string, unseenClass: number | undefined) =>
  miaLossSeedMean(model, forget, { test: TEST, unseenClass, mean: [0.286], std: [0.353], threads: 1 });

const CASES = [
  ['mlp', 'class0'],
  ['mlp', 'random10'],
  ['mlp', 'random30'],
  ['cnn', 'class0'],
  ['cnn', 'random10'],
  ['cnn', 'random30'],
];

describe.skipIf(noFashionMnist)('∇τ default schedule forgets as retraining would', () => {
  it.each(CASES)(
    '%s %s',
    async (name, scenario) => {
      const list = `${FIXTURES}/scenarios/${scenario}.json`;
      const forget = `${TRAIN}@${list}`;
      const retrain = `${FIXTURES}/oracle/retrain/${name}.${scenario}.onnx`;
      const out = join(mkdtempSync(join(tmpdir(), 'scrub-gtd-')), `${name}.onnx`);
      const r = await run(
        `${FIXTURES}/models/${name}.onnx`,
        forget,
        '--method',
        'gradtau',
        '--retain',
        `${TRAIN}@0:55000@~${list}`,
        '--val',
        `${TRAIN}@-5000:`,
        '--test',
        TEST,
        '--retrain',
        retrain,
        ...NORM,
        '--threads',
        '1',
        '-o',
        out,
        '--json',
      );
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.schedule).toBe('default');
      const after = j.metrics.after.values;
      const re = j.metrics.retrain.values;
      const ref = report[name].scenarios[scenario].gradtau;
      expect(
        Math.abs(after.forget_acc - re.forget_acc),
        `forget_acc ${after.forget_acc} vs retrain ${re.forget_acc}`,
      ).toBeLessThanOrEqual(0.02);
      expect(after.test_acc, `test_acc ${after.test_acc} vs retrain ${re.test_acc}`).toBeGreaterThanOrEqual(
        re.test_acc - 0.01,
      );
      expect(
        after.js_to_retrain,
        `js_to_retrain ${after.js_to_retrain} vs the reference's ${ref.js_to_retrain}`,
      ).toBeLessThan(ref.js_to_retrain);
      const unseenClass = scenario === 'class0' ? 0 : undefined;
      const ours = await miaLossMean(out, forget, unseenClass);
      const theirs = await miaLossMean(retrain, forget, unseenClass);
      console.log(
        `${name} ${scenario}: forget_acc ${after.forget_acc.toFixed(4)} (retrain ${re.forget_acc.toFixed(4)}), ` +
          `test_acc ${after.test_acc.toFixed(4)} (${re.test_acc.toFixed(4)}), ` +
          `mia_loss 5-seed ${ours.toFixed(4)} (${theirs.toFixed(4)}), ` +
          `js_to_retrain ${after.js_to_retrain.toFixed(4)} (reference ∇τ ${ref.js_to_retrain}), ` +
          `${j.seconds.toFixed(1)} s`,
      );
      expect(Math.abs(ours - theirs), `mia_loss (mean of 5 seeds) ${ours} vs retrain ${theirs}`).toBeLessThanOrEqual(
        0.03,
      );
    },
    600_000,
  );
});
