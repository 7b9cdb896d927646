// Writes a copy of a model with some initializers replaced, patching their bytes in place so
// that every other byte stays identical. External data goes to a data file of the output's own;
// only the `location` strings pointing at it change. Files are staged in a temporary folder beside
// the output and renamed into place, so a failure leaves nothing half-written.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { markPlaced, trackTemp, untrackTemp } from '../core/atomic.js';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { DataType, numElements, type Model } from './ir.js';
import { decodeStringEntry } from './decode.js';
import { externalDataPaths } from './load.js';
import { Reader, Writer, WireType } from './wire.js';

export interface WriteResult {
  model: string;
  dataFiles: string[];
}

export interface StagedModel {
  /** The staged model, loadable (its external data sits beside it under its final name). */
  path: string;
  /** Where commit() puts the files. */
  final: WriteResult;
  /** Moves the staged files to their final place. */
  commit(): WriteResult;
  /** Removes the staged files. */
  abort(): void;
}

export function writeModel(model: Model, out: string, replacements: ReadonlyMap<string, Float32Array>): WriteResult {
  return stageModel(model, out, replacements).commit();
}

/** An unlearning run's output: where the model goes and, while it is still staged, the staged files. */
export interface ModelOutput {
  path: string;
  dataFiles: string[];
  staged?: StagedModel;
}

/** Writes the edited model into a temporary folder beside `out`, to be committed or aborted. */
export function stageModel(model: Model, out: string, replacements: ReadonlyMap<string, Float32Array>): StagedModel {
  const target = resolve(out);
  // the model file, and its external data files: none of the files written may be one of them
  const inputs = new Set(
    [model.path, ...externalDataPaths(model)].filter((p) => existsSync(p)).map((p) => realpathSync(resolve(p))),
  );
  for (const path of [target, ...outputDataFiles(model, target)])
    if (existsSync(path) && inputs.has(realpathSync(path)))
      throw new BadInputError(
        `${out}: refusing to overwrite the input model${path === target ? '' : `'s external data ${path}`}; ` +
          'choose another output path.',
      );
  checkReplacements(model, replacements);
  const { bytes, data } = patchedFiles(model, target, replacements);
  const stage = join(dirname(target), `.${basename(target)}.scrub-tmp-${process.pid}`);
  const names = [basename(target), ...data.keys()];
  // removed at process exit while staged (a second Ctrl-C exits at once)
  trackTemp(stage);
  try {
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage);
    writeFileSync(join(stage, basename(target)), bytes);
    for (const [name, d] of data) writeFileSync(join(stage, name), d);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    untrackTemp(stage);
    throw new BadInputError(`${out}: could not write the model: ${(e as Error).message}`);
  }
  const final = { model: target, dataFiles: names.slice(1).map((n) => join(dirname(target), n)) };
  return {
    path: join(stage, basename(target)),
    final,
    commit() {
      try {
        // data first, so that the model never points at data that is not there yet
        for (const name of [...names.slice(1), names[0]]) {
          renameSync(join(stage, name), join(dirname(target), name));
          markPlaced(join(dirname(target), name));
        }
      } catch (e) {
        throw new BadInputError(`${out}: could not move the model into place: ${(e as Error).message}`);
      } finally {
        rmSync(stage, { recursive: true, force: true });
        untrackTemp(stage);
      }
      return final;
    },
    abort() {
      rmSync(stage, { recursive: true, force: true });
      untrackTemp(stage);
    },
  };
}

function checkReplacements(model: Model, replacements: ReadonlyMap<string, Float32Array>): void {
  for (const [name, values] of replacements) {
    const t = model.graph.initializers.get(name);
    if (!t) throw new BadInputError(`${model.path}: no initializer named ${name} to replace.`);
    if (t.dataType !== DataType.FLOAT)
      throw new UnsupportedModelError(
        `${model.path}: initializer ${name} is not float32; scrub cannot write it. Export the model in float32.`,
      );
    if (values.length !== numElements(t.dims))
      throw new BadInputError(
        `${model.path}: new value for ${name} has ${values.length} elements, ` +
          `the tensor [${t.dims}] has ${numElements(t.dims)}.`,
      );
    if (t.location.kind === 'typed')
      throw new UnsupportedModelError(
        `${model.path}: initializer ${name} is stored in a form scrub cannot patch (typed fields); ` +
          're-export the model with raw tensor data (the default of torch.onnx.export).',
      );
  }
}

/**
 * The external data files of an edited copy of `model` written to `out`: each input data file (its
 * location string) → the output's own file name (OUT.data, then OUT.1.data, …), in the model's order.
 */
function dataFileNames(model: Pick<Model, 'graph'>, out: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const t of model.graph.initializers.values())
    if (t.location.kind === 'external' && !names.has(t.location.file))
      names.set(t.location.file, `${basename(out)}${names.size === 0 ? '' : `.${names.size}`}.data`);
  return names;
}

/** The paths of the external data files an edited copy of `model` written to `out` has, beside it. */
export function outputDataFiles(model: Pick<Model, 'graph'>, out: string): string[] {
  return [...dataFileNames(model, out).values()].map((name) => join(dirname(out), name));
}

/** The model's bytes and its external data files (by their new names), with the replacements patched in. */
function patchedFiles(
  model: Model,
  target: string,
  replacements: ReadonlyMap<string, Float32Array>,
): { bytes: Uint8Array; data: Map<string, Uint8Array> } {
  let bytes: Uint8Array = model.bytes.slice();
  const external = new Map<string, { data: Uint8Array; newName: string }>();
  const modelBase = dirname(resolve(model.path));
  for (const [file, newName] of dataFileNames(model, target))
    external.set(file, { data: new Uint8Array(readFileSync(resolve(modelBase, file))), newName });
  for (const [name, values] of replacements) {
    const t = model.graph.initializers.get(name)!;
    const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (t.location.kind === 'raw' || t.location.kind === 'float_data') bytes.set(src, t.location.offset);
    else if (t.location.kind === 'external') external.get(t.location.file)!.data.set(src, t.location.offset);
  }
  if (external.size > 0) bytes = renameExternalData(bytes, new Map([...external].map(([k, v]) => [k, v.newName])));
  return { bytes, data: new Map([...external.values()].map((e) => [e.newName, e.data])) };
}

/** Rewrites the `location` of external tensors; every other byte is copied as it was. */
function renameExternalData(buf: Uint8Array, renames: ReadonlyMap<string, string>): Uint8Array {
  return rewriteFields(buf, 0, buf.length, (field, s, e) =>
    field === 7
      ? rewriteFields(buf, s, e, (gf, gs, ge) => (gf === 5 ? rewriteTensorLocation(buf, gs, ge, renames) : undefined))
      : undefined,
  );
}

function rewriteTensorLocation(
  buf: Uint8Array,
  start: number,
  end: number,
  renames: ReadonlyMap<string, string>,
): Uint8Array | undefined {
  return rewriteFields(buf, start, end, (field, s, e) => {
    if (field !== 13) return undefined;
    const [key, value] = decodeStringEntry(buf, s, e);
    if (key !== 'location' || !renames.has(value)) return undefined;
    const w = new Writer();
    w.string(1, key);
    w.string(2, renames.get(value)!);
    return w.finish();
  });
}

/**
 * Copies a message's fields, letting `replace` substitute the payload of length-delimited
 * fields (undefined keeps the original bytes). Lengths of replaced fields are re-encoded.
 */
function rewriteFields(
  buf: Uint8Array,
  start: number,
  end: number,
  replace: (field: number, s: number, e: number) => Uint8Array | undefined,
): Uint8Array {
  const r = new Reader(buf, start, end);
  const w = new Writer();
  while (!r.done()) {
    const fieldStart = r.pos;
    const { field, wire } = r.tag();
    if (wire === WireType.Bytes) {
      const [s, e] = r.span();
      const sub = replace(field, s, e);
      if (sub) {
        w.bytes(field, sub);
        continue;
      }
    } else r.skip(wire);
    w.raw(buf.subarray(fieldStart, r.pos));
  }
  return w.finish();
}
