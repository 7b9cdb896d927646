// Selection by label (src/data/select.ts): label=K and ~label=K over multi-hot npy [N,C], JSON Lines
// "y" lists, class-index y.npy and JSON Lines class indices; the exact indices, the complement,
// composition with ranges and index lists, one label pass over only the examples the other terms
// keep, and the errors (no labels, K out of range, a malformed term).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openJsonl } from '../src/data/jsonl.js';
import { encodeNpy } from '../src/data/npy.js';
import { openNpyPair } from '../src/data/npyfile.js';
import {
  parseTerm,
  resolveSelection,
  resolveSelectionOf,
  type IndexSet,
  type LabelledSource,
} from '../src/data/select.js';
import type { Source } from '../src/data/source.js';
import { rejects } from './support/expect-error.js';

const tmp = mkdtempSync(join(tmpdir(), 'scrub-select-label-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const N = 23;
const C = 5;
const D = 2;
const write = (name: string, bytes: Uint8Array | string) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
/** Example i's multi-hot labels: the low C bits of i·7 + 3. */
const tRow = (i: number) => Array.from({ length: C }, (_, j) => ((i * 7 + 3) >> j) & 1);
/** Example i's class index. */
const cls = (i: number) => (i * 3) % 4;
const all = Array.from({ length: N }, (_, i) => i);
const carrying = (k: number, from = all) => from.filter((i) => tRow(i)[k] === 1);
const ofClass = (k: number, from = all) => from.filter((i) => cls(i) === k);
const without = (some: number[], from = all) => from.filter((i) => !some.includes(i));

const x = write(
  'x.npy',
  encodeNpy(
    Float32Array.from({ length: N * D }, (_, k) => k),
    [N, D],
  ),
);
const multiY = write('multi_y.npy', encodeNpy(Int32Array.from(all.flatMap(tRow)), [N, C]));
const classY = write(
  'class_y.npy',
  encodeNpy(
    BigInt64Array.from(all, (i) => BigInt(cls(i))),
    [N],
  ),
);
const jsonl = (rows: string[]) => rows.join('\n') + '\n';
const multiJsonl = write('multi.jsonl', jsonl(all.map((i) => JSON.stringify({ x: [i, i], y: tRow(i) }))));
const classJsonl = write('class.jsonl', jsonl(all.map((i) => JSON.stringify({ x: [i, i], y: cls(i) }))));
const bareJsonl = write('bare.jsonl', jsonl(all.map((i) => JSON.stringify({ x: [i, i] }))));
const forget = write('forget.json', JSON.stringify([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));

const sources: Record<string, () => Promise<Source>> = {
  'multi-hot npy [N,C]': async () => openNpyPair(x, multiY),
  'JSON Lines "y" lists': () => openJsonl(multiJsonl, false),
  'class-index y.npy': async () => openNpyPair(x, classY),
  'JSON Lines class indices': () => openJsonl(classJsonl, false),
};

/** Resolves `spec` (terms after the source, '@'-separated) against the source; notes kept. */
async function select(source: LabelledSource, spec: string, notes: string[] = []): Promise<number[]> {
  const set = await resolveSelectionOf(spec.split('@').map(parseTerm), source, 'SRC', (m) => notes.push(m));
  return [...set];
}

/** The source, recording the size of every set it is asked to read. */
function spied(source: Source, reads: number[]): LabelledSource {
  return {
    count: source.count,
    labelled: source.labelled,
    labelWidth: source.labelWidth,
    read: (set: IndexSet) => {
      reads.push(set.size);
      return source.read(set);
    },
  };
}

describe('selection terms label=K, ~label=K', () => {
  it('parses label=K with or without ~; refuses a malformed K', () => {
    expect(parseTerm('label=18')).toEqual({ text: 'label=18', negate: false, kind: 'label', label: 18 });
    expect(parseTerm('~label=0')).toEqual({ text: '~label=0', negate: true, kind: 'label', label: 0 });
    for (const bad of ['label=', 'label=-1', 'label=x', '~label=1.5'])
      expect(() => parseTerm(bad)).toThrow(/label=K takes a label number K ≥ 0/);
  });

  for (const [name, open] of Object.entries(sources)) {
    const multi = name.includes('"y" lists') || name.includes('[N,C]');
    const want = multi ? carrying : ofClass;
    const labels = multi ? [0, 1, 2, 3, 4] : [0, 1, 2, 3];
    it(`${name}: the exact indices, the complement, composition with ranges and lists`, async () => {
      const source = await open();
      expect(source.labelWidth).toBe(multi ? C : undefined);
      for (const k of labels) {
        expect(await select(source, `label=${k}`)).toEqual(want(k));
        expect(await select(source, `~label=${k}`)).toEqual(without(want(k)));
      }
      const first = all.slice(0, 15);
      expect(await select(source, '0:15@label=2')).toEqual(want(2, first));
      expect(await select(source, 'label=2@0:15')).toEqual(want(2, first));
      expect(await select(source, '0:15@~label=2')).toEqual(without(want(2), first));
      expect(await select(source, '-8:@label=1')).toEqual(want(1, all.slice(-8)));
      expect(await select(source, `~${forget}@label=3`)).toEqual(want(3, all.slice(12)));
      // two label terms: carrying 1 and not 2 (for class indices: class 1, as no example is both)
      expect(await select(source, 'label=1@~label=2')).toEqual(without(want(2), want(1)));
      expect(await select(source, '3@~label=0')).toEqual([3]);
    });

    it(`${name}: one label pass, over only the examples the other terms keep`, async () => {
      const reads: number[] = [];
      const source = spied(await open(), reads);
      await select(source, '0:15@label=1@~label=2@~0:3');
      expect(reads).toEqual([12]);
      await select(source, '4:9');
      expect(reads).toEqual([12]);
      // a class index none of the kept examples reaches: the others are read to know the range
      if (!multi) {
        expect(await select(source, '4:5@~label=3')).toEqual([4]);
        expect(reads).toEqual([12, 1, 22]);
      }
    });
  }

  it('the same selection from npy and JSON Lines, multi-hot and class index alike', async () => {
    const [a, b] = [openNpyPair(x, multiY), await openJsonl(multiJsonl, false)];
    const [c, d] = [openNpyPair(x, classY), await openJsonl(classJsonl, false)];
    for (const spec of ['label=0', '~label=4@2:20', '5:@label=1@label=2'])
      expect(await select(a, spec)).toEqual(await select(b, spec));
    for (const spec of ['label=0', '~label=3@2:20', '5:@~label=1'])
      expect(await select(c, spec)).toEqual(await select(d, spec));
  });
});

describe('label terms: bad input', () => {
  it('a set without labels names the spec and what to do', async () => {
    const bare = await openJsonl(bareJsonl, false);
    await rejects(
      select(bare, '0:5@label=1'),
      /SRC@0:5@label=1: "label=1" selects by label, and SRC has no labels\. Give a labelled set/,
    );
    await rejects(select(openNpyPair(x), '~label=0'), /has no labels.*select by index \(A:B/);
  });

  it('K outside the labels: multi-hot width, class indices', async () => {
    await rejects(
      select(openNpyPair(x, multiY), '0:4@label=5'),
      /SRC@0:4@label=5: label 5 is out of range: SRC holds multi-hot labels of 5 classes \(labels 0 to 4\)/,
    );
    await rejects(select(await openJsonl(multiJsonl, false), '~label=7'), /label 7 is out of range/);
    await rejects(
      select(openNpyPair(x, classY), 'label=4'),
      /SRC@label=4: label 4 is out of range: the class indices of SRC run from 0 to 3\. Name a class that occurs/,
    );
    await rejects(select(openNpyPair(x, classY), '0:2@~label=4'), /label 4 is out of range: .* run from 0 to 3/);
  });

  it('an empty result is the usual empty-selection error; resolveSelection refuses label terms', async () => {
    // example 0 carries labels 0 and 1 (3 = 0b11), example 1 carries 1, 3 (10 = 0b1010)
    await rejects(select(openNpyPair(x, multiY), '0:2@label=2'), /SRC@0:2@label=2: the selection is empty/);
    expect(() => resolveSelection([parseTerm('label=1')], N, 'SRC', () => {})).toThrow(
      /SRC: selection "label=1" needs the set's labels/,
    );
  });

  it('an unreadable example carries no label: left out by label=K, kept by ~label=K, with a note', async () => {
    const rows = all.slice(0, 6).map((i) => JSON.stringify({ x: [i, i], y: tRow(i) }));
    rows[2] = '{"x": [2, 2], "y": [1, 1, 1, 1, 7]}';
    const source = await openJsonl(write('bad.jsonl', jsonl(rows)), false);
    const notes: string[] = [];
    expect(await select(source, 'label=0', notes)).toEqual(carrying(0, [0, 1, 3, 4, 5]));
    expect(await select(source, '~label=0')).toEqual(
      [...without(carrying(0), [0, 1, 3, 4, 5]), 2].sort((p, q) => p - q),
    );
    expect(notes).toEqual([
      'SRC: 1 examples could not be read while selecting by label: label=K leaves them out, ~label=K keeps them',
    ]);
  });
});
