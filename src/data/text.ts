// Text sets for text classifiers (a Hugging Face BERT-style model: input_ids, attention_mask,
// token_type_ids), and JSON Lines rows that already hold the model's inputs by name.
//
//   openTextDataset(path, terms, opts) → Dataset   (dataset.ts dispatches here: textFormat(path))
//
// Raw text needs a tokenizer (DatasetOptions.tokenizer, --tokenizer; tokenizer.ts):
//   FILE.tsv   without a header, GoEmotions' layout: text<TAB>label ids, comma-separated[<TAB>more columns,
//              ignored (GoEmotions' comment id)]. Tabs split fields; there is no quoting.
//   FILE.tsv / FILE.csv  with a header row naming a `text` column and a `label` (one class index) or
//              `labels` (comma-separated label indices) column, or neither (a set without labels); other
//              columns are ignored. A header is a first row with a field `text` (any case). CSV quoting
//              is RFC 4180's: "…" around a field, "" for a quote inside it, newlines allowed inside.
//   FILE.jsonl {"text": "…", "label": k} | {"text": "…", "labels": [i, j]} | {"text": "…"} (no labels)
// JSON Lines rows keyed by the model's input names need no tokenizer (a .jsonl whose first row has no
// "text" and no "x" but one of the inputs, e.g. {"input_ids": [...], "attention_mask": [...], "label": k}):
// every input of the model must be in every row, all of a row's lists of one length.
// Labels: `label` is one class index (y); `labels` a list of label indices, read as multi-hot labels
// (Batch.targets, Dataset.labelWidth) of width DatasetOptions.labelWidth (the model's class count; the
// CLI passes it) or, where that is unknown, the largest label index in the whole file + 1 (whatever the
// selection holds). The first row decides which kind a file holds; every row then has the same kind.
// A label index at or beyond labelWidth is bad input, as are a missing text or label.
// Sequences: each text is tokenized (truncated and padded to the tokenizer's model_max_length, exactly as
// tokenizer.ts says), so every example has that length (GoEmotions' fixture: 48); named rows are padded to
// one length too: the model's sequence length where its inputs fix one, else the tokenizer's
// model_max_length where --tokenizer is given, else the longest row of the file. Padding is input_ids' pad
// id (the tokenizer's, else 0) and 0 for every other input. A fixed length (rather than each batch's
// longest) keeps an example's values, so its digest, the same whatever batch it is read in.
// Model inputs: each is matched by name to a tokenizer output (input_ids, attention_mask, token_type_ids;
// exactly, or a name ending in one of them, e.g. `input_ids:0`); a model with one input whose name names
// none takes input_ids. A model input the tokenizer does not produce (tokenizer_config.json's
// model_input_names) is bad input. Every batch carries `inputs` by the model's input names (x the first).
// Memory: files are read line by line (CSV records spanning lines included); a pass holds one batch.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BadInputError } from '../core/errors.js';
import type { HostTensor, TensorData } from '../core/tensor.js';
import { DTYPE_NAMES } from '../graph/ir.js';
import { badExample, batchOf, skippedExamples } from './batch.js';
import { allocate, idOutOfRange, isFloatInput, showDims, type InputSpec } from './convert.js';
import { resolveSelectionOf, type IndexSet, type LabelledSource, type SelectionTerm } from './select.js';
import { NO_LABEL } from './source.js';
import { loadTokenizer, TEXT_INPUT_NAMES, type TextInputName, type TextTokenizer } from './tokenizer.js';
import type { Batch, DataNote, Dataset, DatasetOptions } from './types.js';

export type TextFormat = 'tsv' | 'csv' | 'jsonl-text' | 'jsonl-named';

type LabelKind = 'index' | 'list' | 'none';

interface Layout {
  format: TextFormat;
  /** Columns of a TSV/CSV row: the text and the label(s); label −1 for none. */
  textColumn: number;
  labelColumn: number;
  /** Whether the first record is a header (TSV/CSV). */
  header: boolean;
  kind: LabelKind;
  /** What the file is, for people. */
  what: string;
}

interface Row {
  text?: string;
  /** Named rows: the values of each row key read. */
  named?: Map<string, number[]>;
  label: bigint;
  /** Label indices of a 'list' row. */
  labels?: number[];
}

interface RawRecord {
  /** TSV/CSV fields, or the JSON Lines row's text. */
  fields?: string[];
  json?: string;
  line: number;
  error?: string;
}

const TEXT_EXT = /\.(tsv|csv)$/i;
const JSONL_EXT = /\.(jsonl|ndjson)$/i;

/** Non-blank lines of a file (line numbers from 1), a UTF-8 byte-order mark dropped. */
async function* lines(path: string, blank = false): AsyncGenerator<{ text: string; line: number }> {
  const stream = createReadStream(path, 'utf8');
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of rl) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (blank || text.trim()) yield { text, line };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** One CSV record's fields (RFC 4180), or undefined while a quoted field is still open. */
export function splitCsv(record: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let start = true;
  while (i < record.length) {
    const c = record[i];
    if (quoted) {
      if (c === '"') {
        if (record[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"' && start) quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
      start = true;
      i++;
      continue;
    } else field += c;
    start = false;
    i++;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}

/** The records of a file: TSV/CSV fields or JSON Lines rows, with the line each starts on. */
async function* records(path: string, format: TextFormat): AsyncGenerator<RawRecord> {
  if (format === 'tsv') {
    for await (const { text, line } of lines(path)) yield { fields: text.split('\t'), line };
    return;
  }
  if (format !== 'csv') {
    for await (const { text, line } of lines(path)) yield { json: text, line };
    return;
  }
  let pending: string | undefined;
  let start = 0;
  for await (const { text, line } of lines(path, true)) {
    if (pending === undefined && !text.trim()) continue;
    if (pending === undefined) start = line;
    const record = pending === undefined ? text : `${pending}\n${text}`;
    const fields = splitCsv(record);
    if (fields === undefined) {
      pending = record;
      continue;
    }
    pending = undefined;
    yield { fields, line: start };
  }
  if (pending !== undefined) yield { line: start, error: 'a quoted field is never closed (a " is missing)' };
}

/** The first record of a file, or undefined for one without any. */
async function firstRecord(path: string, format: TextFormat): Promise<RawRecord | undefined> {
  for await (const r of records(path, format)) return r;
  return undefined;
}

/** The first non-blank row of a JSON Lines file as an object, or undefined (not JSON, not an object). */
async function firstJsonRow(path: string): Promise<Record<string, unknown> | undefined> {
  for await (const { text } of lines(path)) {
    try {
      const v = JSON.parse(text) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The tokenizer-side name (input_ids, attention_mask, token_type_ids) a model input name stands for. */
export function textInputOf(name: string): TextInputName | undefined {
  const bare = name.replace(/:\d+$/, '');
  return (
    TEXT_INPUT_NAMES.find((t) => bare === t) ??
    TEXT_INPUT_NAMES.find((t) => bare.endsWith(t) || bare.toLowerCase().endsWith(t))
  );
}

/**
 * Which reader a data path needs: 'tsv'/'csv' (text, by extension), 'jsonl-text' (a .jsonl whose first
 * row has "text"), 'jsonl-named' (its first row has no "text" and no "x" but a key naming a model input
 * or a tokenizer output), or undefined for every other source (dataset.ts's readers).
 */
export async function textFormat(path: string, opts: Pick<DatasetOptions, 'inputs'>): Promise<TextFormat | undefined> {
  if (!existsSync(path) || statSync(path).isDirectory()) return undefined;
  if (TEXT_EXT.test(path)) return path.toLowerCase().endsWith('.csv') ? 'csv' : 'tsv';
  if (!JSONL_EXT.test(path)) return undefined;
  const row = await firstJsonRow(path);
  if (!row) return undefined;
  if ('text' in row) return 'jsonl-text';
  if ('x' in row) return undefined;
  const names = new Set<string>([...TEXT_INPUT_NAMES, ...(opts.inputs ?? []).map((i) => i.name)]);
  return Object.keys(row).some((k) => names.has(k)) ? 'jsonl-named' : undefined;
}

async function layoutOf(path: string, format: TextFormat): Promise<Layout> {
  const first = await firstRecord(path, format);
  if (!first) throw new BadInputError(`${path}: holds no examples.`);
  if (first.error) throw new BadInputError(`${path}:${first.line}: ${first.error}.`);
  if (format === 'jsonl-text' || format === 'jsonl-named') {
    const row = JSON.parse(first.json!) as Record<string, unknown>;
    const kind: LabelKind = 'labels' in row ? 'list' : 'label' in row ? 'index' : 'none';
    if ('labels' in row && 'label' in row)
      throw new BadInputError(
        `${path}:${first.line}: the row has both "label" and "labels"; give one (a class index, or a list of ` +
          'label indices).',
      );
    const what = format === 'jsonl-text' ? 'JSON Lines text' : 'JSON Lines rows of model inputs';
    return { format, textColumn: -1, labelColumn: -1, header: false, kind, what };
  }
  const names = first.fields!.map((f) => f.trim().toLowerCase());
  const textColumn = names.indexOf('text');
  if (textColumn < 0) {
    if (format === 'csv')
      throw new BadInputError(
        `${path}:${first.line}: a CSV file needs a header row naming a "text" column and a "label" or "labels" ` +
          `column; the first row is ${JSON.stringify(first.fields)}.`,
      );
    return {
      format,
      textColumn: 0,
      labelColumn: 1,
      header: false,
      kind: 'list',
      what: 'TSV text, labels (GoEmotions)',
    };
  }
  const label = names.indexOf('label');
  const labels = names.indexOf('labels');
  if (label >= 0 && labels >= 0)
    throw new BadInputError(
      `${path}:${first.line}: the header names both "label" and "labels"; keep one (a class index, or ` +
        'comma-separated label indices).',
    );
  const kind: LabelKind = labels >= 0 ? 'list' : label >= 0 ? 'index' : 'none';
  return {
    format,
    textColumn,
    labelColumn: Math.max(label, labels),
    header: true,
    kind,
    what: `${format.toUpperCase()} with a header`,
  };
}

/** A label index, or why `v` is not one; `width`: the head's class count where known. */
function labelIndex(v: unknown, field: string, width: number | undefined): number | string {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    return `field "${field}" holds ${JSON.stringify(v)}, not a label index (an integer ≥ 0)`;
  if (width !== undefined && n >= width)
    return `field "${field}": label ${n} is out of range: the model has ${width} classes (labels 0 to ${width - 1})`;
  return n;
}

/** Parses one record by the layout; `width` bounds label indices where known. Returns the row or why not. */
function parseRecord(r: RawRecord, layout: Layout, width: number | undefined, keys: readonly string[]): Row | string {
  if (r.error) return r.error;
  let text: unknown;
  let label: unknown;
  let hasLabel: boolean;
  let obj: Record<string, unknown> | undefined;
  const labelField = layout.kind === 'list' ? 'labels' : 'label';
  if (r.fields) {
    text = r.fields[layout.textColumn];
    if (text === undefined) return `no field "text" (column ${layout.textColumn + 1})`;
    label = layout.labelColumn >= 0 ? r.fields[layout.labelColumn] : undefined;
    hasLabel = label !== undefined && (label as string).trim() !== '';
    if (layout.kind !== 'none' && !hasLabel)
      return `no field "${labelField}" (column ${layout.labelColumn + 1}${layout.header ? '' : ', the label ids'})`;
  } else {
    try {
      obj = JSON.parse(r.json!) as Record<string, unknown>;
    } catch (e) {
      return `not valid JSON (${(e as Error).message})`;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'expected a JSON object';
    text = obj.text;
    label = obj[labelField];
    hasLabel = labelField in obj;
    const other = layout.kind === 'list' ? 'label' : 'labels';
    if (layout.kind !== 'none' && !hasLabel)
      return other in obj
        ? `field "${other}" given, but the first row has "${labelField}": give every row the same kind`
        : `no field "${labelField}" (the first row has one: label every row)`;
    const given = 'label' in obj ? 'label' : 'labels';
    if (layout.kind === 'none' && given in obj)
      return `field "${given}" given, but the first row has none: label every row or none`;
  }
  const row: Row = { label: NO_LABEL };
  if (layout.format === 'jsonl-named') {
    row.named = new Map();
    let length = -1;
    for (const key of keys) {
      const v = obj![key];
      if (v === undefined) return `no field "${key}"`;
      if (!Array.isArray(v)) return `field "${key}" must be a list of numbers`;
      for (const e of v)
        if (typeof e !== 'number' || !Number.isFinite(e)) return `field "${key}" holds ${JSON.stringify(e)}`;
      if (length >= 0 && v.length !== length)
        return `field "${key}" has ${v.length} values, "${keys[0]}" ${length}; a row's inputs have one length`;
      length = v.length;
      row.named.set(key, v as number[]);
    }
  } else {
    if (typeof text !== 'string')
      return text === undefined || text === null ? 'no field "text"' : `field "text" is not a string`;
    row.text = text;
  }
  if (layout.kind === 'index') {
    const k = labelIndex(label, 'label', width);
    if (typeof k === 'string') return k;
    row.label = BigInt(k);
  } else if (layout.kind === 'list') {
    let list: unknown[];
    if (r.fields) list = (label as string).split(',');
    else if (Array.isArray(label)) list = label;
    else return `field "labels" must be a list of label indices, e.g. [2, 7]`;
    const labels: number[] = [];
    for (const v of list) {
      const k = labelIndex(v, 'labels', width);
      if (typeof k === 'string') return k;
      labels.push(k);
    }
    row.labels = labels;
  }
  return row;
}

/** A loaded tokenizer, each file loaded once per process. */
const tokenizers = new Map<string, TextTokenizer>();
function tokenizerOf(t: string | TextTokenizer): TextTokenizer {
  if (typeof t !== 'string') return t;
  const key = resolve(t);
  let tok = tokenizers.get(key);
  if (!tok) tokenizers.set(key, (tok = loadTokenizer(t)));
  return tok;
}

interface Feed {
  /** The model's input name (undefined: a caller that named none). */
  name?: string;
  spec: InputSpec;
  /** The tokenizer output (text) or row key (named rows) it is read from. */
  from: string;
  pad: number;
}

/** What a text file is, found in one pass: its layout, rows, largest label and longest named row. */
export interface TextSource extends LabelledSource {
  layout: Layout;
  path: string;
  highest: number;
  longest: number;
  description: string;
  /** Rows (or why not) of the set's indices, in order. */
  rows(set: IndexSet): AsyncIterable<(Row & { line: number }) | { error: string }>;
}

/**
 * A text file as a source of labelled rows (select.ts reads labels through it; no tokenizing):
 * `width` is DatasetOptions.labelWidth, `keys` the row keys of named rows.
 */
export async function openTextSource(
  path: string,
  format: TextFormat,
  width: number | undefined,
  keys: readonly string[] = [],
): Promise<TextSource> {
  const layout = await layoutOf(path, format);
  let count = 0;
  let highest = -1;
  let longest = 0;
  let skipHeader = layout.header;
  for await (const r of records(path, format)) {
    if (skipHeader) {
      skipHeader = false;
      continue;
    }
    count++;
    const row = parseRecord(r, layout, undefined, keys);
    if (typeof row === 'string') continue;
    for (const k of row.labels ?? [Number(row.label)]) if (k > highest) highest = k;
    for (const v of row.named?.values() ?? []) if (v.length > longest) longest = v.length;
  }
  if (count === 0) throw new BadInputError(`${path}: holds no examples (only a header).`);
  const labelWidth = layout.kind === 'list' ? (width ?? highest + 1) : undefined;
  if (labelWidth === 0)
    throw new BadInputError(`${path}: no row holds a label index; the width of its multi-hot labels is unknown.`);
  const kindText =
    layout.kind === 'none'
      ? ' (no labels)'
      : layout.kind === 'list'
        ? ` (multi-hot labels, C=${labelWidth}${width === undefined ? ': the largest label + 1' : ''})`
        : '';
  async function* rows(set: IndexSet): AsyncGenerator<(Row & { line: number }) | { error: string }> {
    const last = set.ends[set.ends.length - 1] ?? 0;
    let k = -1;
    let span = 0;
    let header = layout.header;
    for await (const r of records(path, format)) {
      if (header) {
        header = false;
        continue;
      }
      k++;
      if (k >= last) return;
      while (k >= set.ends[span]) span++;
      if (k < set.starts[span]) continue;
      const row = parseRecord(r, layout, labelWidth ?? width, keys);
      yield typeof row === 'string' ? { error: `${path}:${r.line}: ${row}` } : { ...row, line: r.line };
    }
    if (k + 1 < last)
      throw new BadInputError(`${path}: has fewer rows than when it was opened; was it changed while being read?`);
  }
  return {
    path,
    layout,
    count,
    highest,
    longest,
    labelled: layout.kind !== 'none',
    ...(labelWidth === undefined ? {} : { labelWidth }),
    description: `${layout.what} ${path}${kindText}`,
    rows,
    async *read(set: IndexSet) {
      for await (const row of rows(set)) {
        if ('error' in row) yield row;
        else if (row.labels) yield { label: NO_LABEL, targets: multiHot(row.labels, labelWidth!) };
        else yield { label: row.label };
      }
    },
  };
}

function multiHot(labels: readonly number[], width: number): Float32Array {
  const t = new Float32Array(width);
  for (const k of labels) t[k] = 1;
  return t;
}

/** The model inputs as DatasetOptions names them (one unnamed input where only `input` is given). */
function modelInputs(opts: DatasetOptions): { name?: string; spec: InputSpec }[] {
  return opts.inputs?.length
    ? opts.inputs.map((i) => ({ name: i.name, spec: { dtype: i.dtype, dims: i.dims, idRows: i.idRows } }))
    : [{ spec: opts.input }];
}

/** The sequence length the model's inputs fix (their axis 1), if any; checks every input is [batch, sequence]. */
function fixedLength(inputs: { name?: string; spec: InputSpec }[], path: string): number | undefined {
  let fixed: number | undefined;
  for (const { name, spec } of inputs) {
    if (spec.dims.length !== 2)
      throw new BadInputError(
        `${path}: token ids go into inputs of shape [batch, sequence], and the model's input ` +
          `${name ?? ''}${name ? ' ' : ''}takes ${showDims(spec.dims)}.`,
      );
    allocate(spec.dtype, 0);
    const d = spec.dims[1];
    if (typeof d === 'number' && d > 0) {
      if (fixed !== undefined && fixed !== d)
        throw new BadInputError(`${path}: the model's inputs fix different sequence lengths (${fixed} and ${d}).`);
      fixed = d;
    }
  }
  return fixed;
}

/** Which tokenizer output (text) each model input takes. */
function textFeeds(inputs: { name?: string; spec: InputSpec }[], tok: TextTokenizer, path: string): Feed[] {
  return inputs.map(({ name, spec }) => {
    const t = name === undefined ? 'input_ids' : (textInputOf(name) ?? (inputs.length === 1 ? 'input_ids' : undefined));
    if (t === undefined || !tok.inputNames.includes(t))
      throw new BadInputError(
        `${path}: the model takes inputs ${inputs.map((i) => i.name ?? '(unnamed)').join(', ')}, and the ` +
          `tokenizer produces ${tok.inputNames.join(', ')} (tokenizer_config.json's model_input_names): ` +
          `nothing gives ${name}. Use the model's own tokenizer.`,
      );
    return { name, spec, from: t, pad: t === 'input_ids' ? tok.padId : 0 };
  });
}

/** Which row key each model input is read from (its name, or the tokenizer-side name it stands for). */
async function namedFeeds(inputs: { name?: string; spec: InputSpec }[], path: string, padId: number): Promise<Feed[]> {
  const row = (await firstJsonRow(path)) ?? {};
  return inputs.map(({ name, spec }) => {
    const t = name === undefined ? 'input_ids' : (textInputOf(name) ?? (inputs.length === 1 ? 'input_ids' : undefined));
    const key = name !== undefined && name in row ? name : t !== undefined && t in row ? t : undefined;
    if (key === undefined)
      throw new BadInputError(
        `${path}:1: no field "${name ?? t}": the model takes inputs ` +
          `${inputs.map((i) => i.name ?? '(unnamed)').join(', ')}, and the row holds ` +
          `${Object.keys(row).join(', ')}. Give every input in every row (or give text with --tokenizer).`,
      );
    return { name, spec, from: key, pad: (t ?? key) === 'input_ids' ? padId : 0 };
  });
}

/** Copies row `values` (length ≤ width) into `out` at row `i`, padding with `pad`. */
function writeRow(out: TensorData, values: ArrayLike<number | bigint>, i: number, width: number, pad: number): void {
  const base = i * width;
  if (out instanceof BigInt64Array) {
    for (let j = 0; j < values.length; j++) out[base + j] = BigInt(values[j]);
    out.fill(BigInt(pad), base + values.length, base + width);
  } else {
    const o = out as Float32Array;
    for (let j = 0; j < values.length; j++) o[base + j] = Number(values[j]);
    o.fill(pad, base + values.length, base + width);
  }
}

/**
 * The set `path` (a text file or named JSON Lines rows, see the header) with selection `terms`.
 * Throws BadInputError for text without a tokenizer, model inputs no tokenizer output or row key
 * gives, and (when read) rows that cannot be used, naming file, line and field.
 */
export async function openTextDataset(
  path: string,
  format: TextFormat,
  terms: readonly SelectionTerm[],
  opts: DatasetOptions,
): Promise<Dataset> {
  const onNote = opts.onNote ?? ((_: DataNote) => {});
  const note = (message: string) => onNote({ kind: 'note', message });
  const named = format === 'jsonl-named';
  if (!named && opts.tokenizer === undefined)
    throw new BadInputError(
      `${path}: holds text, and the model takes token ids. Pass --tokenizer PATH (the model's tokenizer.json, ` +
        'or the folder holding it and tokenizer_config.json) to tokenize it.',
    );
  const tok = opts.tokenizer === undefined ? undefined : tokenizerOf(opts.tokenizer);
  const inputs = modelInputs(opts);
  const fixed = fixedLength(inputs, path);
  const feeds = named ? await namedFeeds(inputs, path, tok?.padId ?? 0) : textFeeds(inputs, tok!, path);
  if (!named && fixed !== undefined && fixed < tok!.maxLength)
    throw new BadInputError(
      `${path}: the model's inputs take ${fixed} tokens, and the tokenizer truncates to ${tok!.maxLength} ` +
        `(model_max_length). Set model_max_length in tokenizer_config.json to ${fixed}.`,
    );
  const keys = named ? [...new Set(feeds.map((f) => f.from))] : [];
  const source = await openTextSource(path, format, opts.labelWidth, keys);
  const length = fixed ?? tok?.maxLength ?? source.longest;
  if (length < 1) throw new BadInputError(`${path}: every row's inputs are empty lists.`);
  if (opts.labels) note(`--labels applies to image folders only; ignored for ${path}`);
  const set = await resolveSelectionOf(terms, source, path, note);
  const width = source.labelWidth;
  const labelled = source.labelled;
  const stop = (opts.onBadInput ?? 'stop') === 'stop';
  const skippedAt = new Map<number, string>();
  const selected = terms.length ? ` @${terms.map((t) => t.text).join('@')}` : '';
  const how = named ? `padded to ${length}` : `tokenized to ${length}`;

  const assemble = (rows: Row[], index: number[]): Batch => {
    const n = rows.length;
    const tensors: HostTensor[] = [];
    if (named) {
      for (const f of feeds) {
        const data = allocate(f.spec.dtype, n * length);
        rows.forEach((r, i) => writeRow(data, r.named!.get(f.from)!, i, length, f.pad));
        tensors.push({ data, dims: [n, length] });
      }
    } else {
      const enc = tok!.encodeBatch(
        rows.map((r) => r.text!),
        { pad: 'max' },
      );
      const m = enc.dims[1];
      for (const f of feeds) {
        const from = enc[f.from as TextInputName];
        const why = idOutOfRange(from, f.spec.idRows);
        if (why)
          throw new BadInputError(
            `${path}: the tokenizer's ${f.from}: ${why}; the tokenizer does not belong to this model.`,
          );
        const data = allocate(f.spec.dtype, n * length);
        for (let i = 0; i < n; i++) writeRow(data, from.subarray(i * m, (i + 1) * m), i, length, f.pad);
        tensors.push({ data, dims: [n, length] });
      }
    }
    const y = new BigInt64Array(n);
    let targets: Float32Array | undefined;
    if (width !== undefined) {
      y.fill(NO_LABEL);
      targets = new Float32Array(n * width);
      rows.forEach((r, i) => {
        for (const k of r.labels!) targets![i * width + k] = 1;
      });
    } else rows.forEach((r, i) => (y[i] = r.label));
    const byName =
      feeds[0].name === undefined ? undefined : Object.fromEntries(feeds.map((f, k) => [f.name!, tensors[k]]));
    return batchOf(tensors[0], y, targets, labelled, index, byName);
  };

  return {
    count: set.size,
    labelled,
    ...(width === undefined ? {} : { labelWidth: width }),
    description: `${source.description}${selected}: ${set.size} of ${source.count} examples, ${how}`,
    exampleDims: [length],
    get skipped() {
      return skippedAt.size;
    },
    get skippedExamples() {
      return skippedExamples(skippedAt);
    },
    async *batches(batchSize: number, positions?: { start: number; end: number }): AsyncGenerator<Batch> {
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new BadInputError(`batch size ${batchSize}: give a positive integer.`);
      let rows: Row[] = [];
      let index: number[] = [];
      let position = (positions?.start ?? 0) - 1;
      for await (const read of source.rows(positions ? set.slice(positions.start, positions.end) : set)) {
        position++;
        let ex = read;
        if (!('error' in ex) && ex.named) {
          const values = ex.named;
          const long = [...values].find(([, v]) => v.length > length);
          const frac = feeds.find(
            (f) => !isFloatInput(f.spec.dtype) && !values.get(f.from)!.every(Number.isSafeInteger),
          );
          if (long)
            ex = {
              error:
                `${path}:${ex.line}: field "${long[0]}" has ${long[1].length} values, more than the ` +
                `sequence length ${length}${fixed !== undefined ? ' the model takes' : ' of the tokenizer'}`,
            };
          else if (frac)
            ex = {
              error:
                `${path}:${ex.line}: field "${frac.from}" holds a value that is not an integer, and the model ` +
                `takes ${DTYPE_NAMES[frac.spec.dtype]} ids`,
            };
          else
            for (const f of feeds) {
              const why = idOutOfRange(values.get(f.from)!, f.spec.idRows);
              if (why) {
                ex = { error: `${path}:${ex.line}: field "${f.from}": ${why}` };
                break;
              }
            }
        }
        if ('error' in ex) {
          badExample(ex.error, position, stop, skippedAt, onNote);
          continue;
        }
        rows.push(ex);
        index.push(position);
        if (rows.length === batchSize) {
          yield assemble(rows, index);
          rows = [];
          index = [];
        }
      }
      if (rows.length) yield assemble(rows, index);
    },
  };
}
