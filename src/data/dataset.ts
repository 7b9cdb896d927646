// Datasets as users name them on the command line, streamed in batches the model can take.
//
//   openDataset(spec, opts) → Dataset { count, labelled, labelWidth?, classes?, description, exampleDims, skipped,
//                                       batches(n) }
//
// spec := SOURCE ( '@' TERM )*   (selection terms: see select.ts; e.g. train.gz@0:55000@~forget.json)
// SOURCE, by what is on disk:
//   DIR                     x.npy + y.npy inside it, else an image folder DIR/<class>/*.png|jpg|… (images.ts)
//   X.npy                   with its labels beside it: x.npy → y.npy, train_x.npy → train_y.npy
//   X.npy,Y.npy             an explicit pair
//   NAME-images-idx3-ubyte[.gz]   IDX, labels found by name (NAME-labels-idx1-ubyte[.gz])
//   IMAGES,LABELS           an explicit IDX pair
//   FILE.jsonl | .ndjson    JSON Lines {"x": [...], "y": k} or multi-hot {"x": [...], "y": [0, 1, 1, 0]}
// Sets without labels (Dataset.labelled false, every label NO_LABEL = −1): an image folder with the
// images directly in DIR and no class folders; x.npy with no y.npy beside it (DIR or DIR/x.npy; other
// names need their partner, as a missing one is more likely a mistake); JSON Lines rows without "y".
// Indices and set order are the source's: file order, an image folder's listing order (images.ts),
// JSON Lines' non-blank lines. A pass yields the set in that order.
// Multi-hot labels (multi-label classifiers: C independent 0/1 labels an example): y.npy of shape
// [N, C] holding only 0 and 1, or JSON Lines "y" lists of C 0/1 values. Such a set has labelWidth C;
// its batches carry `targets` [n·C] and y all NO_LABEL. IDX and image folders are never multi-hot.
// Model values: 8-bit pixels (images, IDX ubyte, uint8 npy) into a float input become
// (pixel/255 − mean[c]) / std[c] (defaults mean 0, std 1: pixel/255), in the input's float type;
// every other value is taken as stored (mean/std do not apply), converted to the input's type.
// Memory: readers stream (gunzip on the fly, positional npy reads, line by line, a window of images
// decoding), so a pass holds a batch and a bounded read-ahead whatever the set's size.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BadInputError, ScrubError } from '../core/errors.js';
import { checkLabels, labelOutside } from '../core/labels.js';
import { DataType, DTYPE_NAMES } from '../graph/ir.js';
import type { HostTensor } from '../core/tensor.js';
import { allocate, fitExample, idOutOfRange, imageGeometry, isFloatInput, makeWriter, nonFinite } from './convert.js';
import { openIdx, readIdxHeader } from './idx.js';
import { openImageFolder } from './images.js';
import { openJsonl } from './jsonl.js';
import { openNpyPair, pairedYPath } from './npyfile.js';
import { parseTerm, resolveSelectionOf, type IndexSet, type SelectionTerm } from './select.js';
import { NO_LABEL, type Source } from './source.js';
import { openNamedDataset } from './named.js';
import { badExample, batchOf, multiHotY, skippedExamples } from './batch.js';
import { openTextDataset, openTextSource, textFormat } from './text.js';

export type { InputSpec } from './convert.js';
export { NO_LABEL } from './source.js';

import type { Batch, DataNote, Dataset, DatasetOptions } from './types.js';
export type { Batch, DataNote, Dataset, DatasetOptions, SkippedExample } from './types.js';

// a path, or a pair X,Y of which both exist (X alone would take `X,Y@A` for the pair of X and `Y@A`)
const existingSource = (p: string) =>
  existsSync(p) || (p.includes(',') && p.split(',').every((part) => part !== '' && existsSync(part)));

/**
 * The source of a spec and its raw selection terms: the longest '@'-joined prefix that exists
 * (`exists` checks a path, relative to wherever the caller resolves it), else the first part.
 */
export function splitSource(
  spec: string,
  exists: (path: string) => boolean = existingSource,
): { source: string; terms: string[] } {
  const parts = spec.split('@');
  let k = 1;
  for (let j = parts.length - 1; j > 1; j--)
    if (exists(parts.slice(0, j).join('@'))) {
      k = j;
      break;
    }
  return { source: parts.slice(0, k).join('@'), terms: parts.slice(k) };
}

/** Splits a spec into its source and selection terms; a path that exists whole is never split. */
export function splitSpec(spec: string): { source: string; terms: SelectionTerm[] } {
  if (!spec) throw new BadInputError(`an empty data argument. Name a folder, .npy, IDX or .jsonl file.`);
  if (existsSync(spec)) return { source: spec, terms: [] };
  const { source, terms } = splitSource(spec);
  return { source, terms: terms.map(parseTerm) };
}

async function openSource(path: string, opts: DatasetOptions, note: (m: string) => void): Promise<Source> {
  try {
    return await openSourceAt(path, opts, note);
  } catch (e) {
    // a file that exists but cannot be read (permissions, a folder where a file belongs) is bad input too
    const code = (e as { code?: unknown }).code;
    if (e instanceof Error && !(e instanceof ScrubError) && typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new BadInputError(`${path}: cannot be read (${e.message}).`);
    throw e;
  }
}

/** A data path that does not exist, named with the role it was given for (DatasetOptions.role). */
function missing(path: string, what: string, role: string | undefined): BadInputError {
  return new BadInputError(`${path}: no such ${what}${role ? ` (given as the ${role} set)` : ''}; check the path.`);
}

async function openSourceAt(path: string, opts: DatasetOptions, note: (m: string) => void): Promise<Source> {
  const example = opts.input.dims.slice(1);
  if (!existsSync(path) && path.includes(',')) {
    const [a, b, ...rest] = path.split(',');
    if (rest.length || !a || !b)
      throw new BadInputError(`${path}: a pair is written INPUTS,LABELS (two paths and one comma).`);
    for (const p of [a, b]) if (!existsSync(p)) throw missing(p, 'file', opts.role);
    return a.endsWith('.npy') ? openNpyPair(a, b) : await openIdx(a, b);
  }
  if (!existsSync(path)) throw missing(path, 'file or folder', opts.role);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'x.npy')))
      return openNpyPair(join(path, 'x.npy'), existsSync(join(path, 'y.npy')) ? join(path, 'y.npy') : undefined);
    const fixed = example.every((d) => typeof d === 'number' && d > 0) ? imageGeometry(example as number[]) : undefined;
    return openImageFolder(path, example, fixed, { labels: opts.labels, note });
  }
  if (path.endsWith('.npy') && opts.npyLabels !== undefined) return openNpyPair(path, opts.npyLabels ?? undefined);
  if (path.endsWith('.npy')) {
    const lone = basename(path) === 'x.npy' && !existsSync(join(dirname(path), 'y.npy'));
    return openNpyPair(path, lone ? undefined : pairedYPath(path));
  }
  if (/\.(jsonl|ndjson)$/i.test(path)) return openJsonl(path, !isFloatInput(opts.input.dtype));
  try {
    await readIdxHeader(path);
  } catch {
    throw new BadInputError(
      `${path}: not a data format scrub reads. Give an image folder, x.npy + y.npy (a folder or a pair), ` +
        'an IDX file (*-images-idx3-ubyte[.gz]) or JSON Lines (.jsonl).',
    );
  }
  return openIdx(path);
}

/**
 * The source indices a spec selects, and how many the source has (headers and listings only; a label term,
 * `@label=K`, reads the labels of the examples the other terms keep).
 */
export async function selectionOf(
  spec: string,
  opts: DatasetOptions,
): Promise<{ source: string; count: number; set: IndexSet }> {
  const { source: path, terms } = splitSpec(spec);
  const text = await textFormat(path, opts);
  // a text file's labels are read without tokenizing: no tokenizer needed here
  const source = text ? await openTextSource(path, text, opts.labelWidth) : await openSource(path, opts, () => {});
  return { source: path, count: source.count, set: await resolveSelectionOf(terms, source, path, () => {}) };
}

/** Opens what a user named on the command line; see the header for the forms of `spec`. */
export async function openDataset(spec: string, opts: DatasetOptions): Promise<Dataset> {
  const split = splitSpec(spec);
  const text = await textFormat(split.source, opts);
  if (text) return openTextDataset(split.source, text, split.terms, opts);
  if (opts.inputs && opts.inputs.length > 1) return openNamedDataset(spec, opts, openDataset);
  // a library prints nothing: notes reach whoever asked for them
  const onNote = opts.onNote ?? ((_: DataNote) => {});
  const note = (message: string) => onNote({ kind: 'note', message });
  const { dtype } = opts.input;
  allocate(dtype, 0);
  const { source: path, terms } = splitSpec(spec);
  const source = await openSource(path, opts, note);
  const image = source.format === 'images';
  if (image && !isFloatInput(dtype))
    throw new BadInputError(`${path}: images need a float input, and the model's takes ${DTYPE_NAMES[dtype]}.`);
  if (opts.labels && !image) note(`--labels applies to image folders only; ignored for ${path}`);
  checkValueType(source, dtype, note);
  const exampleDims = fitExample(source.shape, opts.input, path);
  const pixels = source.encoding === 'pixel' && isFloatInput(dtype);
  if (!pixels && (opts.mean || opts.std))
    note(
      `${path}: the normalisation (--mean/--std, else the model's scrub.mean/scrub.std) applies to 8-bit pixel ` +
        'data only; these values are taken as stored',
    );
  if (pixels && source.format === 'npy')
    note(`${path}: uint8 values are read as 8-bit pixels: scaled by 1/255, then normalised`);
  const write = makeWriter(dtype, exampleDims, source.encoding, { mean: opts.mean, std: opts.std }, path);
  const set = await resolveSelectionOf(terms, source, path, note);
  const per = exampleDims.reduce((a, b) => a * b, 1);
  const stop = (opts.onBadInput ?? 'stop') === 'stop';
  const skippedAt = new Map<number, string>();
  const selected = terms.length ? ` @${terms.map((t) => t.text).join('@')}` : '';
  const labelled = source.labelled;
  const width = source.labelWidth;
  // NaN and ±Infinity exist only in float storage (JSON numbers such as 1e999 parse to Infinity)
  const mayHoldNonFinite = /^float/.test(source.stored) || source.stored === 'json';
  // token ids index an embedding table: one outside it is bad input, named here, not an ONNX Runtime error
  const idRows = isFloatInput(dtype) ? undefined : opts.input.idRows;
  // a class index past the model's classes (labelWidth, where given) is a bad example too: skippable
  const classes = labelled && width === undefined ? opts.labelWidth : undefined;
  // An example as messages name it: by its index in the source, and under a selection also by its
  // position in the set (the notes' and the batches' `index`).
  const example = (position: number) =>
    `${source.description}: example ${set.at(position)}` +
    (terms.length ? ` (position ${position} of the selection${selected})` : '');
  return {
    count: set.size,
    labelled,
    ...(width === undefined ? {} : { labelWidth: width }),
    classes: source.classes,
    description: `${source.description}${selected}: ${set.size} of ${source.count} examples`,
    exampleDims,
    ...(pixels ? { normalisation: { mean: [...(opts.mean ?? [0])], std: [...(opts.std ?? [1])] } } : {}),
    get skipped() {
      return skippedAt.size;
    },
    get skippedExamples() {
      return skippedExamples(skippedAt);
    },
    async *batches(batchSize: number, positions?: { start: number; end: number }): AsyncGenerator<Batch> {
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new BadInputError(`batch size ${batchSize}: give a positive integer.`);
      let x = allocate(dtype, batchSize * per);
      let y = new BigInt64Array(batchSize);
      let targets = width === undefined ? undefined : new Float32Array(batchSize * width);
      let index: number[] = [];
      let position = (positions?.start ?? 0) - 1;
      for await (const read of source.read(positions ? set.slice(positions.start, positions.end) : set)) {
        position++;
        let ex =
          'error' in read || !mayHoldNonFinite ? read : (nonFinite(read.values, () => example(position)) ?? read);
        const outside = 'error' in ex ? undefined : idOutOfRange(ex.values as ArrayLike<number | bigint>, idRows);
        if (outside) ex = { error: `${example(position)}: ${outside}` };
        const badLabel = 'error' in ex || classes === undefined ? undefined : labelOutside(ex.label, classes);
        if (badLabel) ex = { error: `${example(position)} ${badLabel}` };
        if ('error' in ex) {
          badExample(ex.error, position, stop, skippedAt, onNote);
          continue;
        }
        write(ex.values, x, index.length * per);
        y[index.length] = ex.label;
        if (targets) {
          if (!ex.targets || ex.targets.length !== width)
            throw new Error(`${example(position)} has no multi-hot labels of width ${width}`);
          targets.set(ex.targets, index.length * width);
        }
        index.push(position);
        if (index.length === batchSize) {
          yield batchOf({ data: x, dims: [batchSize, ...exampleDims] }, y, targets, labelled, index);
          x = allocate(dtype, batchSize * per);
          y = new BigInt64Array(batchSize);
          targets = targets && new Float32Array(batchSize * width!);
          index = [];
        }
      }
      const n = index.length;
      if (n)
        yield batchOf(
          { data: x.subarray(0, n * per) as HostTensor['data'], dims: [n, ...exampleDims] },
          y.subarray(0, n),
          targets?.subarray(0, n * width!),
          labelled,
          index,
        );
    },
  };
}

function checkValueType(source: Source, dtype: number, note: (m: string) => void): void {
  if (!isFloatInput(dtype) && /^float/.test(source.stored))
    throw new BadInputError(
      `${source.description}: holds ${source.stored}, the model's input takes ${DTYPE_NAMES[dtype]}. ` +
        'Save the inputs as integers.',
    );
  if (dtype === DataType.FLOAT && source.stored === 'float64')
    note(`${source.description}: float64 values converted to float32`);
}

/**
 * The error for set `spec` (its role `what`: forget, retain, …) whose every example was left out under
 * --on-bad-input skip, where there is then nothing to `purpose` (forget, use, evaluate).
 */
export function everyExampleSkipped(spec: string, what: string, purpose: string): BadInputError {
  return new BadInputError(
    `${spec}: every ${what} example was skipped (--on-bad-input skip), so there is nothing to ${purpose}; ` +
      'fix the examples the notes name, and run again.',
  );
}

/**
 * Refuses a set without labels where `user` needs them; `name` is the set as the user named it,
 * `remedy` what to do instead.
 */
export function requireLabels(data: Pick<Dataset, 'labelled'>, name: string, user: string, remedy: string): void {
  if (!data.labelled) throw new BadInputError(`${name}: has no labels, and ${user} needs them. ${remedy}`);
}

/**
 * The batch as a label-free consumer sees it: every label NO_LABEL and no multi-hot targets (digests
 * then ignore the labels).
 */
export function withoutLabels(batch: Batch): Batch {
  if (!batch.labelled) return batch;
  const { targets: _targets, ...rest } = batch;
  return { ...rest, y: new BigInt64Array(batch.y.length).fill(NO_LABEL), labelled: false };
}

/**
 * Throws unless every label is a class of a model with `classes` outputs; `index` names positions.
 * Given a batch's y (or the batch), multi-hot batches pass their y (all NO_LABEL by design) unchecked;
 * given the batch, their targets must have `classes` columns (one per output of the multi-label head).
 */
export function checkLabelRange(
  labels: BigInt64Array | Pick<Batch, 'y' | 'targets'>,
  classes: number,
  source: string,
  index?: readonly number[],
): void {
  if (!(labels instanceof BigInt64Array)) {
    const { y, targets } = labels;
    if (targets) {
      if (targets.length !== y.length * classes)
        throw new BadInputError(
          `${source}: multi-hot labels have ${targets.length / Math.max(1, y.length)} classes an example, ` +
            `the model's ${classes} outputs. Check that the data belongs to this model.`,
        );
      return;
    }
    return checkLabels(source, y, y.length, classes, index);
  }
  if (multiHotY.has(labels)) return;
  checkLabels(source, labels, labels.length, classes, index);
}
