// A model whose weights live in an external data file (ONNX external data): its records name and hash
// that file on the input side, as on the output side, so that a record fixes the weights it ran on.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, fisher, unlearn, verify } from '../src/index.js';
import { externalize } from './support/fixtures.js';

const NORM = { mean: [0.286], std: [0.353] };

describe('records of a model with external data', () => {
  it('hash the input data file in an unlearning record and an evaluation record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-external-'));
    const model = externalize('models/cnn.onnx', dir);
    const data = join(dir, 'ext.onnx.data');
    const bytes = readFileSync(data);
    const expected = [{ path: data, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }];
    const u = await unlearn({
      model,
      forget: 'models/forget@0:32',
      train: 'models/forget',
      out: join(dir, 'out', 'edited.onnx'),
      threads: 1,
      ...NORM,
    });
    const record = JSON.parse(readFileSync(u.record, 'utf8'));
    expect(record.input.dataFiles).toEqual(expected);
    expect(record.output.dataFiles.map((f: { path: string }) => f.path)).toEqual([
      join(dir, 'out', 'edited.onnx.data'),
    ]);
    expect((await verify({ model: u.output.path, record: u.record })).ok).toBe(true);
    const e = await evaluate({ model, forget: 'models/forget@0:32', out: join(dir, 'eval.record.json'), ...NORM });
    expect(JSON.parse(readFileSync(e.record, 'utf8')).input.dataFiles).toEqual(expected);
  });

  it('are inputs: no command writes over them, whatever its output is called, before any pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-external-'));
    // a.onnx reads its weights from ext.onnx.data, the file an edited model written to ext.onnx would have
    renameSync(externalize('models/cnn.onnx', dir), join(dir, 'a.onnx'));
    const model = join(dir, 'a.onnx');
    const data = join(dir, 'ext.onnx.data');
    const before = readFileSync(data);
    const common = { model, forget: 'models/forget@0:32', ...NORM };
    await expect(unlearn({ ...common, train: 'models/forget', out: join(dir, 'ext.onnx') })).rejects.toThrow(
      /refusing to write there/,
    );
    await expect(unlearn({ ...common, train: 'models/forget', out: data })).rejects.toThrow(/refusing to write there/);
    await expect(evaluate({ ...common, out: data })).rejects.toThrow(/refusing to write there/);
    await expect(fisher({ model, train: 'models/forget', out: data, ...NORM })).rejects.toThrow(
      /refusing to write there/,
    );
    expect(readFileSync(data).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['a.onnx', 'ext.onnx.data']);
  });
});
