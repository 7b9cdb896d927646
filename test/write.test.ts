import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/graph/load.js';
import { tensorToFloat32 } from '../src/graph/ir.js';
import { writeModel } from '../src/graph/write.js';
import { Session } from '../src/runtime/session.js';
import { FIXTURES, changedBytes, externalize } from './support/fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-write-'));

async function runs(path: string): Promise<Float32Array> {
  const s = await Session.create(path);
  const out = await s.run({ input: { data: new Float32Array(2 * 784).fill(0.1), dims: [2, 1, 28, 28] } });
  await s.release();
  return out.logits.data as Float32Array;
}

describe('writing edited models', () => {
  it('patches one initializer in place; every other byte identical; ORT runs it', async () => {
    const src = `${FIXTURES}/models/cnn.onnx`;
    const model = loadModel(src);
    const t = model.graph.initializers.get('fc2.bias')!;
    const edited = tensorToFloat32(t).map((v) => v + 1);
    const out = join(tmp(), 'edited.onnx');
    writeModel(model, out, new Map([['fc2.bias', edited]]));
    const before = readFileSync(src);
    const after = readFileSync(out);
    expect(after.length).toBe(before.length);
    const { inside, outside } = changedBytes(before, after, t.location as { offset: number; length: number });
    expect(outside, 'bytes changed outside fc2.bias').toBe(0);
    expect(inside).toBeGreaterThan(0);
    expect(tensorToFloat32(loadModel(out).graph.initializers.get('fc2.bias')!)).toEqual(edited);
    const [a, b] = [await runs(src), await runs(out)];
    a.forEach((v, i) => expect(b[i] - v).toBeCloseTo(1, 4)); // a bias shift of 1 shifts every logit by 1
    expect(readFileSync(src).equals(before)).toBe(true); // input untouched
  });

  it('handles external data: own data file, only location strings change', async () => {
    const dir = tmp();
    const src = externalize(`${FIXTURES}/models/mlp.onnx`, dir);
    const model = loadModel(src);
    const t = model.graph.initializers.get('fc3.weight')!;
    expect(t.location.kind).toBe('external');
    const edited = tensorToFloat32(t).map((v) => v * 0.5);
    const out = join(dir, 'out', 'edited.onnx');
    const outDir = join(dir, 'out');
    (await import('node:fs')).mkdirSync(outDir);
    const res = writeModel(model, out, new Map([['fc3.weight', edited]]));
    expect(res.dataFiles.map((f) => f.split('/').pop())).toEqual(['edited.onnx.data']);
    const inData = readFileSync(join(dir, 'ext.onnx.data'));
    const outData = readFileSync(join(outDir, 'edited.onnx.data'));
    const { inside, outside } = changedBytes(inData, outData, t.location as { offset: number; length: number });
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0);
    // the model file differs only by the renamed location strings: same graph, same tensors
    const reread = loadModel(out);
    expect(JSON.stringify(reread.graph.nodes)).toBe(JSON.stringify(model.graph.nodes));
    expect(
      [...reread.graph.initializers.values()].map((x) => [
        x.name,
        x.dims,
        x.location.kind === 'external' && x.location.file,
      ]),
    ).toEqual([...model.graph.initializers.values()].map((x) => [x.name, x.dims, 'edited.onnx.data']));
    expect(tensorToFloat32(reread.graph.initializers.get('fc3.weight')!)).toEqual(edited);
    expect(tensorToFloat32(reread.graph.initializers.get('fc1.weight')!)).toEqual(
      tensorToFloat32(model.graph.initializers.get('fc1.weight')!),
    );
    expect((await runs(out)).length).toBe(20);
    // nor over the input's data file, which an output named ext.onnx beside it would have as its own
    expect(() => writeModel(model, join(dir, 'ext.onnx'), new Map([['fc3.weight', edited]]))).toThrow(
      /refusing to overwrite the input model/,
    );
    (await import('node:fs')).renameSync(src, join(dir, 'a.onnx'));
    const moved = loadModel(join(dir, 'a.onnx'));
    expect(() => writeModel(moved, join(dir, 'ext.onnx'), new Map([['fc3.weight', edited]]))).toThrow(
      /refusing to overwrite the input model's external data .*ext\.onnx\.data/,
    );
    expect(readFileSync(join(dir, 'ext.onnx.data')).equals(inData)).toBe(true);
  });

  it('refuses to overwrite its input and leaves no temp files on failure', () => {
    const dir = tmp();
    const src = join(dir, 'm.onnx');
    writeFileSync(src, readFileSync(`${FIXTURES}/models/mlp.onnx`));
    const model = loadModel(src);
    expect(() => writeModel(model, src, new Map())).toThrow(/refusing to overwrite the input/);
    expect(() => writeModel(model, join(dir, 'x.onnx'), new Map([['fc1.bias', new Float32Array(3)]]))).toThrow(
      /has 3 elements/,
    );
    expect(() => writeModel(model, join(dir, 'no', 'such', 'dir', 'x.onnx'), new Map())).toThrow(/could not write/);
    expect(readdirSync(dir)).toEqual(['m.onnx']);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });
});
