// Selections: which examples of a source a dataset takes.
//
//   SPEC := SOURCE ( '@' TERM )*        every term narrows the set (intersection)
//   TERM := [ '~' ] ( A:B | N | label=K | FILE.json )
//     A:B   indices A ≤ i < B (Python slice bounds: either may be left out, a negative one counts
//           from the end); N alone is N:N+1
//     label=K  the examples carrying label K: class index y = K, or for multi-hot labels
//           targets[K] = 1 (whatever other labels they carry). Needs the labels: resolveSelectionOf
//           reads them in one pass over the examples the other terms keep
//     FILE  a JSON list of example indices (any order, repeats ignored), a path from the
//           working directory
//     ~     the complement of the term within the source
// Every term names indices of the source itself (file order), never of an earlier term, and the
// result is always in ascending source order. Examples (train = first 55,000 of the file):
//   train-images-idx3-ubyte.gz@0:55000                    train
//   train-images-idx3-ubyte.gz@0:55000@~forget.json       retain = train minus forget
//   train-images-idx3-ubyte.gz@forget.json                forget
//   train-images-idx3-ubyte.gz@-5000:                     the last 5,000 (val)
//   train.jsonl@label=18  /  train.jsonl@~label=18          forget a label / retain the rest
import { readFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';

/** A set of indices held as sorted, disjoint half-open intervals [starts[i], ends[i]). */
export class IndexSet {
  private constructor(
    readonly starts: readonly number[],
    readonly ends: readonly number[],
  ) {}

  static range(start: number, end: number): IndexSet {
    return end > start ? new IndexSet([start], [end]) : new IndexSet([], []);
  }

  /** From ascending, duplicate-free indices. */
  static fromSorted(indices: ArrayLike<number>): IndexSet {
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i];
      if (ends.length && ends[ends.length - 1] === v) ends[ends.length - 1] = v + 1;
      else {
        starts.push(v);
        ends.push(v + 1);
      }
    }
    return new IndexSet(starts, ends);
  }

  get size(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i] - this.starts[i];
    return n;
  }

  /** The indices of [0, n) not in this set. */
  complement(n: number): IndexSet {
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 0;
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i] > at) {
        starts.push(at);
        ends.push(Math.min(this.starts[i], n));
      }
      at = Math.max(at, this.ends[i]);
    }
    if (at < n) {
      starts.push(at);
      ends.push(n);
    }
    return new IndexSet(starts, ends);
  }

  intersect(other: IndexSet): IndexSet {
    const starts: number[] = [];
    const ends: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.starts.length && j < other.starts.length) {
      const s = Math.max(this.starts[i], other.starts[j]);
      const e = Math.min(this.ends[i], other.ends[j]);
      if (s < e) {
        starts.push(s);
        ends.push(e);
      }
      if (this.ends[i] < other.ends[j]) i++;
      else j++;
    }
    return new IndexSet(starts, ends);
  }

  /** The index of rank `k` (0-based, ascending); RangeError outside 0 … size − 1. */
  at(k: number): number {
    let rank = 0;
    for (let i = 0; i < this.starts.length; i++) {
      const length = this.ends[i] - this.starts[i];
      if (k >= rank && k < rank + length) return this.starts[i] + (k - rank);
      rank += length;
    }
    throw new RangeError(`rank ${k} outside a set of ${rank}`);
  }

  /** The members at ranks start ≤ r < end (0-based positions within the set, in ascending order). */
  slice(start: number, end: number): IndexSet {
    const starts: number[] = [];
    const ends: number[] = [];
    let rank = 0;
    for (let i = 0; i < this.starts.length && rank < end; i++) {
      const length = this.ends[i] - this.starts[i];
      const from = Math.max(start - rank, 0);
      const to = Math.min(end - rank, length);
      if (from < to) {
        starts.push(this.starts[i] + from);
        ends.push(this.starts[i] + to);
      }
      rank += length;
    }
    return new IndexSet(starts, ends);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.starts.length; i++) for (let v = this.starts[i]; v < this.ends[i]; v++) yield v;
  }
}

export interface SelectionTerm {
  text: string;
  negate: boolean;
  kind: 'range' | 'file' | 'label';
  start?: number;
  end?: number;
  file?: string;
  /** K of label=K. */
  label?: number;
}

const RANGE = /^(-?\d+)?:(-?\d+)?$/;
const INDEX = /^-?\d+$/;
const LABEL = /^label=(.*)$/;

export function parseTerm(text: string): SelectionTerm {
  const negate = text.startsWith('~');
  const body = negate ? text.slice(1) : text;
  if (!body)
    throw new BadInputError(
      `selection term "${text}" is empty. Write A:B, N, label=K or FILE.json, with ~ in front for the complement.`,
    );
  const l = LABEL.exec(body);
  if (l) {
    if (!/^\d+$/.test(l[1]) || !Number.isSafeInteger(Number(l[1])))
      throw new BadInputError(
        `selection term "${text}": label=K takes a label number K ≥ 0 (a class index, or a column of ` +
          'multi-hot labels), e.g. label=18.',
      );
    return { text, negate, kind: 'label', label: Number(l[1]) };
  }
  const r = RANGE.exec(body);
  if (r)
    return {
      text,
      negate,
      kind: 'range',
      start: r[1] === undefined ? undefined : Number(r[1]),
      end: r[2] === undefined ? undefined : Number(r[2]),
    };
  if (INDEX.test(body)) {
    const n = Number(body);
    return { text, negate, kind: 'range', start: n, end: n === -1 ? undefined : n + 1 };
  }
  return { text, negate, kind: 'file', file: body };
}

/** Resolves the terms against a source of n examples. `where` names the source in messages. */
export function resolveSelection(
  terms: readonly SelectionTerm[],
  n: number,
  where: string,
  note: (m: string) => void,
): IndexSet {
  const label = terms.find((t) => t.kind === 'label');
  if (label)
    throw new BadInputError(
      `${where}: selection "${label.text}" needs the set's labels, which are not read here. ` +
        'Select by index (A:B, N or a JSON index list) instead.',
    );
  return nonEmpty(narrow(terms, n, where, note), terms, n, where);
}

/** The intersection of the terms (none a label term), possibly empty. */
function narrow(terms: readonly SelectionTerm[], n: number, where: string, note: (m: string) => void): IndexSet {
  let set = IndexSet.range(0, n);
  for (const t of terms) {
    let s = t.kind === 'range' ? rangeSet(t, n, where) : fileSet(t.file!, n, where, note);
    if (t.negate) s = s.complement(n);
    set = set.intersect(s);
  }
  return set;
}

function nonEmpty(set: IndexSet, terms: readonly SelectionTerm[], n: number, where: string): IndexSet {
  if (set.size === 0)
    throw new BadInputError(
      `${where}@${terms.map((t) => t.text).join('@')}: the selection is empty ` +
        `(the source has ${n} examples). Check the range, index list or label.`,
    );
  return set;
}

/**
 * What label terms need of a source (structurally a data/source.ts Source): its size, whether and
 * how it is labelled, and a pass yielding one entry per index of a set, in ascending order.
 */
export interface LabelledSource {
  count: number;
  labelled: boolean;
  /** C for multi-hot labels (each example's `targets` [C] of 0/1); absent for class indices. */
  labelWidth?: number;
  read(set: IndexSet): AsyncIterable<{ label: bigint; targets?: Float32Array } | { error: string }>;
}

/**
 * Resolves the terms against `source`, label terms (label=K, ~label=K) included: as resolveSelection,
 * and where a label term is present, one pass over the examples the other terms keep reads their
 * labels (Source.read: inputs are decoded too, as no reader yields labels alone). An example that
 * cannot be read carries no label: label=K leaves it out, ~label=K keeps it (and the pass that uses
 * the set reports it). Bad input: a label term on a set without labels; K ≥ C for multi-hot labels;
 * for class indices, K above every class index of the source (found in the same pass when one of
 * the examples kept is above K, else by a second pass over the examples the other terms leave out).
 */
export async function resolveSelectionOf(
  terms: readonly SelectionTerm[],
  source: LabelledSource,
  where: string,
  note: (m: string) => void,
): Promise<IndexSet> {
  const n = source.count;
  const byLabel = terms.filter((t) => t.kind === 'label');
  if (byLabel.length === 0) return resolveSelection(terms, n, where, note);
  const spec = `${where}@${terms.map((t) => t.text).join('@')}`;
  const width = source.labelWidth;
  if (!source.labelled)
    throw new BadInputError(
      `${spec}: "${byLabel[0].text}" selects by label, and ${where} has no labels. Give a labelled set ` +
        '(y.npy beside x.npy, JSON Lines with "y") or select by index (A:B, N or a JSON index list).',
    );
  for (const t of byLabel)
    if (width !== undefined && t.label! >= width)
      throw new BadInputError(
        `${spec}: label ${t.label} is out of range: ${where} holds multi-hot labels of ${width} classes ` +
          `(labels 0 to ${width - 1}). Name one of those.`,
      );
  const set = narrow(
    terms.filter((t) => t.kind !== 'label'),
    n,
    where,
    note,
  );
  const wanted = [...new Set(byLabel.map((t) => t.label!))];
  const hits = new Map<number, number[]>(wanted.map((k) => [k, []]));
  let highest = -1;
  let unread = 0;
  /** One pass over `of`: the hits of the wanted labels (with `collect`), the highest class index. */
  const pass = async (of: IndexSet, collect: boolean) => {
    const at = of[Symbol.iterator]();
    for await (const ex of source.read(of)) {
      const i = at.next().value as number;
      if ('error' in ex) {
        if (collect) unread++;
      } else if (ex.targets) {
        if (collect) for (const k of wanted) if (ex.targets[k] === 1) hits.get(k)!.push(i);
      } else {
        const y = Number(ex.label);
        if (y > highest) highest = y;
        if (collect) hits.get(y)?.push(i);
      }
    }
  };
  await pass(set, true);
  // a class index above those read: out of range unless the examples the other terms leave out hold it
  const above = () => wanted.filter((k) => k > highest);
  if (width === undefined && above().length && set.size < n) await pass(set.complement(n), false);
  if (width === undefined && above().length)
    throw new BadInputError(
      `${spec}: label ${above()[0]} is out of range: the class indices of ${where} run from 0 to ${highest}. ` +
        'Name a class that occurs.',
    );
  if (unread)
    note(
      `${where}: ${unread} examples could not be read while selecting by label: ` +
        'label=K leaves them out, ~label=K keeps them',
    );
  let out = set;
  for (const t of byLabel) {
    const s = IndexSet.fromSorted(hits.get(t.label!)!);
    out = out.intersect(t.negate ? s.complement(n) : s);
  }
  return nonEmpty(out, terms, n, where);
}

function rangeSet(t: SelectionTerm, n: number, where: string): IndexSet {
  const bound = (v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const abs = v < 0 ? n + v : v;
    if (abs < 0 || abs > n)
      throw new BadInputError(
        `${where}: selection "${t.text}" is out of range: the source has ${n} examples (indices 0 to ${n - 1}).`,
      );
    return abs;
  };
  const start = bound(t.start, 0);
  const end = bound(t.end, n);
  if (end <= start) throw new BadInputError(`${where}: selection "${t.text}" is an empty range. Write A:B with A < B.`);
  return IndexSet.range(start, end);
}

function fileSet(file: string, n: number, where: string, note: (m: string) => void): IndexSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new BadInputError(
      `${file}: no such selection file. ` +
        `A selection term is A:B, N or a JSON index-list file, with ~ in front for the complement ` +
        '(or label=K: the examples carrying label K).',
    );
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(
      `${file}: not valid JSON (${(e as Error).message}). Write a JSON list of example indices, e.g. [0, 5, 17].`,
    );
  }
  if (!Array.isArray(list))
    throw new BadInputError(`${file}: expected a JSON list of example indices, e.g. [0, 5, 17].`);
  const idx = new Float64Array(list.length);
  let sorted = true;
  for (let i = 0; i < list.length; i++) {
    const v = list[i] as unknown;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new BadInputError(`${file}: entry ${i} (${JSON.stringify(v)}) is not a non-negative integer index.`);
    if (v >= n)
      throw new BadInputError(
        `${file}: index ${v} is out of range for ${where}, which has ${n} examples (indices 0 to ${n - 1}).`,
      );
    // an index equal to the one before is a duplicate (noted below), not out of order
    if (i && v < idx[i - 1]) sorted = false;
    idx[i] = v;
  }
  if (!sorted) idx.sort();
  let unique = 0;
  for (let i = 0; i < idx.length; i++) if (i === 0 || idx[i] !== idx[unique - 1]) idx[unique++] = idx[i];
  if (!sorted) note(`${file}: indices are not in ascending order; the set is read in ascending source order`);
  if (unique < idx.length) note(`${file}: ${idx.length - unique} duplicate indices ignored (a selection is a set)`);
  return IndexSet.fromSorted(idx.subarray(0, unique));
}
