// Sets for models with several inputs (data/named.ts): a folder of one NAME.npy per input and y.npy;
// batches carry every input by name, aligned with their labels and positions, under selections; the
// examples' digests cover every input; what cannot be aligned is refused in one line.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../src/core/errors.js';
import { openDataset, type Batch, type DatasetOptions } from '../src/data/dataset.js';
import { exampleDigests, hex } from '../src/data/digest.js';
import { encodeNpy } from '../src/data/npy.js';
import { DataType } from '../src/graph/ir.js';

const INPUTS = [
  { name: 'ids', dtype: DataType.INT64, dims: ['batch', 4] },
  { name: 'mask', dtype: DataType.FLOAT, dims: ['batch', 2] },
];
const OPTS: DatasetOptions = { input: INPUTS[0], inputs: INPUTS };

function folder(n = 5, maskRows = n, withY = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'scrub-named-'));
  writeFileSync(
    join(dir, 'ids.npy'),
    encodeNpy(
      BigInt64Array.from({ length: n * 4 }, (_, i) => BigInt(i)),
      [n, 4],
    ),
  );
  writeFileSync(
    join(dir, 'mask.npy'),
    encodeNpy(
      Float32Array.from({ length: maskRows * 2 }, (_, i) => i / 10),
      [maskRows, 2],
    ),
  );
  if (withY)
    writeFileSync(
      join(dir, 'y.npy'),
      encodeNpy(
        BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3)),
        [n],
      ),
    );
  return dir;
}

async function all(spec: string, size: number, opts = OPTS): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of (await openDataset(spec, opts)).batches(size)) out.push(b);
  return out;
}

describe('a folder of one NAME.npy per input', () => {
  it('batches carry every input, the first as x, with y and positions', async () => {
    const batches = await all(folder(), 2);
    expect(batches.map((b) => b.index)).toEqual([[0, 1], [2, 3], [4]]);
    const last = batches[2];
    expect(Object.keys(last.inputs!)).toEqual(['ids', 'mask']);
    expect(last.x).toBe(last.inputs!.ids);
    expect([...(last.inputs!.ids.data as BigInt64Array)]).toEqual([16n, 17n, 18n, 19n]);
    expect(Array.from(last.inputs!.mask.data as Float32Array)).toEqual([Math.fround(0.8), Math.fround(0.9)]);
    expect(last.inputs!.mask.dims).toEqual([1, 2]);
    expect([...last.y]).toEqual([1n]);
  });

  it('selections apply to every input alike', async () => {
    const [b] = await all(`${folder()}@1:4`, 10);
    expect(b.index).toEqual([0, 1, 2]); // positions in the selected set
    expect((b.inputs!.ids.data as BigInt64Array)[0]).toBe(4n);
    expect((b.inputs!.mask.data as Float32Array)[0]).toBe(Math.fround(0.2));
  });

  it('a set without y.npy has no labels', async () => {
    const ds = await openDataset(folder(5, 5, false), OPTS);
    expect(ds.labelled).toBe(false);
  });

  it("the examples' digests cover every input", async () => {
    const a = folder();
    const b = folder();
    writeFileSync(join(b, 'mask.npy'), encodeNpy(new Float32Array(10).fill(7), [5, 2]));
    const [da, db] = [(await all(a, 5))[0], (await all(b, 5))[0]].map((x) => exampleDigests(x).map(hex));
    expect(da.every((d, i) => d !== db[i])).toBe(true);
    // and they are stable: the same files give the same digests
    expect(exampleDigests((await all(a, 5))[0]).map(hex)).toEqual(da);
  });

  it.each([
    [
      'a missing NAME.npy',
      () => {
        const d = mkdtempSync(join(tmpdir(), 'scrub-named-'));
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, 'ids.npy'), encodeNpy(new BigInt64Array(8), [2, 4]));
        return d;
      },
      /no mask\.npy; give a folder holding ids\.npy, mask\.npy \(and y\.npy for labels\)/,
    ],
    ['inputs of other counts', () => folder(5, 4), /mask\.npy selects 4 examples and ids\.npy 5; every input holds/],
    [
      'a file instead of a folder',
      () => join(folder(), 'ids.npy'),
      /the model takes 2 inputs \(ids, mask\); give a folder/,
    ],
  ])('%s: one BadInputError', async (_, make, message) => {
    const spec = make();
    await expect(openDataset(spec, OPTS)).rejects.toThrow(BadInputError);
    await expect(openDataset(spec, OPTS)).rejects.toThrow(message);
  });

  it('--on-bad-input skip is refused (a skipped example would misalign the inputs)', async () => {
    await expect(openDataset(folder(), { ...OPTS, onBadInput: 'skip' })).rejects.toThrow(
      /cannot be used with several inputs/,
    );
  });
});
