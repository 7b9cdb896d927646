// IR → ONNX protobuf, for the models scrub builds itself (gradient artifacts, probes, tests).
import { Writer } from './wire.js';
import type { Attr, Graph, LocalFunction, Node, Tensor, ValueInfo } from './ir.js';

export interface ModelSpec {
  irVersion?: number;
  producerName?: string;
  opsetImports: Map<string, number>;
  graph: Graph;
  /** Model-local functions (ModelProto.functions); scrub's own encodings leave them out (they are inlined). */
  functions?: LocalFunction[];
}

export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion ?? 8);
  w.string(2, m.producerName ?? 'scrub');
  w.message(7, (g) => writeGraph(g, m.graph));
  writeOpsets(w, m.opsetImports);
  for (const f of m.functions ?? []) w.message(25, (fw) => writeFunction(fw, f));
  return w.finish();
}

function writeOpsets(w: Writer, opsets: Map<string, number>): void {
  for (const [domain, version] of opsets) {
    w.message(8, (o) => {
      if (domain) o.string(1, domain);
      o.int(2, version);
    });
  }
}

function writeFunction(w: Writer, f: LocalFunction): void {
  w.string(1, f.name);
  for (const i of f.inputs) w.string(4, i);
  for (const o of f.outputs) w.string(5, o);
  for (const a of f.attributes) w.string(6, a);
  for (const n of f.nodes) w.message(7, (nw) => writeNode(nw, n));
  // FunctionProto.opset_import is field 9, not ModelProto's 8.
  for (const [domain, version] of f.opsetImports)
    w.message(9, (o) => {
      if (domain) o.string(1, domain);
      o.int(2, version);
    });
  if (f.domain) w.string(10, f.domain);
  for (const [name, a] of Object.entries(f.attrDefaults)) w.message(11, (aw) => writeAttr(aw, name, a));
  if (f.overload) w.string(13, f.overload);
}

function writeGraph(w: Writer, g: Graph): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name || 'graph');
  for (const t of g.initializers.values()) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
  for (const v of g.valueInfo.values()) w.message(13, (vw) => writeValueInfo(vw, v));
}

function writeNode(w: Writer, n: Node): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attrs)) w.message(5, (aw) => writeAttr(aw, name, a));
  for (const [name, r] of Object.entries(n.refAttrs ?? {}))
    w.message(5, (aw) => {
      aw.string(1, name);
      aw.int(20, r.type);
      aw.string(21, r.ref);
    });
  if (n.domain) w.string(7, n.domain);
  if (n.overload) w.string(8, n.overload);
}

function writeAttr(w: Writer, name: string, a: Attr): void {
  w.string(1, name);
  switch (a.type) {
    case 'float':
      w.float(2, a.f);
      w.int(20, 1);
      break;
    case 'int':
      w.int(3, a.i);
      w.int(20, 2);
      break;
    case 'string':
      w.string(4, a.s);
      w.int(20, 3);
      break;
    case 'tensor':
      w.message(5, (tw) => writeTensor(tw, a.t));
      w.int(20, 4);
      break;
    case 'graph':
      w.message(6, (gw) => writeGraph(gw, a.g));
      w.int(20, 5);
      break;
    case 'floats':
      w.packedFloats(7, a.floats);
      w.int(20, 6);
      break;
    case 'ints':
      w.packedInts(8, a.ints);
      w.int(20, 7);
      break;
    case 'strings':
      for (const s of a.strings) w.string(9, s);
      w.int(20, 8);
      break;
  }
}

export function writeTensor(w: Writer, t: Tensor): void {
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  if (t.location.kind !== 'external') {
    w.bytes(9, t.bytes);
    return;
  }
  const entries: [string, string][] = [
    ['location', t.location.file],
    ['offset', String(t.location.offset)],
    ['length', String(t.location.length)],
  ];
  for (const [key, value] of entries)
    w.message(13, (e) => {
      e.string(1, key);
      e.string(2, value);
    });
  w.int(14, 1);
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  if (!v.elemType) return;
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.int(1, v.elemType);
      if (v.shape)
        tt.message(2, (sw) => {
          for (const d of v.shape!)
            sw.message(1, (dw) => {
              if (typeof d === 'number') dw.int(1, d);
              else if (typeof d === 'string') dw.string(2, d);
            });
        });
    }),
  );
}
