// JSON Lines, one example a line: {"x": [...], "y": k}; x a number list (token ids or a tabular
// row) or nested lists (any rectangular shape). Blank lines are not examples. A file whose first
// row has no "y" is a set without labels: then no row may have one (and with one, every row must).
// "y" is a class index k, or multi-hot labels: a list of C entries, each 0 or 1 (or false/true). The
// first row decides which; every row of a file then has the same kind, and multi-hot lists one length.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BadInputError } from '../core/errors.js';
import { toLabel } from './convert.js';
import { NO_LABEL, type Example, type Source } from './source.js';
import type { IndexSet } from './select.js';

async function countRows(path: string): Promise<number> {
  let rows = 0;
  let content = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 0x0a) {
        if (content) rows++;
        content = false;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) content = true;
    }
  }
  return content ? rows + 1 : rows;
}

async function* lines(path: string): AsyncGenerator<{ text: string; line: number }> {
  const stream = createReadStream(path, 'utf8');
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim()) yield { text, line };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

interface Row {
  values: number[];
  shape: number[];
  label: bigint;
  /** Multi-hot labels (then label is NO_LABEL). */
  targets?: Float32Array;
}

/**
 * `labelled`: whether the file's rows carry "y"; `width`: C where they are multi-hot lists, null for
 * class indices; both undefined for the first row, which decides.
 */
function parseRow(text: string, integers: boolean, labelled: boolean | undefined, width?: number | null): Row | string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  const expected =
    labelled === false ? `expected an object {"x": [...]}` : `expected an object {"x": [...], "y": label}`;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || !('x' in obj)) return expected;
  if (labelled === true && !('y' in obj)) return expected;
  if (labelled === false && 'y' in obj) return `"y" given, but the first row has none: label every row or none`;
  const { x, y } = obj as { x: unknown; y: unknown };
  const values: number[] = [];
  const shape: number[] = [];
  const walk = (v: unknown, depth: number): string | undefined => {
    if (Array.isArray(v)) {
      if (shape.length === depth) shape.push(v.length);
      else if (shape[depth] !== v.length)
        return `"x" is ragged: a list of ${v.length} where its siblings have ${shape[depth]}`;
      for (const e of v) {
        const bad = walk(e, depth + 1);
        if (bad) return bad;
      }
      return undefined;
    }
    if (depth < shape.length) return `"x" is ragged: a number where a list of ${shape[depth]} is expected`;
    if (typeof v !== 'number') return `"x" holds ${JSON.stringify(v)}, not a number`;
    if (integers && !Number.isSafeInteger(v)) return `"x" holds ${v}; the model takes integer ids`;
    values.push(v);
    return undefined;
  };
  if (!Array.isArray(x)) return `"x" must be a list of numbers`;
  const bad = walk(x, 0);
  if (bad) return bad;
  if (!('y' in obj)) return { values, shape, label: NO_LABEL };
  if (Array.isArray(y)) {
    if (width === null)
      return (
        `"y" is a list, but the first row's is a class index: ` +
        'give every row a class index, or every row a multi-hot list of 0/1'
      );
    const targets = multiHot(y, width);
    return typeof targets === 'string' ? targets : { values, shape, label: NO_LABEL, targets };
  }
  if (typeof width === 'number')
    return (
      `"y" is ${JSON.stringify(y)}, but the first row's is a multi-hot list of ${width}: ` +
      `give every row a list of ${width} 0/1 values`
    );
  const label = toLabel(y);
  if (typeof label === 'string') return label;
  return { values, shape, label };
}

/** A "y" list as multi-hot labels, or why it is not one; `width`: the length the first row set. */
function multiHot(y: unknown[], width: number | undefined): Float32Array | string {
  if (width === undefined && y.length === 0) return `"y" is an empty list; multi-hot labels need at least one class`;
  if (width !== undefined && y.length !== width)
    return `"y" has ${y.length} labels, the first row ${width}; every row's multi-hot list must have the same length`;
  const out = new Float32Array(y.length);
  for (let j = 0; j < y.length; j++) {
    const v = y[j];
    if (v === 1 || v === true) out[j] = 1;
    else if (v !== 0 && v !== false)
      return `"y" holds ${JSON.stringify(v)} at ${j}; multi-hot labels must be 0 or 1 (or false/true)`;
  }
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

export async function openJsonl(path: string, integers: boolean): Promise<Source> {
  if (!existsSync(path)) throw new BadInputError(`${path}: no such file.`);
  const count = await countRows(path);
  if (count === 0) throw new BadInputError(`${path}: holds no examples. Write one {"x": [...], "y": label} per line.`);
  let shape: number[] = [];
  let labelled = true;
  let width: number | null = null;
  for await (const { text, line } of lines(path)) {
    const row = parseRow(text, integers, undefined);
    if (typeof row === 'string')
      throw new BadInputError(`${path}:${line}: ${row}. The first row sets the shape of every example; fix it.`);
    shape = row.shape;
    width = row.targets ? row.targets.length : null;
    labelled = row.label !== NO_LABEL || width !== null;
    break;
  }
  const kind = !labelled ? ' (no labels)' : width === null ? '' : ` (multi-hot labels, C=${width})`;
  return {
    format: 'jsonl',
    count,
    shape,
    encoding: 'number',
    stored: 'json',
    labelled,
    ...(width === null ? {} : { labelWidth: width }),
    description: `JSON Lines ${path}${kind}`,
    async *read(set: IndexSet): AsyncGenerator<Example> {
      const last = set.ends[set.ends.length - 1] ?? 0;
      let k = -1;
      let span = 0;
      for await (const { text, line } of lines(path)) {
        k++;
        if (k >= last) break;
        while (k >= set.ends[span]) span++;
        if (k < set.starts[span]) continue;
        const row = parseRow(text, integers, labelled, labelled ? width : undefined);
        if (typeof row === 'string') yield { error: `${path}:${line}: ${row}` };
        else if (!sameShape(row.shape, shape))
          yield {
            error:
              `${path}:${line}: "x" has shape [${row.shape}], the first row [${shape}]; ` +
              `rows of different sizes cannot form a batch (pad them to one length)`,
          };
        else
          yield row.targets
            ? { values: row.values, label: NO_LABEL, targets: row.targets }
            : { values: row.values, label: row.label };
      }
      if (k + 1 < last)
        throw new BadInputError(`${path}: has fewer rows than when it was opened; was it changed while being read?`);
    },
  };
}
