// JSON Lines, one example a line: {"x": [...], "y": k}; x a number list (token ids or a tabular
// row) or nested lists (any rectangular shape). Blank lines are not examples. A file whose first
// row has no "y" is a set without labels: then no row may have one (and with one, every row must).
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
}

/** `labelled`: whether the file's rows carry "y"; undefined for the first row, which decides. */
function parseRow(text: string, integers: boolean, labelled: boolean | undefined): Row | string {
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
  const label = toLabel(y);
  if (typeof label === 'string') return label;
  return { values, shape, label };
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

export async function openJsonl(path: string, integers: boolean): Promise<Source> {
  if (!existsSync(path)) throw new BadInputError(`${path}: no such file.`);
  const count = await countRows(path);
  if (count === 0) throw new BadInputError(`${path}: holds no examples. Write one {"x": [...], "y": label} per line.`);
  let shape: number[] = [];
  let labelled = true;
  for await (const { text, line } of lines(path)) {
    const row = parseRow(text, integers, undefined);
    if (typeof row === 'string')
      throw new BadInputError(`${path}:${line}: ${row}. The first row sets the shape of every example; fix it.`);
    shape = row.shape;
    labelled = row.label !== NO_LABEL;
    break;
  }
  return {
    format: 'jsonl',
    count,
    shape,
    encoding: 'number',
    stored: 'json',
    labelled,
    description: `JSON Lines ${path}${labelled ? '' : ' (no labels)'}`,
    async *read(set: IndexSet): AsyncGenerator<Example> {
      const last = set.ends[set.ends.length - 1] ?? 0;
      let k = -1;
      let span = 0;
      for await (const { text, line } of lines(path)) {
        k++;
        if (k >= last) break;
        while (k >= set.ends[span]) span++;
        if (k < set.starts[span]) continue;
        const row = parseRow(text, integers, labelled);
        if (typeof row === 'string') yield { error: `${path}:${line}: ${row}` };
        else if (!sameShape(row.shape, shape))
          yield {
            error:
              `${path}:${line}: "x" has shape [${row.shape}], the first row [${shape}]; ` +
              `rows of different sizes cannot form a batch (pad them to one length)`,
          };
        else yield { values: row.values, label: row.label };
      }
      if (k + 1 < last)
        throw new BadInputError(`${path}: has fewer rows than when it was opened; was it changed while being read?`);
    },
  };
}
