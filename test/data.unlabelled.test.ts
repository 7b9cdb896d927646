// Sets without labels: images directly in a folder, x.npy alone, JSON Lines rows without "y".
// They read like their labelled forms, say `labelled: false`, and carry −1 for every label.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../src/data/npy.js';
import {
  NO_LABEL,
  openDataset,
  requireLabels,
  withoutLabels,
  type Dataset,
  type DataNote,
  type DatasetOptions,
} from '../src/data/dataset.js';
import { exampleDigests } from '../src/data/digest.js';
import { rejects } from './support/expect-error.js';

const PNGS = 'models/forget/0';
const gray28 = { dtype: 1, dims: ['batch', 1, 28, 28] };
const flat3 = { dtype: 1, dims: ['n', 3] };
const tmp = mkdtempSync(join(tmpdir(), 'scrub-unlabelled-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function opts(
  input: DatasetOptions['input'],
  extra: Partial<DatasetOptions> = {},
  notes: DataNote[] = [],
): DatasetOptions {
  return { input, onNote: (n) => notes.push(n), ...extra };
}

async function collect(ds: Dataset, batchSize = 16) {
  const x: number[] = [];
  const y: bigint[] = [];
  const labelled: boolean[] = [];
  const digests: string[] = [];
  for await (const b of ds.batches(batchSize)) {
    x.push(...Array.from(b.x.data as ArrayLike<number>));
    y.push(...b.y);
    labelled.push(b.labelled);
    digests.push(...exampleDigests(withoutLabels(b)).map((d) => Buffer.from(d).toString('hex')));
  }
  return { x, y, labelled, digests };
}

const write = (name: string, content: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
};

describe('an image folder without class folders', () => {
  const files = readdirSync(PNGS).sort().slice(0, 20);
  const flat = join(tmp, 'flat');
  mkdirSync(flat);
  // copied in reverse so that the set's order comes from the names, not the directory listing
  for (const f of [...files].reverse()) copyFileSync(join(PNGS, f), join(flat, f));

  it('reads the images in name order, unlabelled, with the pixels of the labelled folder', async () => {
    const notes: DataNote[] = [];
    const ds = await openDataset(flat, opts(gray28, {}, notes));
    expect(ds.labelled).toBe(false);
    expect(ds.count).toBe(20);
    expect(ds.classes).toBeUndefined();
    expect(ds.description).toMatch(/no labels/);
    const got = await collect(ds, 8);
    expect(got.labelled).toEqual([false, false, false]);
    expect(got.y).toEqual(Array(20).fill(NO_LABEL));
    const labelled = await openDataset(`models/forget@0:20`, opts(gray28));
    expect(labelled.labelled).toBe(true);
    const want = await collect(labelled, 8);
    expect(want.labelled).toEqual([true, true, true]);
    expect(got.x).toEqual(want.x);
    // without their labels, the examples are the same examples
    expect(got.digests).toEqual(want.digests);
    expect(notes).toEqual([]);
  });

  it('notes what it ignores: other files, --labels', async () => {
    writeFileSync(join(flat, 'README.txt'), 'not an image');
    const notes: DataNote[] = [];
    const ds = await openDataset(flat, opts(gray28, { labels: join(tmp, 'labels.txt') }, notes));
    expect(ds.count).toBe(20);
    expect(notes.map((n) => n.message).join('\n')).toMatch(
      /no labels; --labels .*labels\.txt ignored[\s\S]*1 entries that are not .* images ignored/,
    );
    rmSync(join(flat, 'README.txt'));
  });

  it('still refuses images beside class folders', async () => {
    const mixed = join(tmp, 'mixed');
    mkdirSync(join(mixed, '0'), { recursive: true });
    copyFileSync(join(PNGS, files[0]), join(mixed, 'loose.png'));
    copyFileSync(join(PNGS, files[1]), join(mixed, '0', 'a.png'));
    await rejects(openDataset(mixed, opts(gray28)), /loose\.png is directly in it.*remove the sub-folders/);
  });
});

describe('x.npy without y.npy', () => {
  const dir = join(tmp, 'npy');
  mkdirSync(dir);
  const values = Float32Array.from({ length: 12 }, (_, i) => i / 4);
  writeFileSync(join(dir, 'x.npy'), encodeNpy(values, [4, 3]));

  it('is a set without labels, named by its folder or by the file', async () => {
    for (const spec of [dir, join(dir, 'x.npy'), `${dir}@1:3`]) {
      const ds = await openDataset(spec, opts(flat3));
      expect(ds.labelled, spec).toBe(false);
      const got = await collect(ds, 3);
      expect(got.y.every((v) => v === NO_LABEL)).toBe(true);
      expect(got.x).toEqual(spec.endsWith('@1:3') ? Array.from(values.subarray(3, 9)) : Array.from(values));
    }
  });

  it('with y.npy beside it, is labelled as before', async () => {
    const both = join(tmp, 'npy2');
    mkdirSync(both);
    writeFileSync(join(both, 'x.npy'), encodeNpy(values, [4, 3]));
    writeFileSync(join(both, 'y.npy'), encodeNpy(BigInt64Array.from([0n, 1n, 2n, 1n]), [4]));
    const ds = await openDataset(both, opts(flat3));
    expect(ds.labelled).toBe(true);
    expect((await collect(ds)).y).toEqual([0n, 1n, 2n, 1n]);
  });

  it('other names still need their partner: a missing one is a mistake, not a choice', async () => {
    write('lone_x.npy', encodeNpy(values, [4, 3]));
    await rejects(
      openDataset(join(tmp, 'lone_x.npy'), opts(flat3)),
      /no labels file .*lone_y\.npy beside it.*a set without labels is an x\.npy with no y\.npy/,
    );
  });
});

describe('JSON Lines without "y"', () => {
  it('is a set without labels when its first row has none', async () => {
    const p = write('free.jsonl', '{"x": [1, 2, 3]}\n\n{"x": [4, 5, 6]}\n');
    const ds = await openDataset(p, opts(flat3));
    expect(ds.labelled).toBe(false);
    expect(ds.description).toMatch(/no labels/);
    const got = await collect(ds);
    expect(got.x).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.y).toEqual([NO_LABEL, NO_LABEL]);
  });

  it('labels every row or none', async () => {
    const notes: DataNote[] = [];
    const mixed = write('mixed.jsonl', '{"x": [1, 2, 3]}\n{"x": [4, 5, 6], "y": 1}\n[1]\n{"x": [7, 8, 9]}\n');
    const got = await collect(await openDataset(mixed, opts(flat3, { onBadInput: 'skip' }, notes)));
    expect(got.x).toEqual([1, 2, 3, 7, 8, 9]);
    expect(notes.map((n) => n.message.replace(/^skipped: .*mixed\.jsonl/, ''))).toEqual([
      ':2: "y" given, but the first row has none: label every row or none',
      ':3: expected an object {"x": [...]}',
    ]);
    const other = write('other.jsonl', '{"x": [1, 2, 3], "y": 0}\n{"x": [4, 5, 6]}\n');
    await rejects(
      collect(await openDataset(other, opts(flat3))),
      /other\.jsonl:2: expected an object \{"x": \[\.\.\.\], "y": label\}/,
    );
  });
});

describe('label-needing code', () => {
  it('refuses a set without labels, saying what to do instead', async () => {
    const p = write('refuse.jsonl', '{"x": [1, 2, 3]}\n');
    const ds = await openDataset(p, opts(flat3));
    expect(() => requireLabels(ds, 'refuse.jsonl', 'SSD', 'Use --method lf-ssd, which needs none.')).toThrow(
      /^refuse\.jsonl: has no labels, and SSD needs them\. Use --method lf-ssd/,
    );
    const labelled = await openDataset(write('ok.jsonl', '{"x": [1, 2, 3], "y": 0}\n'), opts(flat3));
    expect(() => requireLabels(labelled, 'ok.jsonl', 'SSD', '')).not.toThrow();
  });
});
