// ONNX protobuf → IR. Field numbers from onnx/onnx.proto (IR version 10).
import { Reader, WireType } from './wire.js';
import {
  DataType,
  elementBytes,
  type Attr,
  type Dim,
  type AttrRef,
  type Graph,
  type LocalFunction,
  type Node,
  type Tensor,
  type ValueInfo,
} from './ir.js';

export interface DecodedModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImports: Map<string, number>;
  graph: Graph;
  /** metadata_props: key/value pairs the exporter or the user attached. */
  metadata: Map<string, string>;
  /** ModelProto.functions: model-local functions, inlined on load (graph/functions.ts). */
  functions: LocalFunction[];
}

export function decodeModel(buf: Uint8Array): DecodedModel {
  const r = new Reader(buf);
  const out: DecodedModel = {
    irVersion: 0,
    producerName: '',
    producerVersion: '',
    opsetImports: new Map(),
    graph: emptyGraph(),
    metadata: new Map(),
    functions: [],
  };
  let sawGraph = false;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.Varint) out.irVersion = r.int();
    else if (field === 2 && wire === WireType.Bytes) out.producerName = r.string();
    else if (field === 3 && wire === WireType.Bytes) out.producerVersion = r.string();
    else if (field === 7 && wire === WireType.Bytes) {
      const [s, e] = r.span();
      out.graph = decodeGraph(buf, s, e);
      sawGraph = true;
    } else if (field === 8 && wire === WireType.Bytes) {
      decodeOpset(buf, ...r.span(), out.opsetImports);
    } else if (field === 25 && wire === WireType.Bytes) {
      out.functions.push(decodeFunction(buf, ...r.span()));
    } else if (field === 14 && wire === WireType.Bytes) {
      const [key, value] = decodeStringEntry(buf, ...r.span());
      out.metadata.set(key, value);
    } else r.skip(wire);
  }
  if (!sawGraph) throw new Error('no graph in the model');
  return out;
}

function decodeOpset(buf: Uint8Array, start: number, end: number, into: Map<string, number>): void {
  const sub = new Reader(buf, start, end);
  let domain = '';
  let version = 0;
  while (!sub.done()) {
    const t = sub.tag();
    if (t.field === 1 && t.wire === WireType.Bytes) domain = sub.string();
    else if (t.field === 2 && t.wire === WireType.Varint) version = sub.int();
    else sub.skip(t.wire);
  }
  into.set(domain === 'ai.onnx' ? '' : domain, version);
}

/** A FunctionProto (onnx.proto field numbers: 1 name, 4 input, 5 output, 6 attribute, 7 node,
 * 9 opset_import, 10 domain, 11 attribute_proto, 13 overload). */
function decodeFunction(buf: Uint8Array, start: number, end: number): LocalFunction {
  const f: LocalFunction = {
    name: '',
    domain: '',
    overload: '',
    inputs: [],
    outputs: [],
    attributes: [],
    attrDefaults: {},
    nodes: [],
    opsetImports: new Map(),
  };
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (wire !== WireType.Bytes) {
      r.skip(wire);
      continue;
    }
    if (field === 1) f.name = r.string();
    else if (field === 4) f.inputs.push(r.string());
    else if (field === 5) f.outputs.push(r.string());
    else if (field === 6) f.attributes.push(r.string());
    else if (field === 7) f.nodes.push(decodeNode(buf, ...r.span()));
    else if (field === 9) decodeOpset(buf, ...r.span(), f.opsetImports);
    else if (field === 10) {
      const d = r.string();
      f.domain = d === 'ai.onnx' ? '' : d;
    } else if (field === 11) {
      const { name, attr } = decodeAttr(buf, ...r.span());
      f.attrDefaults[name] = attr;
    } else if (field === 13) f.overload = r.string();
    else r.skip(wire);
  }
  return f;
}

function emptyGraph(): Graph {
  return { name: '', nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: new Map() };
}

function decodeGraph(buf: Uint8Array, start: number, end: number): Graph {
  const g = emptyGraph();
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (wire !== WireType.Bytes) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.span();
    switch (field) {
      case 1:
        g.nodes.push(decodeNode(buf, s, e));
        break;
      case 2:
        g.name = new TextDecoder().decode(buf.subarray(s, e));
        break;
      case 5: {
        const t = decodeTensor(buf, s, e);
        g.initializers.set(t.name, t);
        break;
      }
      case 11:
        g.inputs.push(decodeValueInfo(buf, s, e));
        break;
      case 12:
        g.outputs.push(decodeValueInfo(buf, s, e));
        break;
      case 13: {
        const v = decodeValueInfo(buf, s, e);
        g.valueInfo.set(v.name, v);
        break;
      }
      default:
        break;
    }
  }
  return g;
}

function decodeNode(buf: Uint8Array, start: number, end: number): Node {
  const n: Node = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: {} };
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (wire !== WireType.Bytes) {
      r.skip(wire);
      continue;
    }
    if (field === 1) n.inputs.push(r.string());
    else if (field === 2) n.outputs.push(r.string());
    else if (field === 3) n.name = r.string();
    else if (field === 4) n.opType = r.string();
    else if (field === 8) n.overload = r.string();
    else if (field === 7) {
      const d = r.string();
      n.domain = d === 'ai.onnx' ? '' : d;
    } else if (field === 5) {
      const [s, e] = r.span();
      const { name, attr, ref } = decodeAttr(buf, s, e);
      if (ref) (n.refAttrs ??= {})[name] = ref;
      else n.attrs[name] = attr;
    } else r.skip(wire);
  }
  return n;
}

function decodeAttr(buf: Uint8Array, start: number, end: number): { name: string; attr: Attr; ref?: AttrRef } {
  const r = new Reader(buf, start, end);
  let name = '';
  let refName = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  let t: Tensor | undefined;
  let g: Graph | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  while (!r.done()) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        name = r.string();
        break;
      case 20:
        type = r.int();
        break;
      case 2:
        f = r.float32();
        break;
      case 3:
        i = r.int();
        break;
      case 4:
        s = r.string();
        break;
      case 5: {
        const [a, b] = r.span();
        t = decodeTensor(buf, a, b);
        break;
      }
      case 6: {
        const [a, b] = r.span();
        g = decodeGraph(buf, a, b);
        break;
      }
      case 7:
        r.floats(tag.wire, floats);
        break;
      case 8:
        r.ints(tag.wire, ints);
        break;
      case 9:
        strings.push(r.string());
        break;
      case 21:
        refName = r.string();
        break;
      default:
        r.skip(tag.wire);
    }
  }
  // Inside a function body: the value is the calling node's attribute `refName` (graph/functions.ts).
  if (refName) return { name, attr: { type: 'string', s: '' }, ref: { ref: refName, type } };
  switch (type) {
    case 1:
      return { name, attr: { type: 'float', f } };
    case 2:
      return { name, attr: { type: 'int', i } };
    case 3:
      return { name, attr: { type: 'string', s } };
    case 4:
      if (!t) throw new Error(`attribute ${name}: tensor missing`);
      return { name, attr: { type: 'tensor', t } };
    case 5:
      if (!g) throw new Error(`attribute ${name}: graph missing`);
      return { name, attr: { type: 'graph', g } };
    case 6:
      return { name, attr: { type: 'floats', floats } };
    case 7:
      return { name, attr: { type: 'ints', ints } };
    case 8:
      return { name, attr: { type: 'strings', strings } };
    default:
      // Unknown or unsupported attribute kinds (sparse tensors, type protos) are kept as strings
      // so that the model still loads; no rule reads them.
      return { name, attr: { type: 'string', s: '' } };
  }
}

export function decodeTensor(buf: Uint8Array, start: number, end: number): Tensor {
  const r = new Reader(buf, start, end);
  const t: Tensor = { name: '', dataType: 0, dims: [], bytes: new Uint8Array(0), location: { kind: 'typed' } };
  const nums: number[] = [];
  let bigints: bigint[] | undefined;
  let packedFloat: [number, number] | undefined;
  const external: Record<string, string> = {};
  let dataLocation = 0;
  let raw: [number, number] | undefined;
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.ints(wire, t.dims);
        break;
      case 2:
        t.dataType = r.int();
        break;
      case 8:
        t.name = r.string();
        break;
      case 9:
        raw = r.span();
        break;
      case 4:
        if (wire === WireType.Bytes) {
          const sp = r.span();
          packedFloat = sp;
          const sub = new Reader(buf, sp[0], sp[1]);
          while (!sub.done()) nums.push(sub.float32());
        } else r.floats(wire, nums);
        break;
      case 5: // int32_data (also carries bool, int8/16, uint8/16, float16 bits)
        r.ints(wire, nums);
        break;
      case 7: // int64_data
        bigints ??= [];
        if (wire === WireType.Bytes) {
          const [s, e] = r.span();
          const sub = new Reader(buf, s, e);
          while (!sub.done()) bigints.push(BigInt.asIntN(64, sub.varint()));
        } else bigints.push(BigInt.asIntN(64, r.varint()));
        break;
      case 10: // double_data
        if (wire === WireType.Bytes) {
          const [s, e] = r.span();
          const dv = new DataView(buf.buffer, buf.byteOffset + s, e - s);
          for (let o = 0; o + 8 <= e - s; o += 8) nums.push(dv.getFloat64(o, true));
        } else {
          r.skip(wire);
        }
        break;
      case 13: {
        const [key, value] = decodeStringEntry(buf, ...r.span());
        external[key] = value;
        break;
      }
      case 14:
        dataLocation = r.int();
        break;
      default:
        r.skip(wire);
    }
  }
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (dataLocation === 1) {
    const offset = Number(external.offset ?? 0);
    const length = external.length !== undefined ? Number(external.length) : count * elementBytes(t.dataType);
    t.location = { kind: 'external', file: external.location ?? '', offset, length };
  } else if (raw) {
    t.bytes = buf.subarray(raw[0], raw[1]);
    t.location = { kind: 'raw', offset: raw[0], length: raw[1] - raw[0] };
  } else if (t.dataType !== DataType.STRING) {
    t.bytes = typedToBytes(t.dataType, nums, bigints, count);
    if (packedFloat && t.dataType === DataType.FLOAT)
      t.location = { kind: 'float_data', offset: packedFloat[0], length: packedFloat[1] - packedFloat[0] };
  }
  return t;
}

/** A StringStringEntryProto: [key, value]. */
export function decodeStringEntry(buf: Uint8Array, start: number, end: number): [string, string] {
  const r = new Reader(buf, start, end);
  let key = '';
  let value = '';
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1) key = r.string();
    else if (t.field === 2) value = r.string();
    else r.skip(t.wire);
  }
  return [key, value];
}

function typedToBytes(dataType: number, nums: number[], bigints: bigint[] | undefined, count: number): Uint8Array {
  const size = elementBytes(dataType);
  const out = new Uint8Array(count * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    switch (dataType) {
      case DataType.FLOAT:
        dv.setFloat32(i * 4, nums[i] ?? 0, true);
        break;
      case DataType.DOUBLE:
        dv.setFloat64(i * 8, nums[i] ?? 0, true);
        break;
      case DataType.INT64:
        dv.setBigInt64(i * 8, bigints?.[i] ?? 0n, true);
        break;
      case DataType.UINT64:
        dv.setBigUint64(i * 8, BigInt.asUintN(64, bigints?.[i] ?? 0n), true);
        break;
      case DataType.INT32:
      case DataType.UINT32:
        dv.setInt32(i * 4, nums[i] ?? 0, true);
        break;
      case DataType.INT16:
      case DataType.UINT16:
      case DataType.FLOAT16:
      case DataType.BFLOAT16:
        dv.setUint16(i * 2, (nums[i] ?? 0) & 0xffff, true);
        break;
      default:
        dv.setUint8(i, (nums[i] ?? 0) & 0xff);
    }
  }
  return out;
}

function decodeValueInfo(buf: Uint8Array, start: number, end: number): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, shape: null };
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.Bytes) v.name = r.string();
    else if (field === 2 && wire === WireType.Bytes) {
      const [s, e] = r.span();
      const tr = new Reader(buf, s, e);
      while (!tr.done()) {
        const t = tr.tag();
        if (t.field === 1 && t.wire === WireType.Bytes) {
          const [a, b] = tr.span();
          decodeTensorType(buf, a, b, v);
        } else tr.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return v;
}

function decodeTensorType(buf: Uint8Array, start: number, end: number, v: ValueInfo): void {
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.Varint) v.elemType = r.int();
    else if (field === 2 && wire === WireType.Bytes) {
      const [s, e] = r.span();
      const shape: Dim[] = [];
      const sr = new Reader(buf, s, e);
      while (!sr.done()) {
        const t = sr.tag();
        if (t.field === 1 && t.wire === WireType.Bytes) {
          const [a, b] = sr.span();
          const dr = new Reader(buf, a, b);
          let dim: Dim = null;
          while (!dr.done()) {
            const dt = dr.tag();
            if (dt.field === 1 && dt.wire === WireType.Varint) dim = dr.int();
            else if (dt.field === 2 && dt.wire === WireType.Bytes) dim = dr.string();
            else dr.skip(dt.wire);
          }
          shape.push(dim);
        } else sr.skip(t.wire);
      }
      v.shape = shape;
    } else r.skip(wire);
  }
}
