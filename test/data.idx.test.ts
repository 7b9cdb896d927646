// IDX files (gzipped and plain), pairing, and every form of selection, on Fashion-MNIST.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { openDataset, type Dataset, type DataNote, type DatasetOptions } from '../src/data/dataset.js';
import { IndexSet } from '../src/data/select.js';
import { rejects } from './support/expect-error.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const TRAIN = `${FM}/train-images-idx3-ubyte.gz`;
const TEST = `${FM}/t10k-images-idx3-ubyte.gz`;
const DATA = new URL('./fixtures/data/', import.meta.url).pathname;
const PLAIN = `${DATA}t10k-100-images-idx3-ubyte`;
const CLASS0 = `${DATA}class0.json`;
const input = { dtype: 1, dims: ['batch', 1, 28, 28] };
const tmp = mkdtempSync(join(tmpdir(), 'scrub-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function opts(extra: Partial<DatasetOptions> = {}, notes: DataNote[] = []): DatasetOptions {
  return { input, onNote: (n) => notes.push(n), ...extra };
}

async function collect(ds: Dataset, batchSize = 64) {
  const xs: Float32Array[] = [];
  const ys: bigint[] = [];
  const index: number[] = [];
  const sizes: number[] = [];
  for await (const b of ds.batches(batchSize)) {
    xs.push(b.x.data as Float32Array);
    ys.push(...b.y);
    index.push(...b.index);
    sizes.push(b.y.length);
  }
  const x = new Float32Array(xs.reduce((a, v) => a + v.length, 0));
  let o = 0;
  for (const v of xs) x.set(v, (o += v.length) - v.length);
  return { x, y: ys.map(Number), index, sizes };
}

/** Labels of a whole IDX labels file, for checking. */
const labelsOf = (file: string) => [...gunzipSync(readFileSync(file)).subarray(8)];

describe('IDX', () => {
  it.skipIf(noFashionMnist)(
    'reads the gzipped test file, pairs its labels by name, and reproduces the fixtures batch',
    async () => {
      const ds = await openDataset(TEST, opts({ mean: [0.286], std: [0.353] }));
      expect(ds.count).toBe(10000);
      expect(ds.exampleDims).toEqual([1, 28, 28]);
      expect(ds.description).toContain('t10k-labels-idx1-ubyte.gz');
      const it = ds.batches(64)[Symbol.asyncIterator]();
      const first = (await it.next()).value!;
      await it.return?.();
      const x = readNpy(new URL('./fixtures/batch/x.npy', import.meta.url).pathname);
      const y = readNpy(new URL('./fixtures/batch/y.npy', import.meta.url).pathname);
      expect(first.x.dims).toEqual([64, 1, 28, 28]);
      expect(Array.from(first.x.data as Float32Array)).toEqual(Array.from(x.data as Float32Array)); // bit for bit
      expect(first.y).toEqual(y.data);
      expect(first.index).toEqual([...Array(64).keys()]);
    },
  );

  it.skipIf(noFashionMnist)('reads a plain (not gzipped) file the same as the gzipped one', async () => {
    const plain = await collect(await openDataset(PLAIN, opts()), 30);
    const gz = await collect(await openDataset(`${TEST}@0:100`, opts()), 30);
    expect(plain.sizes).toEqual([30, 30, 30, 10]);
    expect(plain.y.slice(0, 10)).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(plain.x).toEqual(gz.x);
    expect(plain.y).toEqual(gz.y);
    // Default normalisation: pixel/255. Example 0, row 10 holds non-zero pixels.
    const raw = readFileSync(PLAIN).subarray(16);
    for (let i = 280; i < 308; i++) expect(plain.x[i]).toBe(Math.fround(raw[i] / 255));
  });

  it.skipIf(noFashionMnist)(
    'takes an explicit IMAGES,LABELS pair, and says when no labels file is beside the images',
    async () => {
      const images = join(tmp, 'digits.idx3');
      copyFileSync(PLAIN, images);
      await rejects(
        openDataset(images, opts()),
        /digits\.idx3: cannot tell which file holds its labels.*IMAGES,LABELS/,
      );
      const lonely = join(tmp, 'lonely-images-idx3-ubyte');
      copyFileSync(PLAIN, lonely);
      await rejects(
        openDataset(lonely, opts()),
        /no labels file beside it \(looked for lonely-labels-idx1-ubyte\[\.gz\]\)/,
      );
      const ds = await openDataset(`${images},${DATA}t10k-100-labels-idx1-ubyte@10:20`, opts());
      const got = await collect(ds);
      expect(ds.count).toBe(10);
      expect(got.y).toEqual(labelsOf(`${FM}/t10k-labels-idx1-ubyte.gz`).slice(10, 20));
    },
  );

  it('feeds a flat [batch, 784] input (same values, another shape)', async () => {
    const ds = await openDataset(`${PLAIN}@0:2`, { input: { dtype: 1, dims: [null, 784] } });
    const b = (await collect(ds)).x;
    expect(ds.exampleDims).toEqual([784]);
    expect(b.length).toBe(2 * 784);
  });
});

describe('selections', () => {
  const trainLabels = noFashionMnist ? [] : labelsOf(`${FM}/train-labels-idx1-ubyte.gz`);

  it.skipIf(noFashionMnist)(
    '0:55000 is the fixtures train set; with class0.json it is the class0 forget set (5,479, all class 0)',
    async () => {
      expect((await openDataset(`${TRAIN}@0:55000`, opts())).count).toBe(55000);
      const forget = await openDataset(`${TRAIN}@0:55000@${CLASS0}`, opts());
      expect(forget.count).toBe(5479);
      const got = await collect(forget, 1000);
      expect(got.y.length).toBe(5479);
      expect(got.y.every((v) => v === 0)).toBe(true);
      expect(got.index).toEqual([...Array(5479).keys()]);
      const list = JSON.parse(readFileSync(CLASS0, 'utf8')) as number[];
      expect(list.filter((i) => trainLabels[i] === 0).length).toBe(5479);
    },
  );

  it.skipIf(noFashionMnist)('retain = first 55,000 minus the forget list, in ascending order', async () => {
    const retain = await openDataset(`${TRAIN}@0:55000@~${CLASS0}`, opts());
    expect(retain.count).toBe(55000 - 5479);
    expect(retain.description).toMatch(/@0:55000@~.*class0\.json: 49521 of 60000 examples/);
    const got = await collect(retain, 4096);
    expect(got.y.length).toBe(49521);
    expect(got.y.includes(0)).toBe(false);
    const expected = trainLabels.slice(0, 55000).filter((v) => v !== 0);
    expect(got.y).toEqual(expected);
  });

  it.skipIf(noFashionMnist)('ranges: negative bounds, open ends, a single index, a complemented range', async () => {
    const last = await collect(await openDataset(`${TEST}@-3:`, opts()));
    const explicit = await collect(await openDataset(`${TEST}@9997:10000`, opts()));
    const complement = await collect(await openDataset(`${TEST}@~:9997`, opts()));
    expect(last.x).toEqual(explicit.x);
    expect(complement.x).toEqual(explicit.x);
    expect(last.y).toEqual(labelsOf(`${FM}/t10k-labels-idx1-ubyte.gz`).slice(9997));
    const one = await collect(await openDataset(`${PLAIN}@7`, opts()));
    const all = await collect(await openDataset(PLAIN, opts()));
    expect(one.x).toEqual(all.x.subarray(7 * 784, 8 * 784));
    expect((await openDataset(`${TEST}@55:`, opts())).count).toBe(9945);
    expect((await openDataset(`${TEST}@:-5000`, opts())).count).toBe(5000);
  });

  it('an index list in any order, with repeats, is a set read in ascending order (with notes)', async () => {
    const list = join(tmp, 'some.json');
    writeFileSync(list, JSON.stringify([40, 3, 17, 3]));
    const notes: DataNote[] = [];
    const ds = await openDataset(`${PLAIN}@${list}`, opts({}, notes));
    const all = await collect(await openDataset(PLAIN, opts()));
    const got = await collect(ds);
    expect(ds.count).toBe(3);
    expect(got.y).toEqual([3, 17, 40].map((i) => all.y[i]));
    expect(notes.map((n) => n.message).join('\n')).toMatch(/not in ascending order[\s\S]*1 duplicate indices ignored/);
    // ascending with a repeat: only the duplicate note (it also said "not in ascending order")
    writeFileSync(list, JSON.stringify([3, 3, 4]));
    const dup: DataNote[] = [];
    expect((await openDataset(`${PLAIN}@${list}`, opts({}, dup))).count).toBe(2);
    expect(dup.map((n) => n.message)).toEqual([expect.stringMatching(/some\.json: 1 duplicate indices ignored/)]);
  });

  it('IndexSet algebra', () => {
    const a = IndexSet.fromSorted([1, 2, 3, 7, 9, 10]);
    expect([...a]).toEqual([1, 2, 3, 7, 9, 10]);
    expect(a.starts).toEqual([1, 7, 9]);
    expect([...a.complement(12)]).toEqual([0, 4, 5, 6, 8, 11]);
    expect([...a.intersect(IndexSet.range(2, 9))]).toEqual([2, 3, 7]);
    expect(a.complement(12).intersect(a).size).toBe(0);
    // at(k): the index of rank k, as iteration gives it
    expect([0, 1, 2, 3, 4, 5].map((k) => a.at(k))).toEqual([...a]);
    expect(() => a.at(6)).toThrow(RangeError);
    expect(() => a.at(-1)).toThrow(RangeError);
  });

  it('refuses indices out of range, empty selections, missing or malformed lists', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '[0, 100]');
    await rejects(
      openDataset(`${PLAIN}@${bad}`, opts()),
      /bad\.json: index 100 is out of range .* has 100 examples \(indices 0 to 99\)/,
    );
    await rejects(
      openDataset(`${PLAIN}@0:101`, opts()),
      /selection "0:101" is out of range: the source has 100 examples/,
    );
    await rejects(openDataset(`${PLAIN}@100`, opts()), /selection "100" is out of range/);
    await rejects(openDataset(`${PLAIN}@-101:`, opts()), /out of range/);
    await rejects(openDataset(`${PLAIN}@0:10@~0:10`, opts()), /the selection is empty/);
    await rejects(openDataset(`${PLAIN}@5:5`, opts()), /"5:5" is an empty range/);
    await rejects(
      openDataset(`${PLAIN}@nothere.json`, opts()),
      /nothere\.json: no such selection file\. A selection term is A:B, N or a JSON index-list file/,
    );
    writeFileSync(bad, '{"indices": [1]}');
    await rejects(openDataset(`${PLAIN}@${bad}`, opts()), /expected a JSON list of example indices/);
    writeFileSync(bad, '[1, -2]');
    await rejects(openDataset(`${PLAIN}@${bad}`, opts()), /entry 1 \(-2\) is not a non-negative integer index/);
    writeFileSync(bad, '[1,');
    await rejects(openDataset(`${PLAIN}@${bad}`, opts()), /not valid JSON/);
  });
});

describe('IDX bad input', () => {
  it.skipIf(noFashionMnist)(
    'names a missing file, a file that is not IDX, a truncated file and a count mismatch',
    async () => {
      await rejects(
        openDataset(join(tmp, 'none-images-idx3-ubyte.gz'), opts()),
        /none-images-idx3-ubyte\.gz: no such file or folder/,
      );
      const junk = join(tmp, 'junk.bin');
      writeFileSync(junk, 'hello world, not a dataset');
      await rejects(openDataset(junk, opts()), /junk\.bin: not a data format scrub reads/);
      const bytes = readFileSync(PLAIN);
      const cut = join(tmp, 'cut-images-idx3-ubyte');
      writeFileSync(cut, bytes.subarray(0, 16 + 784 * 50 + 100));
      copyFileSync(`${DATA}t10k-100-labels-idx1-ubyte`, join(tmp, 'cut-labels-idx1-ubyte'));
      const ds = await openDataset(cut, opts());
      expect(ds.count).toBe(100);
      await rejects(collect(ds), /cut-images-idx3-ubyte: the file ends before example 50, though its header says 100/);
      const short = join(tmp, 'short-labels-idx1-ubyte');
      const lb = Buffer.from(readFileSync(`${DATA}t10k-100-labels-idx1-ubyte`).subarray(0, 8 + 99));
      lb.writeUInt32BE(99, 4);
      writeFileSync(short, lb);
      await rejects(
        openDataset(`${PLAIN},${short}`, opts()),
        /holds 100 examples but .*short-labels-idx1-ubyte holds 99 labels/,
      );
      await rejects(
        openDataset(`${DATA}t10k-100-labels-idx1-ubyte`, opts()),
        /a 1-D IDX file holds labels, not inputs/,
      );
      const gz = readFileSync(TEST);
      const cutGz = join(tmp, 'cutgz-images-idx3-ubyte.gz');
      writeFileSync(cutGz, gz.subarray(0, gz.length >> 1));
      copyFileSync(`${FM}/t10k-labels-idx1-ubyte.gz`, join(tmp, 'cutgz-labels-idx1-ubyte.gz'));
      const half = await openDataset(cutGz, opts());
      expect(half.count).toBe(10000);
      await rejects(
        collect(half, 1000),
        /cutgz-images-idx3-ubyte\.gz: cannot read the file \(unexpected end of file\)\. Check that it is complete/,
      );
    },
  );

  it('says when the images cannot fit the model input', async () => {
    await rejects(
      openDataset(PLAIN, { input: { dtype: 1, dims: ['batch', 3, 32, 32] } }),
      /each example has shape \[28,28\] \(784 values\).*\[batch,3,32,32\]: it takes 3072 values per example/,
    );
    await rejects(openDataset(PLAIN, { input: { dtype: 8, dims: ['batch', 784] } }), /takes string/);
  });
});
