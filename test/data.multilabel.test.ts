// Multi-hot (multi-label) labels: y.npy of shape [N, C] and JSON Lines "y" lists, carried as batch
// targets [n·C] beside y = NO_LABEL, through selections, skips, digests and loadExamples.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gather, headOf, loadExamples } from '../src/context/examples.js';
import {
  checkLabelRange,
  NO_LABEL,
  openDataset,
  withoutLabels,
  type Batch,
  type Dataset,
  type DataNote,
  type DatasetOptions,
} from '../src/data/dataset.js';
import { exampleDigest, exampleDigests, hex } from '../src/data/digest.js';
import { encodeNpy } from '../src/data/npy.js';
import { rejects } from './support/expect-error.js';

const tmp = mkdtempSync(join(tmpdir(), 'scrub-multilabel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const N = 6;
const D = 3;
const C = 4;
const flat = { dtype: 1, dims: ['batch', D] };

const write = (name: string, bytes: Uint8Array | string) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};

/** A .npy of any descr (encodeNpy writes float32, float64, int64 and int32 only). */
function npy(descr: string, data: ArrayBufferView, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Example i's inputs: i·10 + k, so every x row names its example. */
const xRow = (i: number) => Array.from({ length: D }, (_, k) => i * 10 + k);
/** Example i's multi-hot labels: the low C bits of i·5 + 3, every example distinct. */
const tRow = (i: number) => Array.from({ length: C }, (_, j) => ((i * 5 + 3) >> j) & 1);
const allT = (n = N) => Array.from({ length: n }, (_, i) => tRow(i)).flat();

const xs = write('x.npy', encodeNpy(Float32Array.from(Array.from({ length: N }, (_, i) => xRow(i)).flat()), [N, D]));

function opts(extra: Partial<DatasetOptions> = {}, notes: DataNote[] = []): DatasetOptions {
  return { input: flat, onNote: (n) => notes.push(n), ...extra };
}

async function collect(ds: Dataset, batchSize = 4) {
  const batches: Batch[] = [];
  for await (const b of ds.batches(batchSize)) batches.push(b);
  return {
    batches,
    x: batches.flatMap((b) => Array.from(b.x.data as Float32Array)),
    y: batches.flatMap((b) => Array.from(b.y)),
    targets: batches.flatMap((b) => (b.targets ? Array.from(b.targets) : [])),
    index: batches.flatMap((b) => b.index),
  };
}

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const DTYPES: [string, string, (v: number[]) => ArrayBufferView][] = [
  ['int64', '<i8', (v) => BigInt64Array.from(v, BigInt)],
  ['int32', '<i4', (v) => Int32Array.from(v)],
  ['int16', '<i2', (v) => Int16Array.from(v)],
  ['int8', '|i1', (v) => Int8Array.from(v)],
  ['uint8', '|u1', (v) => Uint8Array.from(v)],
  ['bool', '|b1', (v) => Uint8Array.from(v)],
  ['float32', '<f4', (v) => Float32Array.from(v)],
  ['float64', '<f8', (v) => Float64Array.from(v)],
];

describe('multi-hot labels from .npy', () => {
  it.each(DTYPES)('y.npy [N, C] of %s is multi-hot: targets [n·C], y all NO_LABEL', async (name, descr, make) => {
    const ys = write(`y_${name}.npy`, npy(descr, make(allT()), [N, C]));
    const ds = await openDataset(`${xs},${ys}`, opts());
    expect(ds.labelled).toBe(true);
    expect(ds.labelWidth).toBe(C);
    expect(ds.count).toBe(N);
    expect(ds.description).toMatch(/multi-hot, C=4/);
    const got = await collect(ds);
    expect(got.batches.map((b) => b.targets?.length)).toEqual([4 * C, 2 * C]);
    expect(got.batches.every((b) => b.labelled && b.targets instanceof Float32Array)).toBe(true);
    expect(got.targets).toEqual(allT());
    expect(got.y).toEqual(Array(N).fill(NO_LABEL));
    expect(got.x).toEqual(Array.from({ length: N }, (_, i) => xRow(i)).flat());
  });

  it('a value other than 0 or 1 is refused, naming the file, the example and the value', async () => {
    for (const [descr, make, bad, shown] of [
      ['<i4', (v: number[]) => Int32Array.from(v), 2, '2'],
      ['<i8', (v: number[]) => BigInt64Array.from(v, BigInt), -1, '-1'],
      ['<f4', (v: number[]) => Float32Array.from(v), 0.5, '0.5'],
      ['|b1', (v: number[]) => Uint8Array.from(v), 7, '7'],
    ] as const) {
      const t = allT();
      t[3 * C + 2] = bad;
      const ys = write('bad_y.npy', npy(descr, make(t), [N, C]));
      const ds = await openDataset(`${xs},${ys}`, opts());
      expect(ds.labelWidth).toBe(C);
      await rejects(
        collect(ds),
        new RegExp(`bad_y\\.npy: example 3: multi-hot labels must be 0 or 1, got ${shown.replace('.', '\\.')}`),
      );
    }
    // NaN is no label either
    const t = allT().map((v, k) => (k === 5 * C ? NaN : v));
    const ys = write('nan_y.npy', npy('<f8', Float64Array.from(t), [N, C]));
    await rejects(
      collect(await openDataset(`${xs},${ys}`, opts())),
      /nan_y\.npy: example 5: multi-hot labels must be 0 or 1, got NaN/,
    );
  });

  it("under 'skip' a bad row is left out and the targets follow their examples", async () => {
    const t = allT();
    t[1 * C] = 3;
    t[4 * C + 3] = 9;
    const ys = write('skip_y.npy', npy('<i8', BigInt64Array.from(t, BigInt), [N, C]));
    const notes: DataNote[] = [];
    const ds = await openDataset(`${xs},${ys}`, opts({ onBadInput: 'skip' }, notes));
    for (const size of [1, 2, 3, 5]) {
      const got = await collect(ds, size);
      expect(got.index).toEqual([0, 2, 3, 5]);
      expect(got.x).toEqual([0, 2, 3, 5].flatMap(xRow));
      expect(got.targets).toEqual([0, 2, 3, 5].flatMap(tRow));
      expect(got.batches.every((b) => b.targets!.length === b.y.length * C)).toBe(true);
    }
    expect(ds.skipped).toBe(2);
    expect(notes.filter((n) => n.kind === 'skip').map((n) => n.position)).toEqual([1, 4]);
  });

  it('C = 1 is multi-hot of width 1; a folder x.npy + y.npy finds it too', async () => {
    const ys = write('one_y.npy', npy('|u1', Uint8Array.from([1, 0, 0, 1, 1, 0]), [N, 1]));
    const got = await collect(await openDataset(`${xs},${ys}`, opts()), 4);
    expect(got.targets).toEqual([1, 0, 0, 1, 1, 0]);
    const ds = await openDataset(`${xs},${ys}`, opts());
    expect(ds.labelWidth).toBe(1);
    const dir = join(tmp, 'folder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.npy'), encodeNpy(Float32Array.from(allT().slice(0, N * D)), [N, D]));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(Int32Array.from(allT()), [N, C]));
    const fromDir = await openDataset(dir, opts());
    expect(fromDir.labelWidth).toBe(C);
    expect((await collect(fromDir)).targets).toEqual(allT());
  });

  it('1-D labels are unchanged: no labelWidth, no targets; bad shapes and dtypes are refused', async () => {
    const ys = write('idx_y.npy', encodeNpy(BigInt64Array.from([0n, 1n, 2n, 1n, 0n, 2n]), [N]));
    const ds = await openDataset(`${xs},${ys}`, opts());
    expect(ds.labelWidth).toBeUndefined();
    expect('labelWidth' in ds).toBe(false);
    const got = await collect(ds);
    expect(got.batches.every((b) => !('targets' in b))).toBe(true);
    expect(got.y).toEqual([0n, 1n, 2n, 1n, 0n, 2n]);
    for (const b of got.batches) checkLabelRange(b.y, 3, 'idx');
    await rejects(
      (async () => {
        for (const b of got.batches) checkLabelRange(b.y, 2, 'idx', b.index);
      })(),
      /idx: example 2 has label 2, outside the model's 2 classes/,
    );
    const unlabelled = await openDataset(join(tmp, 'x.npy'), opts());
    expect(unlabelled.labelled).toBe(false);
    expect(unlabelled.labelWidth).toBeUndefined();
    expect((await collect(unlabelled)).batches.every((b) => b.targets === undefined)).toBe(true);
    write('f_y.npy', encodeNpy(new Float32Array(N), [N]));
    await rejects(openDataset(`${xs},${join(tmp, 'f_y.npy')}`, opts()), /labels are float32; save them as int64/);
    write('b_y.npy', npy('|b1', new Uint8Array(N), [N]));
    await rejects(openDataset(`${xs},${join(tmp, 'b_y.npy')}`, opts()), /labels are bool; save them as int64/);
    write('rows_y.npy', encodeNpy(new Int32Array(4 * C), [4, C]));
    await rejects(
      openDataset(`${xs},${join(tmp, 'rows_y.npy')}`, opts()),
      /labels must be a 1-D array of class indices, got shape \[4,4\]; multi-hot labels are a 2-D array \[6, C\]/,
    );
    write('cube_y.npy', encodeNpy(new Int32Array(N * 4), [N, 2, 2]));
    await rejects(openDataset(`${xs},${join(tmp, 'cube_y.npy')}`, opts()), /got shape \[6,2,2\]/);
    write('empty_y.npy', encodeNpy(new Int32Array(0), [N, 0]));
    await rejects(openDataset(`${xs},${join(tmp, 'empty_y.npy')}`, opts()), /hold no classes/);
    write('bx.npy', npy('|b1', new Uint8Array(N * D), [N, D]));
    await rejects(openDataset(`${join(tmp, 'bx.npy')},${ys}`, opts()), /inputs are bool/);
  });

  it('checkLabelRange passes multi-hot batches, and checks their width given the batch', async () => {
    const ys = write('chk_y.npy', encodeNpy(Int32Array.from(allT()), [N, C]));
    const { batches } = await collect(await openDataset(`${xs},${ys}`, opts()), 4);
    for (const b of batches) {
      checkLabelRange(b.y, C, 'multi', b.index);
      checkLabelRange(b, C, 'multi', b.index);
    }
    await rejects(
      (async () => checkLabelRange(batches[0], 5, 'multi'))(),
      /multi: multi-hot labels have 4 classes an example, the model's 5 outputs/,
    );
    // a copy of y is no longer known as a multi-hot batch's: the range check applies
    await rejects((async () => checkLabelRange(batches[0].y.slice(), C, 'multi'))(), /label -1/);
    const bare = withoutLabels(batches[0]);
    expect(bare.labelled).toBe(false);
    expect('targets' in bare).toBe(false);
    expect(batches[0].targets).toBeDefined();
  });
});

describe('multi-hot labels from JSON Lines', () => {
  const rows = (ys: unknown[]) => ys.map((y, i) => JSON.stringify({ x: xRow(i), y })).join('\n') + '\n';

  it('"y" lists of 0/1 numbers or booleans are multi-hot', async () => {
    const asBool = allT().map((v) => v === 1);
    const p = write(
      'm.jsonl',
      rows(Array.from({ length: N }, (_, i) => (i % 2 ? tRow(i) : asBool.slice(i * C, (i + 1) * C)))),
    );
    const ds = await openDataset(p, opts());
    expect(ds.labelled).toBe(true);
    expect(ds.labelWidth).toBe(C);
    expect(ds.description).toMatch(/multi-hot labels, C=4/);
    const got = await collect(ds, 4);
    expect(got.targets).toEqual(allT());
    expect(got.y).toEqual(Array(N).fill(NO_LABEL));
    expect(got.x).toEqual(Array.from({ length: N }, (_, i) => xRow(i)).flat());
    const k = await openDataset(write('k.jsonl', rows([0, 1, 2, 0, 1, 2])), opts());
    expect(k.labelWidth).toBeUndefined();
    expect((await collect(k)).batches.every((b) => !('targets' in b))).toBe(true);
  });

  it('mixed rows, unequal widths and other values are refused, naming the line', async () => {
    const t = Array.from({ length: N }, (_, i) => tRow(i));
    await rejects(
      collect(await openDataset(write('mix1.jsonl', rows([t[0], t[1], 2, t[3], t[4], t[5]])), opts())),
      /mix1\.jsonl:3: "y" is 2, but the first row's is a multi-hot list of 4/,
    );
    await rejects(
      collect(await openDataset(write('mix2.jsonl', rows([1, 0, t[2], 1, 0, 1])), opts())),
      /mix2\.jsonl:3: "y" is a list, but the first row's is a class index/,
    );
    await rejects(
      collect(await openDataset(write('wide.jsonl', rows([t[0], t[1], t[2], [0, 1, 1, 0, 1], t[4], t[5]])), opts())),
      /wide\.jsonl:4: "y" has 5 labels, the first row 4; every row's multi-hot list must have the same length/,
    );
    await rejects(
      collect(await openDataset(write('two.jsonl', rows([t[0], [0, 2, 0, 1], t[2], t[3], t[4], t[5]])), opts())),
      /two\.jsonl:2: "y" holds 2 at 1; multi-hot labels must be 0 or 1/,
    );
    await rejects(
      openDataset(write('first.jsonl', rows([[0, '1', 0, 1]])), opts()),
      /first\.jsonl:1: "y" holds "1" at 1; multi-hot labels must be 0 or 1/,
    );
    await rejects(openDataset(write('none.jsonl', rows([[]])), opts()), /none\.jsonl:1: "y" is an empty list/);
    // under 'skip' the bad rows are left out, the targets following their examples
    const notes: DataNote[] = [];
    const ds = await openDataset(
      write('skip.jsonl', rows([t[0], 1, t[2], [1, 1], t[4], t[5]])),
      opts({ onBadInput: 'skip' }, notes),
    );
    const got = await collect(ds, 2);
    expect(got.index).toEqual([0, 2, 4, 5]);
    expect(got.targets).toEqual([0, 2, 4, 5].flatMap(tRow));
    expect(got.x).toEqual([0, 2, 4, 5].flatMap(xRow));
    expect(notes.map((n) => n.position)).toEqual([1, 3]);
  });
});

describe('selections and batches keep targets with their examples', () => {
  const list = write('list.json', JSON.stringify([5, 0, 3]));
  const jsonl = write(
    'sel.jsonl',
    Array.from({ length: N }, (_, i) => JSON.stringify({ x: xRow(i), y: tRow(i) })).join('\n'),
  );
  const ys = write('sel_y.npy', encodeNpy(BigInt64Array.from(allT(), BigInt), [N, C]));

  it.each([
    ['@1:3', [1, 2]],
    [`@${list}`, [0, 3, 5]],
    [`@~${list}`, [1, 2, 4]],
    ['@-4:', [2, 3, 4, 5]],
  ])('%s', async (sel, picked) => {
    for (const source of [`${xs},${ys}`, jsonl])
      for (const size of [1, 2, 3, 7]) {
        const ds = await openDataset(`${source}${sel}`, opts());
        expect(ds.count).toBe(picked.length);
        const got = await collect(ds, size);
        expect(got.index).toEqual(picked.map((_, k) => k));
        expect(got.x).toEqual(picked.flatMap(xRow));
        expect(got.targets).toEqual(picked.flatMap(tRow));
        for (const b of got.batches) {
          expect(b.targets!.length).toBe(b.y.length * C);
          expect(b.x.dims[0]).toBe(b.y.length);
        }
      }
  });

  it('batches over positions keep targets aligned', async () => {
    const ds = await openDataset(`${xs},${ys}`, opts());
    const got: Batch[] = [];
    for await (const b of ds.batches(2, { start: 3, end: 6 })) got.push(b);
    expect(got.flatMap((b) => b.index)).toEqual([3, 4, 5]);
    expect(got.flatMap((b) => Array.from(b.targets!))).toEqual([3, 4, 5].flatMap(tRow));
  });
});

describe('digests of multi-hot examples', () => {
  const digestsOf = async (spec: string) => {
    const out: string[] = [];
    for await (const b of (await openDataset(spec, opts())).batches(4)) out.push(...exampleDigests(b).map(hex));
    return out;
  };

  it('count the targets: other labels, other digests; the canonical bytes are label ‖ targets ‖ x', async () => {
    const a = write('da_y.npy', encodeNpy(Int32Array.from(allT()), [N, C]));
    const flipped = allT();
    flipped[2 * C + 1] = 1 - flipped[2 * C + 1];
    const b = write('db_y.npy', encodeNpy(Int32Array.from(flipped), [N, C]));
    const da = await digestsOf(`${xs},${a}`);
    const db = await digestsOf(`${xs},${b}`);
    expect(da.filter((d, i) => d !== db[i]).length).toBe(1);
    expect(da[2]).not.toBe(db[2]);
    // the same labels from a bool file and from JSON Lines: the same digests
    expect(await digestsOf(`${xs},${write('dc_y.npy', npy('|b1', Uint8Array.from(allT()), [N, C]))}`)).toEqual(da);
    const jl = write(
      'd.jsonl',
      Array.from({ length: N }, (_, i) => JSON.stringify({ x: xRow(i), y: tRow(i) })).join('\n'),
    );
    expect(await digestsOf(jl)).toEqual(da);
    const x0 = Float32Array.from(xRow(0));
    const t0 = Float32Array.from(tRow(0));
    expect(da[0]).toBe(hex(sha(u8(BigInt64Array.of(-1n)), u8(t0), u8(x0))));
    expect(hex(exampleDigest(x0, NO_LABEL, undefined, t0))).toBe(da[0]);
    expect(hex(exampleDigest(x0, NO_LABEL, 'salt', t0))).toBe(
      hex(sha(Buffer.from('salt'), u8(BigInt64Array.of(-1n)), u8(t0), u8(x0))),
    );
    // label-free consumers (withoutLabels) see the inputs alone, as for a set without labels
    const unlabelled = await digestsOf(xs);
    const bare: string[] = [];
    for await (const batch of (await openDataset(`${xs},${a}`, opts())).batches(4))
      bare.push(...exampleDigests(withoutLabels(batch)).map(hex));
    expect(bare).toEqual(unlabelled);
    expect(bare[0]).not.toBe(da[0]);
  });

  it('are unchanged for class-index and unlabelled data', async () => {
    const ys = write('dk_y.npy', encodeNpy(BigInt64Array.from([2n, 0n, 1n, 1n, 0n, 2n]), [N]));
    const d = await digestsOf(`${xs},${ys}`);
    expect(d[0]).toBe(hex(sha(u8(BigInt64Array.of(2n)), u8(Float32Array.from(xRow(0))))));
    expect(d[5]).toBe(hex(exampleDigest(Float32Array.from(xRow(5)), 2n)));
    expect((await digestsOf(xs))[1]).toBe(hex(sha(u8(BigInt64Array.of(-1n)), u8(Float32Array.from(xRow(1))))));
  });
});

describe('loadExamples', () => {
  it('carries targets [count·C] and labelWidth, and gather/headOf keep them with x', async () => {
    const ys = write('le_y.npy', encodeNpy(Float32Array.from(allT()), [N, C]));
    const ds = await openDataset(`${xs},${ys}@1:6`, opts());
    const set = await loadExamples(ds);
    expect(set.count).toBe(5);
    expect(set.labelWidth).toBe(C);
    expect(Array.from(set.targets!)).toEqual([1, 2, 3, 4, 5].flatMap(tRow));
    expect(Array.from(set.x)).toEqual([1, 2, 3, 4, 5].flatMap(xRow));
    expect(Array.from(set.y)).toEqual(Array(5).fill(NO_LABEL));
    const some = await loadExamples(ds, { limit: 2 });
    expect(some.count).toBe(2);
    expect(Array.from(some.targets!)).toEqual([1, 2].flatMap(tRow));
    const g = gather(set, [4, 0]);
    expect(Array.from(g.x.data)).toEqual([5, 1].flatMap(xRow));
    expect(Array.from(g.targets!)).toEqual([5, 1].flatMap(tRow));
    const h = headOf(set, 2);
    expect(h.labelWidth).toBe(C);
    expect(Array.from(h.targets!)).toEqual([1, 2].flatMap(tRow));
    const single = await loadExamples(
      await openDataset(`${xs},${write('le1_y.npy', encodeNpy(Int32Array.from([0, 1, 0, 1, 0, 1]), [N]))}`, opts()),
    );
    expect('targets' in single || 'labelWidth' in single).toBe(false);
    expect('targets' in gather(single, [0]) || 'targets' in headOf(single, 1)).toBe(false);
  });
});
