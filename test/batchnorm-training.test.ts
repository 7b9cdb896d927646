// Field case (issue 15, item 3): BatchNormalization exported in training mode (opset 13 with five outputs,
// opset 15 with training_mode = 1) is differentiated with the batch's statistics, as ONNX Runtime computes it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { FIXTURES, l2, oracle, relL2 } from './support/fixtures.js';
import { run } from './support/cli.js';

const CASE = `${FIXTURES}/field/batchnorm-training-mode`;

describe('scrub grad on a model with BatchNormalization in training form', () => {
  it.each(['model_opset13', 'model_opset15'])('%s: batch-statistics gradients match the oracle', async (name) => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-bn-')), 'g');
    const r = await run('grad', `${CASE}/${name}.onnx`, '--x', `${CASE}/x.npy`, '--y', `${CASE}/y.npy`, '--out', out);
    expect(r.code, r.err).toBe(0);
    const notes = r.err.split('\n').filter((l) => l.startsWith('note: BatchNormalization'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/in training form: differentiated with the statistics of each batch/);

    const want = oracle(`${CASE}/expected/${name}`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(Math.abs(summary.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    expect(summary.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
      want.parameters.map((p) => p.name).sort(),
    );
    const expected = new Map(want.parameters.map((p) => [p.name, readNpy(`${CASE}/expected/${name}/${p.file}`)]));
    const largest = Math.max(...[...expected.values()].map((g) => l2(g.data as Float64Array)));
    for (const p of summary.parameters) {
      const mine = readNpy(join(out, p.file)).data as Float32Array;
      const ref = expected.get(p.name)!;
      expect(ref.shape).toEqual(p.shape);
      // a bias added before the batch normalisation cancels: its true gradient is exactly zero
      if (p.name === 'c1.bias') expect(l2(mine)).toBeLessThan(1e-6 * largest);
      else expect(relL2(mine, ref.data as Float64Array), p.name).toBeLessThan(1e-4);
    }
  });

  it('the run context (scrub fisher) prints the note once', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-bn-')), 'f.fisher');
    const r = await run('fisher', `${CASE}/model_opset15.onnx`, 'models/forget@0:16', '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err.split('\n').filter((l) => /^note: BatchNormalization .* training form/.test(l))).toHaveLength(1);
  });
});
