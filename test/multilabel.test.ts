// Multi-label heads (issue 15, item 1): a Sigmoid over C outputs, or logits chosen with
// --multi-label, are differentiated with the mean binary cross-entropy with logits over every entry
// against multi-hot labels [N, C]; evaluation reports entry accuracy, exact match and micro-F1 at 0.5;
// SSD, LF-SSD, ∇τ and finetune unlearn them (∇τ and finetune in depth: gradtau.multilabel.test.ts).
// The fixture is built by test/fixtures/multilabel/make.py, with PyTorch's float64 gradient of
// BCEWithLogitsLoss in expected/.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError, UnsupportedModelError } from '../src/core/errors.js';
import { readNpy } from '../src/data/npy.js';
import { describeModel } from '../src/eval/run.js';
import { multiLabelCounts, multiLabelEntropies, multiLabelLosses, multiLabelMetrics } from '../src/eval/multilabel.js';
import { loadModel } from '../src/graph/load.js';
import { lossDefinition, registerLoss } from '../src/autodiff/losses/index.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { run } from './support/cli.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const DIR = `${FIXTURES}/multilabel`;
const x = readNpy(`${DIR}/x.npy`);
const X = { data: x.data as Float32Array, dims: x.shape };
const y = readNpy(`${DIR}/y.npy`);
const targets = Float32Array.from(y.data as BigInt64Array, (v) => Number(v));
const DATA = `${DIR}/x.npy,${DIR}/y.npy`;

describe('the multi-label head', () => {
  it('a Sigmoid over 5 outputs is multi-label; plain logits are, with --multi-label; a Softmax never', async () => {
    expect((await describeModel(`${DIR}/sigmoid.onnx`)).head).toMatchObject({ kind: 'multi-label', classes: 5 });
    expect((await describeModel(`${DIR}/logits.onnx`)).head).toMatchObject({ kind: 'logits', classes: 5 });
    const chosen = await describeModel(`${DIR}/logits.onnx`, { multiLabel: true });
    expect(chosen.head).toMatchObject({ kind: 'multi-label', logits: 'logits', classes: 5 });
    await expect(
      describeModel(`${FIXTURES}/field/softmax-output-tf2onnx/model.onnx`, { multiLabel: true }),
    ).rejects.toThrow(/is a Softmax .* whose classes exclude each other/);
  });

  it.each([
    ['sigmoid.onnx', false],
    ['logits.onnx', true],
  ])('%s: the gradient matches PyTorch float64 BCEWithLogitsLoss (loss 1e-5, tensors 1e-4)', async (file, ml) => {
    const want = oracle(`${DIR}/expected`);
    const gm = await GradientModel.open(loadModel(`${DIR}/${file}`), { cache: false, threads: 1, multiLabel: ml });
    try {
      expect(gm.loss).toBe('multi-label-bce');
      expect(gm.params.map((p) => p.name)).toEqual(want.parameters.map((p) => p.name));
      const r = await gm.run(X, { targets });
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      // the per-example losses are the per-label means, the logits the Sigmoid's input
      expect(relL2(r.perSample, multiLabelLosses(r.logits, targets, 5))).toBeLessThan(1e-6);
      for (const p of want.parameters) {
        const ref = readNpy(`${DIR}/expected/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
      // labels must be 0 or 1, and class indices are not multi-hot labels
      const bad = targets.slice();
      bad[7] = 2;
      await expect(gm.run(X, { targets: bad })).rejects.toThrow(/example 1 has label 2 for class 2; multi-hot labels/);
      await expect(gm.run(X, new BigInt64Array(12))).rejects.toThrow(BadInputError);
    } finally {
      await gm.release();
    }
  });

  it("∇τ's objective takes its multi-label form on it; a loss that has none is refused", async () => {
    const gm = await GradientModel.open(loadModel(`${DIR}/sigmoid.onnx`), { cache: false, loss: 'matched' });
    try {
      expect(gm.loss).toBe('matched-multilabel');
    } finally {
      await gm.release();
    }
    registerLoss({ ...lossDefinition('matched'), name: 'matched-without-swap', swap: undefined });
    await expect(
      GradientModel.open(loadModel(`${DIR}/sigmoid.onnx`), { cache: false, loss: 'matched-without-swap' }),
    ).rejects.toThrow(UnsupportedModelError);
  });
});

describe('multi-label metrics (pure maths)', () => {
  // two examples, two labels: predicted 1 where z > 0
  const logits = [1, -1, -1, -2];
  const t = [1, 0, 1, 0];
  it('entry accuracy, exact match, micro-F1', () => {
    const c = multiLabelCounts(logits, t, 2);
    expect([...c.right]).toEqual([2, 1]);
    const m = multiLabelMetrics(c, 'forget');
    expect(m.acc).toMatchObject({ ok: true, value: 0.75 });
    expect(m.exact_acc).toMatchObject({ ok: true, value: 0.5 });
    // TP 1, FP 0, FN 1: 2/(2 + 0 + 1)
    expect(m.micro_f1).toMatchObject({ ok: true, value: 2 / 3 });
    const none = multiLabelMetrics(multiLabelCounts([-1, -1], [0, 0], 2), 'test');
    expect(none.micro_f1.ok).toBe(false);
  });
  it('per-example binary cross-entropy and entropy are the per-label means', () => {
    const sp = (v: number) => Math.log1p(Math.exp(v));
    const l = multiLabelLosses(logits, t, 2);
    expect(l[0]).toBeCloseTo((sp(-1) + sp(-1)) / 2, 12);
    expect(l[1]).toBeCloseTo((sp(1) + sp(-2)) / 2, 12);
    const h = (z: number) => {
      const p = 1 / (1 + Math.exp(-z));
      return -p * Math.log(p) - (1 - p) * Math.log(1 - p);
    };
    const e = multiLabelEntropies(logits, 2);
    expect(e[0]).toBeCloseTo((h(1) + h(-1)) / 2, 12);
    expect(e[1]).toBeCloseTo((h(-1) + h(-2)) / 2, 12);
  });
});

describe('the commands on a multi-label model', () => {
  const out = mkdtempSync(join(tmpdir(), 'scrub-multilabel-'));
  it('grad with y [N, C]; a single-label head given multi-hot labels is told to pass --multi-label', async () => {
    const args = ['--x', `${DIR}/x.npy`, '--y', `${DIR}/y.npy`];
    const ok = await run('grad', `${DIR}/logits.onnx`, ...args, '--out', join(out, 'g'), '--multi-label', '--json');
    expect(ok.code, ok.err).toBe(0);
    expect(Math.abs(JSON.parse(ok.out).loss - oracle(`${DIR}/expected`).loss)).toBeLessThan(1e-5);
    const bad = await run('grad', `${DIR}/logits.onnx`, ...args, '--out', join(out, 'g2'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /the labels are multi-hot \[N, C\], and the model's head is single-label; pass --multi-label/,
    );
  });

  it('inspect names the head and its loss, and the methods that run on it', async () => {
    const r = await run('inspect', `${DIR}/sigmoid.onnx`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^head {8}probs, 5 labels .*loss: mean binary cross-entropy with logits over every label/m);
    expect(r.out).toMatch(/^ready {7}grad, fisher and --method ssd, lf-ssd, gradtau, finetune run on it$/m);
    // a head of logits is multi-label where told so, as the other commands are
    const told = await run('inspect', `${DIR}/logits.onnx`, '--multi-label', '--quiet');
    expect(told.code, told.err).toBe(0);
    expect(told.out).toMatch(/^head .*5 labels.*loss: mean binary cross-entropy with logits over every label/m);
    expect((await run('inspect', `${DIR}/logits.onnx`)).out).toMatch(/^head .*5 classes.*loss: mean cross-entropy/m);
  });

  it('SSD unlearns it; eval reports entry accuracy, exact match and micro-F1', async () => {
    const m = join(out, 'm.onnx');
    const r = await run(`${DIR}/sigmoid.onnx`, `${DATA}@0:3`, '--train', DATA, '-o', m, '--json');
    expect(r.code, r.err).toBe(0);
    expect(
      JSON.parse(r.out).parameters.reduce((a: number, p: { selected: number }) => a + p.selected, 0),
    ).toBeGreaterThan(0);
    const e = await run(
      'eval',
      m,
      '--forget',
      `${DATA}@0:3`,
      '--retain',
      `${DATA}@3:8`,
      '--json',
      '-o',
      join(out, 'e.json'),
    );
    expect(e.code, e.err).toBe(0);
    const values = JSON.parse(e.out).metrics.values;
    for (const k of ['forget_acc', 'forget_exact_acc', 'forget_micro_f1', 'forget_loss', 'retain_acc', 'retain_loss'])
      expect(Number.isFinite(values[k]), k).toBe(true);
  });

  it('∇τ (both schedules) and finetune unlearn it; their accuracies are the exact match', async () => {
    const runs = [['gradtau', 'default'], ['gradtau', 'reference'], ['finetune']];
    for (const [method, schedule] of runs) {
      const o = join(out, `${method}-${schedule ?? ''}.onnx`);
      const args = ['--method', method, '--retain', `${DATA}@3:12`, '-o', o, '--json'];
      if (schedule) args.push('--schedule', schedule, '--val', `${DATA}@3:12`);
      const r = await run(`${DIR}/sigmoid.onnx`, `${DATA}@0:3`, ...args);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out);
      expect(report.method).toBe(method);
      // no forget example has all 5 labels right at 0.5 before (exact match)
      expect(report.forgetAccuracy.before).toBe(0);
    }
  });
});
