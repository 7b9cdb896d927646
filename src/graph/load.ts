import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, isAbsolute, normalize, sep } from 'node:path';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { decodeModel } from './decode.js';
import { inlineFunctions } from './functions.js';
import { upgradeOpset } from './upgrade.js';
import { WireError } from './wire.js';
import { numElements, elementBytes, type Model, type Tensor } from './ir.js';

/** Reads an ONNX model, with its external data, or says clearly why it cannot. */
export function loadModel(path: string): Model {
  if (!existsSync(path)) throw new BadInputError(`${path}: no such file. Pass the path of an .onnx model.`);
  if (statSync(path).isDirectory()) throw new BadInputError(`${path}: is a directory, not an .onnx model file.`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new BadInputError(`${path}: cannot read the model (${(e as Error).message}).`);
  }
  return parseModel(bytes, path);
}

export function parseModel(bytes: Uint8Array, path: string): Model {
  let decoded;
  try {
    decoded = decodeModel(bytes);
  } catch (e) {
    if (e instanceof UnsupportedModelError) throw new UnsupportedModelError(`${path}: ${e.message}`);
    const why = e instanceof WireError ? `${e.message} (the file is truncated or not protobuf)` : (e as Error).message;
    throw new BadInputError(`${path}: not a readable ONNX model: ${why}. Re-export it with torch.onnx.export.`);
  }
  if (decoded.irVersion === 0 || decoded.graph.nodes.length === 0 || decoded.graph.outputs.length === 0)
    throw new BadInputError(
      `${path}: not an ONNX model (no IR version, nodes or outputs). Re-export it with torch.onnx.export.`,
    );
  const { functions, ...rest } = decoded;
  const model: Model = { ...rest, bytes, path };
  if (!model.opsetImports.has('')) model.opsetImports.set('', 1);
  // Local functions (dynamo exporter) are inlined: autodiff, probes and sessions see plain nodes and
  // scrub's encodings carry no functions; model.bytes, which graph/write.ts patches, stays as read.
  inlineFunctions(model.graph, model.opsetImports, functions, path);
  loadExternalData(model);
  checkTensorSizes(model);
  // Opsets 7 to 10 are read as opset 11 (graph/upgrade.ts), model.bytes again left as read.
  upgradeOpset(model);
  return model;
}

function loadExternalData(model: Model): void {
  const base = dirname(resolve(model.path));
  const files = new Map<string, Uint8Array>();
  for (const t of model.graph.initializers.values()) {
    if (t.location.kind !== 'external') continue;
    const loc = t.location;
    const full = resolve(base, loc.file);
    if (isAbsolute(loc.file) || !normalize(full).startsWith(base + sep))
      throw new BadInputError(
        `${model.path}: tensor ${t.name} points outside the model's folder (${loc.file}); refusing to read it.`,
      );
    let data = files.get(full);
    if (!data) {
      if (!existsSync(full))
        throw new BadInputError(
          `${model.path}: external data file ${loc.file} (tensor ${t.name}) is missing. Keep it beside the model.`,
        );
      data = new Uint8Array(readFileSync(full));
      files.set(full, data);
    }
    if (loc.offset + loc.length > data.length)
      throw new BadInputError(
        `${model.path}: external data file ${loc.file} is truncated ` +
          `(tensor ${t.name} needs bytes up to ${loc.offset + loc.length}, file has ${data.length}).`,
      );
    t.bytes = data.subarray(loc.offset, loc.offset + loc.length);
  }
}

function checkTensorSizes(model: Model): void {
  for (const t of model.graph.initializers.values()) checkTensor(model.path, t);
}

function checkTensor(path: string, t: Tensor): void {
  if (t.dataType === 8) return; // strings
  let size: number;
  try {
    size = elementBytes(t.dataType);
  } catch {
    return;
  }
  const want = numElements(t.dims) * size;
  if (t.bytes.length !== want)
    throw new BadInputError(
      `${path}: tensor ${t.name} holds ${t.bytes.length} bytes, its shape [${t.dims}] needs ${want}. ` +
        'The file is damaged; re-export it.',
    );
}

/**
 * The files that `model`'s initializers are read from (ONNX external data), each once, as paths beside
 * the model's path as given; [] for a model that keeps its weights inline. A command refuses to write its
 * outputs over them, as over the model file itself, and a record hashes them.
 */
export function externalDataPaths(model: Pick<Model, 'path' | 'graph'>): string[] {
  const files = new Set<string>();
  for (const t of model.graph.initializers.values())
    if (t.location.kind === 'external') files.add(join(dirname(model.path), t.location.file));
  return [...files];
}

/**
 * externalDataPaths of the model file at `path`, read from its graph without loading the data; [] where
 * the file is missing or is not a readable model (the command that loads it says why).
 */
export function externalDataPathsOf(path: string | undefined): string[] {
  if (!path || !existsSync(path) || statSync(path).isDirectory()) return [];
  try {
    return externalDataPaths({ path, graph: decodeModel(new Uint8Array(readFileSync(path))).graph });
  } catch {
    return [];
  }
}
