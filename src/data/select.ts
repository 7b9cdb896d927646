// Selections: which examples of a source a dataset takes.
//
//   SPEC := SOURCE ( '@' TERM )*        every term narrows the set (intersection)
//   TERM := [ '~' ] ( A:B | N | FILE.json )
//     A:B   indices A ≤ i < B (Python slice bounds: either may be left out, a negative one counts
//           from the end); N alone is N:N+1
//     FILE  a JSON list of example indices (any order, repeats ignored), a path from the
//           working directory
//     ~     the complement of the term within the source
// Every term names indices of the source itself (file order), never of an earlier term, and the
// result is always in ascending source order. Examples (train = first 55,000 of the file):
//   train-images-idx3-ubyte.gz@0:55000                    train
//   train-images-idx3-ubyte.gz@0:55000@~forget.json       retain = train minus forget
//   train-images-idx3-ubyte.gz@forget.json                forget
//   train-images-idx3-ubyte.gz@-5000:                     the last 5,000 (val)
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
  kind: 'range' | 'file';
  start?: number;
  end?: number;
  file?: string;
}

const RANGE = /^(-?\d+)?:(-?\d+)?$/;
const INDEX = /^-?\d+$/;

export function parseTerm(text: string): SelectionTerm {
  const negate = text.startsWith('~');
  const body = negate ? text.slice(1) : text;
  if (!body)
    throw new BadInputError(
      `selection term "${text}" is empty. Write A:B, N or FILE.json, with ~ in front for the complement.`,
    );
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
  let set = IndexSet.range(0, n);
  for (const t of terms) {
    let s = t.kind === 'range' ? rangeSet(t, n, where) : fileSet(t.file!, n, where, note);
    if (t.negate) s = s.complement(n);
    set = set.intersect(s);
  }
  if (set.size === 0)
    throw new BadInputError(
      `${where}@${terms.map((t) => t.text).join('@')}: the selection is empty ` +
        `(the source has ${n} examples). Check the range or index list.`,
    );
  return set;
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
        `A selection term is A:B, N or a JSON index-list file, with ~ in front for the complement.`,
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
    if (i && v <= idx[i - 1]) sorted = false;
    idx[i] = v;
  }
  if (!sorted) idx.sort();
  let unique = 0;
  for (let i = 0; i < idx.length; i++) if (i === 0 || idx[i] !== idx[unique - 1]) idx[unique++] = idx[i];
  if (!sorted) note(`${file}: indices are not in ascending order; the set is read in ascending source order`);
  if (unique < idx.length) note(`${file}: ${idx.length - unique} duplicate indices ignored (a selection is a set)`);
  return IndexSet.fromSorted(idx.subarray(0, unique));
}
