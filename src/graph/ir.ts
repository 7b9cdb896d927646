// The in-memory form of an ONNX model that scrub works on.
import { UnsupportedModelError } from '../core/errors.js';

export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

export const DTYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

const ELEMENT_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

export function elementBytes(dataType: number): number {
  const b = ELEMENT_BYTES[dataType];
  if (b === undefined)
    throw new UnsupportedModelError(
      `tensor data type ${DTYPE_NAMES[dataType] ?? dataType} is not one scrub reads (float, integer, bool); ` +
        're-export without it.',
    );
  return b;
}

export function isFloatType(dataType: number): boolean {
  return (
    dataType === DataType.FLOAT ||
    dataType === DataType.DOUBLE ||
    dataType === DataType.FLOAT16 ||
    dataType === DataType.BFLOAT16
  );
}

/** Where a tensor's bytes live, so that a writer can patch exactly those bytes. */
export type TensorLocation =
  | { kind: 'raw'; offset: number; length: number } // raw_data inside the model file
  | { kind: 'float_data'; offset: number; length: number } // packed float_data inside the model file
  | { kind: 'external'; file: string; offset: number; length: number } // external data file (relative path)
  | { kind: 'typed' }; // int32_data/int64_data/double_data etc.: read only

export interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian element bytes (raw_data or converted typed fields). */
  bytes: Uint8Array;
  location: TensorLocation;
}

export type Attr =
  | { type: 'float'; f: number }
  | { type: 'int'; i: number }
  | { type: 'string'; s: string }
  | { type: 'tensor'; t: Tensor }
  | { type: 'graph'; g: Graph }
  | { type: 'floats'; floats: number[] }
  | { type: 'ints'; ints: number[] }
  | { type: 'strings'; strings: string[] };

export interface Node {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  /** NodeProto.overload: which overload of a local function the node calls. */
  overload?: string;
  /** Attributes of a function body's node that take the calling node's attribute `ref` (ref_attr_name). */
  refAttrs?: Record<string, AttrRef>;
}

/** An attribute reference inside a function body: the caller's attribute `ref`, of AttributeProto type `type`. */
export interface AttrRef {
  ref: string;
  type: number;
}

/** A model-local function (ModelProto.functions, FunctionProto). */
export interface LocalFunction {
  name: string;
  domain: string; // '' is the default ONNX domain
  overload: string;
  inputs: string[];
  outputs: string[];
  /** Attribute names without defaults (FunctionProto.attribute). */
  attributes: string[];
  /** Attributes with defaults (FunctionProto.attribute_proto). */
  attrDefaults: Record<string, Attr>;
  nodes: Node[];
  opsetImports: Map<string, number>;
}

/** A dimension: a size, a symbolic name, or unknown (null). */
import type { Dim } from '../core/tensor.js';
export type { Dim } from '../core/tensor.js';

export interface ValueInfo {
  name: string;
  elemType: number; // 0 when unknown
  shape: Dim[] | null; // null when the rank is unknown
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  valueInfo: Map<string, ValueInfo>;
}

export interface Model {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImports: Map<string, number>; // '' is the default ONNX domain
  graph: Graph;
  /** metadata_props of the model file. */
  metadata: Map<string, string>;
  /** The model file as read (for byte-exact writes). */
  bytes: Uint8Array;
  /** Where the model was read from; external data paths are relative to its directory. */
  path: string;
  /** The file's default-domain opset where the graph was upgraded on load (graph/upgrade.ts). */
  upgradedFrom?: number;
}

export function numElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function tensorToFloat32(t: Tensor): Float32Array {
  const n = numElements(t.dims);
  if (t.dataType === DataType.FLOAT) {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(t.bytes.subarray(0, n * 4));
    return out;
  }
  if (t.dataType === DataType.DOUBLE) {
    const src = new Float64Array(n);
    new Uint8Array(src.buffer).set(t.bytes.subarray(0, n * 8));
    return Float32Array.from(src);
  }
  throw new UnsupportedModelError(
    `tensor ${t.name} is ${DTYPE_NAMES[t.dataType]}; scrub edits float32 and float64 parameters. ` +
      'Export the model in float32.',
  );
}

export function tensorToNumbers(t: Tensor): number[] {
  const n = numElements(t.dims);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.INT64:
        out.push(Number(dv.getBigInt64(i * 8, true)));
        break;
      case DataType.INT32:
        out.push(dv.getInt32(i * 4, true));
        break;
      case DataType.FLOAT:
        out.push(dv.getFloat32(i * 4, true));
        break;
      case DataType.DOUBLE:
        out.push(dv.getFloat64(i * 8, true));
        break;
      case DataType.BOOL:
      case DataType.UINT8:
        out.push(dv.getUint8(i));
        break;
      case DataType.INT8:
        out.push(dv.getInt8(i));
        break;
      default:
        throw new UnsupportedModelError(`tensor ${t.name}: cannot read ${DTYPE_NAMES[t.dataType]} values`);
    }
  }
  return out;
}

export function attrInt(node: Node, name: string, fallback: number): number {
  const a = node.attrs[name];
  return a && a.type === 'int' ? a.i : fallback;
}

export function attrFloat(node: Node, name: string, fallback: number): number {
  const a = node.attrs[name];
  return a && a.type === 'float' ? a.f : fallback;
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const a = node.attrs[name];
  return a && a.type === 'ints' ? a.ints : undefined;
}

export function attrString(node: Node, name: string, fallback: string): string {
  const a = node.attrs[name];
  return a && a.type === 'string' ? a.s : fallback;
}

/** The graph's initializers with external data carried inline, for models built from bytes. */
export function inlineInitializers(graph: Graph): Map<string, Tensor> {
  return new Map(
    [...graph.initializers].map(([k, t]) => [
      k,
      t.location.kind === 'external' ? { ...t, location: { kind: 'typed' } as const } : t,
    ]),
  );
}
