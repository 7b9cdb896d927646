// NumPy pairs and JSON Lines: folders, file pairs, token ids and tabular rows, and bad input.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { checkLabelRange, openDataset, type Dataset, type DataNote, type DatasetOptions } from '../src/data/dataset.js';
import { rejects } from './support/expect-error.js';

const BATCH = new URL('./fixtures/batch/', import.meta.url).pathname;
const PLAIN = new URL('./fixtures/data/t10k-100-images-idx3-ubyte', import.meta.url).pathname;
const gray28 = { dtype: 1, dims: ['batch', 1, 28, 28] };
const tmp = mkdtempSync(join(tmpdir(), 'scrub-tabular-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function opts(
  input: DatasetOptions['input'],
  extra: Partial<DatasetOptions> = {},
  notes: DataNote[] = [],
): DatasetOptions {
  return { input, onNote: (n) => notes.push(n), ...extra };
}

async function collect(ds: Dataset, batchSize = 16) {
  const x: (number | bigint)[] = [];
  const y: number[] = [];
  const index: number[] = [];
  const dims: (readonly number[])[] = [];
  for await (const b of ds.batches(batchSize)) {
    x.push(...(b.x.data as ArrayLike<number | bigint> as number[]));
    y.push(...Array.from(b.y, Number));
    index.push(...b.index);
    dims.push(b.x.dims);
  }
  return { x, y, index, dims };
}

const write = (name: string, bytes: Uint8Array | string) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};

describe('npy', () => {
  it('a folder with x.npy and y.npy, and the same as an explicit file pair', async () => {
    const dir = join(tmp, 'batch');
    mkdirSync(dir);
    copyFileSync(`${BATCH}x.npy`, join(dir, 'x.npy'));
    copyFileSync(`${BATCH}y.npy`, join(dir, 'y.npy'));
    const ds = await openDataset(dir, opts(gray28));
    expect(ds.count).toBe(64);
    expect(ds.description).toMatch(/npy .*x\.npy \(float32 \[64,1,28,28\]\) \+ y\.npy/);
    const got = await collect(ds, 50);
    expect(got.dims).toEqual([
      [50, 1, 28, 28],
      [14, 1, 28, 28],
    ]);
    expect(got.x).toEqual(Array.from(readNpy(`${BATCH}x.npy`).data as Float32Array));
    expect(got.y).toEqual(Array.from(readNpy(`${BATCH}y.npy`).data as BigInt64Array, Number));
    const pair = await collect(await openDataset(`${BATCH}x.npy,${BATCH}y.npy@60:`, opts(gray28)));
    expect(pair.y).toEqual(got.y.slice(60));
    expect(pair.x).toEqual(got.x.slice(60 * 784));
    expect(pair.index).toEqual([0, 1, 2, 3]);
  });

  it('pairs train_x.npy with train_y.npy; uint8 inputs are pixels, int32 labels fine', async () => {
    const raw = readFileSync(PLAIN).subarray(16, 16 + 10 * 784);
    const u8 = encodeNpy(new Int32Array(1), [1]);
    // encodeNpy writes no uint8: build the uint8 file from its header
    const header = new TextDecoder().decode(u8.subarray(10, 10 + new DataView(u8.buffer).getUint16(8, true)));
    const h = header.replace("'<i4'", "'|u1'").replace('(1,)', '(10, 28, 28)');
    const pre = new Uint8Array(10);
    pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(pre.buffer).setUint16(8, h.length, true);
    const x = write('train_x.npy', Buffer.concat([pre, Buffer.from(h, 'latin1'), raw]));
    write('train_y.npy', encodeNpy(Int32Array.from([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]), [10]));
    const notes: DataNote[] = [];
    const ds = await openDataset(x, opts(gray28, { mean: [0.286], std: [0.353] }, notes));
    const idx = await openDataset(`${PLAIN}@0:10`, opts(gray28, { mean: [0.286], std: [0.353] }));
    const a = await collect(ds);
    const b = await collect(idx);
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(notes.map((n) => n.message).join()).toMatch(/uint8 values are read as 8-bit pixels/);
  });

  it('int64 and int32 token ids into an int64 input; float64 into float32 with a note', async () => {
    const ids = BigInt64Array.from({ length: 3 * 5 }, (_, i) => BigInt(i * 1000 + 7));
    write('tok_x.npy', encodeNpy(ids, [3, 5]));
    write('tok_y.npy', encodeNpy(BigInt64Array.from([0n, 1n, 0n]), [3]));
    const seq = { dtype: 7, dims: ['batch', 'seq'] };
    const got = await collect(await openDataset(join(tmp, 'tok_x.npy'), opts(seq)));
    expect(got.x).toEqual(Array.from(ids));
    expect(got.dims).toEqual([[3, 5]]);
    write('t32_x.npy', encodeNpy(Int32Array.from(ids, Number), [3, 5]));
    write('t32_y.npy', encodeNpy(BigInt64Array.from([0n, 1n, 0n]), [3]));
    expect((await collect(await openDataset(join(tmp, 't32_x.npy'), opts(seq)))).x).toEqual(Array.from(ids));
    write('f64_x.npy', encodeNpy(Float64Array.from([0.1, 0.2, 0.3, 0.4]), [2, 2]));
    write('f64_y.npy', encodeNpy(BigInt64Array.from([1n, 2n]), [2]));
    const notes: DataNote[] = [];
    const f = await collect(
      await openDataset(join(tmp, 'f64_x.npy'), opts({ dtype: 1, dims: [null, 2] }, { mean: [0.5] }, notes)),
    );
    expect(f.x).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    expect(notes.map((n) => n.message).join('\n')).toMatch(
      /float64 values converted to float32[\s\S]*the normalisation \(.*\) applies to 8-bit pixel data only/,
    );
    await rejects(openDataset(join(tmp, 'f64_x.npy'), opts(seq)), /holds float64, the model's input takes int64/);
  });

  it('bad input: count mismatch, 2-D or float labels, no partner file, a negative label', async () => {
    write('m_x.npy', encodeNpy(new Float32Array(4 * 3), [4, 3]));
    write('m_y.npy', encodeNpy(BigInt64Array.from([0n, 1n, 2n]), [3]));
    const flat3 = { dtype: 1, dims: ['n', 3] };
    await rejects(
      openDataset(join(tmp, 'm_x.npy'), opts(flat3)),
      /m_x\.npy holds 4 examples but .*m_y\.npy holds 3 labels/,
    );
    write('m_y.npy', encodeNpy(new BigInt64Array(4), [2, 2]));
    await rejects(
      openDataset(join(tmp, 'm_x.npy'), opts(flat3)),
      /labels must be a 1-D array of class indices, got shape \[2,2\]/,
    );
    write('m_y.npy', encodeNpy(new Float32Array(4), [4]));
    await rejects(openDataset(join(tmp, 'm_x.npy'), opts(flat3)), /labels are float32; save them as int64 or int32/);
    write('lonely.npy', encodeNpy(new Float32Array(4), [4, 1]));
    await rejects(openDataset(join(tmp, 'lonely.npy'), opts(flat3)), /cannot tell which file holds its labels/);
    write('solo_x.npy', encodeNpy(new Float32Array(4), [4, 1]));
    await rejects(openDataset(join(tmp, 'solo_x.npy'), opts(flat3)), /no labels file .*solo_y\.npy beside it/);
    write('m_y.npy', encodeNpy(BigInt64Array.from([0n, 1n, -1n, 2n]), [4]));
    await rejects(
      openDataset(join(tmp, 'm_x.npy'), opts({ dtype: 1, dims: ['n', 4] })),
      /shape \[3\] \(3 values\).*takes 4 values per example/,
    );
    await rejects(
      collect(await openDataset(join(tmp, 'm_x.npy'), opts(flat3))),
      /m_y\.npy: example 2: label -1 is negative\. Fix or remove it/,
    );
    const notes: DataNote[] = [];
    const got = await collect(await openDataset(join(tmp, 'm_x.npy'), opts(flat3, { onBadInput: 'skip' }, notes)));
    expect(got.y).toEqual([0, 1, 2]);
    expect(got.index).toEqual([0, 1, 3]);
    expect(notes[0]).toMatchObject({ kind: 'skip', position: 2 });
    write('bad.npy', 'not numpy at all');
    await rejects(
      openDataset(`${join(tmp, 'bad.npy')},${join(tmp, 'm_y.npy')}`, opts(flat3)),
      /bad\.npy: not a NumPy \.npy file/,
    );
  });
});

describe('JSON Lines', () => {
  it('int64 token ids into [batch, seq]: the first row sets seq; blank lines are not examples', async () => {
    const rows = [
      { x: [50256, 1, 2, 3], y: 1 },
      { x: [4, 5, 6, 7], y: 0 },
      { x: [8, 9, 10, 11], y: 1 },
    ];
    const p = write('tokens.jsonl', rows.map((r) => JSON.stringify(r)).join('\n\n') + '\n   \n');
    const ds = await openDataset(p, opts({ dtype: 7, dims: ['batch', 'seq'] }));
    expect(ds.count).toBe(3);
    expect(ds.exampleDims).toEqual([4]);
    const got = await collect(ds, 2);
    expect(got.x).toEqual(rows.flatMap((r) => r.x.map(BigInt)));
    expect(got.y).toEqual([1, 0, 1]);
    expect(got.dims).toEqual([
      [2, 4],
      [1, 4],
    ]);
    const sel = await collect(await openDataset(`${p}@1:`, opts({ dtype: 7, dims: ['batch', 'seq'] })));
    expect(sel.y).toEqual([0, 1]);
    expect(sel.x.slice(0, 4)).toEqual([4n, 5n, 6n, 7n]);
  });

  it('float tabular rows, and nested rows for a [batch, 2, 3] input', async () => {
    const p = write('tab.ndjson', '{"x": [0.5, -1.25, 3e-3, 7], "y": 2}\r\n{"y": 0, "x": [1, 2, 3, 4]}\r\n');
    const got = await collect(await openDataset(p, opts({ dtype: 1, dims: [null, 4] })));
    expect(got.x).toEqual([0.5, -1.25, Math.fround(3e-3), 7, 1, 2, 3, 4]);
    expect(got.y).toEqual([2, 0]);
    const q = write('nested.jsonl', '{"x": [[1, 2, 3], [4, 5, 6]], "y": 0}\n');
    const n = await openDataset(q, opts({ dtype: 11, dims: ['n', 2, 3] }));
    const nx = await collect(n);
    expect(nx.x).toEqual([1, 2, 3, 4, 5, 6]);
    expect(nx.dims).toEqual([[1, 2, 3]]);
  });

  it('ragged rows: stop names file and line; skip leaves them out', async () => {
    const p = write(
      'ragged.jsonl',
      [
        '{"x": [1, 2, 3], "y": 0}',
        '{"x": [1, 2], "y": 1}',
        '{"x": [4, 5, 6], "y": 2}',
        '{"x": [[1], [2], [3]], "y": 2}',
      ].join('\n'),
    );
    const seq = { dtype: 7, dims: ['batch', 'seq'] };
    await rejects(
      collect(await openDataset(p, opts(seq))),
      /ragged\.jsonl:2: "x" has shape \[2\], the first row \[3\]; rows of different sizes cannot form a batch/,
    );
    const notes: DataNote[] = [];
    const got = await collect(await openDataset(p, opts(seq, { onBadInput: 'skip' }, notes)));
    expect(got.y).toEqual([0, 2]);
    expect(got.index).toEqual([0, 2]);
    expect(notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/ragged\.jsonl:2:/),
      expect.stringMatching(/ragged\.jsonl:4: "x" has shape \[3,1\]/),
    ]);
    const inner = write('inner.jsonl', '{"x": [[1, 2], [3]], "y": 0}\n');
    await rejects(
      openDataset(inner, opts(seq)),
      /inner\.jsonl:1: "x" is ragged: a list of 1 where its siblings have 2/,
    );
  });

  it('rows of the wrong length for a fixed-size input, and other bad rows', async () => {
    const p = write('five.jsonl', '{"x": [1, 2, 3, 4, 5], "y": 0}\n');
    const tooLong = new RegExp(
      /five\.jsonl: each example has shape \[5\] \(5 values\), /.source +
        /which cannot fit the model's input \[batch,4\]: it takes 4 values per example/.source,
    );
    await rejects(openDataset(p, opts({ dtype: 1, dims: ['batch', 4] })), tooLong);
    const bad = write(
      'bad.jsonl',
      [
        '{"x": [1, 2], "y": 0}',
        '{"x": [1, 2.5], "y": 0}',
        'not json',
        '{"x": [1, 2]}',
        '{"x": [1, 2], "y": -3}',
        '{"x": [1, 2], "y": 1.5}',
        '{"x": [1, "a"], "y": 0}',
        '[1, 2]',
      ].join('\n'),
    );
    const notes: DataNote[] = [];
    const got = await collect(
      await openDataset(bad, opts({ dtype: 7, dims: ['batch', 2] }, { onBadInput: 'skip' }, notes)),
    );
    expect(got.y).toEqual([0]);
    expect(notes.map((n) => n.message.replace(/^skipped: .*bad\.jsonl/, ''))).toEqual([
      ':2: "x" holds 2.5; the model takes integer ids',
      expect.stringMatching(/^:3: not valid JSON/),
      ':4: expected an object {"x": [...], "y": label}',
      ':5: label -3 is negative',
      ':6: label 1.5 is not an integer class index',
      ':7: "x" holds "a", not a number',
      ':8: expected an object {"x": [...], "y": label}',
    ]);
    await rejects(
      openDataset(write('empty.jsonl', '\n\n'), opts({ dtype: 1, dims: ['n', 2] })),
      /empty\.jsonl: holds no examples/,
    );
    await rejects(
      openDataset(write('first.jsonl', 'oops\n{"x": [1], "y": 0}\n'), opts({ dtype: 1, dims: ['n', 1] })),
      /first\.jsonl:1: not valid JSON .*The first row sets the shape/,
    );
  });
});

describe('labels against the model', () => {
  it('checkLabelRange names the example and the class count', () => {
    expect(() => checkLabelRange(BigInt64Array.from([0n, 9n]), 10, 'forget')).not.toThrow();
    expect(() => checkLabelRange(BigInt64Array.from([0n, 10n]), 10, 'forget', [40, 41])).toThrow(
      /forget: example 41 has label 10, outside the model's 10 classes \(0 to 9\)/,
    );
  });

  it("given the model's class count (labelWidth), a label past it is a bad example: skipped, or refused", async () => {
    const rows = ['{"x": [1], "y": 0}', '{"x": [2], "y": 4}', '{"x": [3], "y": 3}', '{"x": [4], "y": 9}'];
    const path = write('classes.jsonl', rows.join('\n'));
    const notes: DataNote[] = [];
    const got = await collect(
      await openDataset(path, opts({ dtype: 1, dims: ['n', 1] }, { labelWidth: 4, onBadInput: 'skip' }, notes)),
    );
    expect(got.y).toEqual([0, 3]);
    expect(got.index).toEqual([0, 2]);
    expect(notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/example 1 has label 4, outside the model's 4 classes \(0 to 3\)$/),
      expect.stringMatching(/example 3 has label 9, outside the model's 4 classes \(0 to 3\)$/),
    ]);
    await rejects(
      collect(await openDataset(path, opts({ dtype: 1, dims: ['n', 1] }, { labelWidth: 4 }))),
      /classes\.jsonl.*example 1 has label 4, outside the model's 4 classes \(0 to 3\)\. Fix or remove it/,
    );
    // without the class count the reader cannot tell; the passes check the labels against the model
    expect((await collect(await openDataset(path, opts({ dtype: 1, dims: ['n', 1] })))).y).toEqual([0, 4, 3, 9]);
  });

  it('a batch size must be a positive integer', async () => {
    const ds = await openDataset(`${BATCH}x.npy,${BATCH}y.npy`, opts(gray28));
    await rejects(collect(ds, 0), /batch size 0: give a positive integer/);
  });
});

describe('non-finite values are bad input', () => {
  const x = readNpy(`${BATCH}x.npy`);
  const y = readNpy(`${BATCH}y.npy`);
  const xs = (x.data as Float32Array).slice(0, 8 * 784);
  xs[5 * 784 + 17] = NaN;
  xs[6 * 784] = Infinity;
  const xPath = write('nan.x.npy', encodeNpy(xs, [8, 1, 28, 28]));
  const yPath = write('nan.y.npy', encodeNpy((y.data as BigInt64Array).slice(0, 8), [8]));
  const spec = `${xPath},${yPath}`;

  it('stop: one error naming the example and the element', async () => {
    await rejects(
      collect(await openDataset(spec, opts(gray28))),
      /example 5 has a non-finite value \(NaN\) at element 17\. Fix or remove it, or pass --on-bad-input skip/,
    );
  });

  it('skip: the example is left out with a note, the rest kept in order', async () => {
    const notes: DataNote[] = [];
    const ds = await openDataset(spec, opts(gray28, { onBadInput: 'skip' }, notes));
    const got = await collect(ds, 4);
    expect(got.index).toEqual([0, 1, 2, 3, 4, 7]);
    expect(notes.filter((n) => n.kind === 'skip').map((n) => n.message)).toEqual([
      expect.stringMatching(/example 5 has a non-finite value \(NaN\)/),
      expect.stringMatching(/example 6 has a non-finite value \(Infinity\) at element 0/),
    ]);
    expect(ds.skipped).toBe(2);
  });

  it('under a selection: the example by its index in the file, and its position in the selection', async () => {
    // @3:8 selects examples 3 … 7, @0:7@~0:3 examples 3 … 6: the NaN is example 5 of the file, position 2
    await rejects(
      collect(await openDataset(`${spec}@3:8`, opts(gray28))),
      /nan\.y\.npy: example 5 \(position 2 of the selection @3:8\) has a non-finite value \(NaN\) at element 17\./,
    );
    // two terms after a pair X,Y (README: `x.npy,y.npy@0:1000@~label=3`): it took `X,Y@0:7` for the pair
    // of X and `Y@0:7`, as X alone exists, and said `Y@0:7: no such file`
    const notes: DataNote[] = [];
    const ds = await openDataset(`${spec}@0:7@~0:3`, opts(gray28, { onBadInput: 'skip' }, notes));
    expect((await collect(ds, 4)).index).toEqual([0, 1]);
    expect(notes.filter((n) => n.kind === 'skip').map((n) => n.message)).toEqual([
      expect.stringMatching(/example 5 \(position 2 of the selection @0:7@~0:3\) has a non-finite value \(NaN\)/),
      expect.stringMatching(/example 6 \(position 3 of the selection @0:7@~0:3\) has a non-finite value \(Infinity\)/),
    ]);
  });
});
