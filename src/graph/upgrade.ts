// Models at ONNX opsets 7 to 10 are read as opset 11, node by node, so that shape probing, the rule
// registry, gradient artifacts and every ONNX Runtime session built from the graph see one form of
// each op. Every default-domain op whose schema changed between the model's opset and 11 is in
// UPGRADES: the same meaning at 11 (most changes only added types, attributes whose defaults keep the
// old meaning, or negative axes), a rewrite into the opset-11 form (attributes that became inputs,
// Upsample and Scatter that were replaced), or a refusal. A changed op outside the table is refused
// by name, never assumed the same. Ops of other domains are left alone, and so is model.bytes (the
// file as read, which graph/write.ts patches): only the in-memory graph changes.
import { UnsupportedModelError } from '../core/errors.js';
import { DataType, DTYPE_NAMES, type Attr, type Graph, type Model, type Node, type Tensor } from './ir.js';

/** The oldest default-domain opset scrub reads (upgrading it to UPGRADED_OPSET). */
export const OLDEST_OPSET = 7;
/** The opset models from OLDEST_OPSET up are upgraded to on load. */
export const UPGRADED_OPSET = 11;

export const CONVERT = 'convert the model with onnx.version_converter.convert_version(model, 13) and try again';

/**
 * The since_versions up to 11 of every default-domain op with a version in 8..11 (onnx 1.12's
 * onnx.defs.get_all_schemas_with_history()). An op absent here means the same from opset 7 to 11.
 */
const VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Acosh: [9],
  ArgMax: [1, 11],
  ArgMin: [1, 11],
  Asinh: [9],
  Atanh: [9],
  AveragePool: [1, 7, 10, 11],
  BatchNormalization: [1, 6, 7, 9],
  BitShift: [11],
  Cast: [1, 6, 9],
  Clip: [1, 6, 11],
  Compress: [9, 11],
  Concat: [1, 4, 11],
  ConcatFromSequence: [11],
  Constant: [1, 9, 11],
  ConstantOfShape: [9],
  Conv: [1, 11],
  ConvInteger: [10],
  ConvTranspose: [1, 11],
  Cosh: [9],
  CumSum: [11],
  DepthToSpace: [1, 11],
  DequantizeLinear: [10],
  Det: [11],
  Dropout: [1, 6, 7, 10],
  DynamicQuantizeLinear: [11],
  Equal: [1, 7, 11],
  Erf: [9],
  Expand: [8],
  EyeLike: [9],
  Flatten: [1, 9, 11],
  Gather: [1, 11],
  GatherElements: [11],
  GatherND: [11],
  Gemm: [1, 6, 7, 9, 11],
  Greater: [1, 7, 9],
  Hardmax: [1, 11],
  If: [1, 11],
  IsInf: [10],
  IsNaN: [9],
  Less: [1, 7, 9],
  LogSoftmax: [1, 11],
  Loop: [1, 11],
  LpPool: [1, 2, 11],
  MatMul: [1, 9],
  MatMulInteger: [10],
  Max: [1, 6, 8],
  MaxPool: [1, 8, 10, 11],
  MaxUnpool: [9, 11],
  Mean: [1, 6, 8],
  MeanVarianceNormalization: [9],
  Min: [1, 6, 8],
  Mod: [10],
  NonMaxSuppression: [10, 11],
  NonZero: [9],
  OneHot: [9, 11],
  PRelu: [1, 6, 7, 9],
  Pad: [1, 2, 11],
  QLinearConv: [10],
  QLinearMatMul: [10],
  QuantizeLinear: [10],
  Range: [11],
  ReduceL1: [1, 11],
  ReduceL2: [1, 11],
  ReduceLogSum: [1, 11],
  ReduceLogSumExp: [1, 11],
  ReduceMax: [1, 11],
  ReduceMean: [1, 11],
  ReduceMin: [1, 11],
  ReduceProd: [1, 11],
  ReduceSum: [1, 11],
  ReduceSumSquare: [1, 11],
  Resize: [10, 11],
  ReverseSequence: [10],
  RoiAlign: [10],
  Round: [11],
  Scan: [8, 9, 11],
  Scatter: [9, 11],
  ScatterElements: [11],
  ScatterND: [11],
  SequenceAt: [11],
  SequenceConstruct: [11],
  SequenceEmpty: [11],
  SequenceErase: [11],
  SequenceInsert: [11],
  SequenceLength: [11],
  Shrink: [9],
  Sign: [9],
  Sinh: [9],
  Slice: [1, 10, 11],
  Softmax: [1, 11],
  Split: [1, 2, 11],
  SplitToSequence: [11],
  Squeeze: [1, 11],
  StringNormalizer: [10],
  Sum: [1, 6, 8],
  TfIdfVectorizer: [9],
  ThresholdedRelu: [10],
  TopK: [1, 10, 11],
  Unique: [11],
  Unsqueeze: [1, 11],
  Upsample: [1, 7, 9, 10],
  Where: [9],
};

/** Ops deprecated by opset 11 whose last version is still the one in force there: rewritten all the same. */
const DEPRECATED = new Set(['Upsample']);

/** The version of default-domain `op` in force at `opset` (undefined: not an op of that opset). */
export function opVersion(op: string, opset: number): number | undefined {
  const vs = VERSIONS[op];
  if (!vs) return opset >= OLDEST_OPSET ? 1 : undefined; // unchanged from 7 to 11: its version does not matter
  let v: number | undefined;
  for (const x of vs) if (x <= opset) v = x;
  return v;
}

/** Every `Op-version` form in force at opsets 7 to 10 that is not its op's opset-11 form: UPGRADES' keys. */
export function changedForms(): string[] {
  const out = new Set<string>();
  for (const op of Object.keys(VERSIONS))
    for (let n = OLDEST_OPSET; n < UPGRADED_OPSET; n++) {
      const from = opVersion(op, n);
      if (from !== undefined && (from !== opVersion(op, UPGRADED_OPSET) || DEPRECATED.has(op)))
        out.add(`${op}-${from}`);
    }
  return [...out].sort();
}

/** What the upgrade does to one op form (`Op-version`). */
export type Upgrade =
  | { kind: 'same'; why: string }
  | { kind: 'rewrite'; why: string; apply: (n: Node, cx: Context) => Node[] }
  | { kind: 'refuse'; why: string; advice?: string };

const same = (why: string): Upgrade => ({ kind: 'same', why });
const NEG_AXIS = 'opset 11 only adds negative axes';
const TYPES = 'later versions only add types';
const UPSAMPLE =
  'deprecated for Resize: with constant scales ≥ 1, nearest is Resize asymmetric/floor and linear ' +
  'Resize asymmetric linear; otherwise refused';

/** Every op form that differs from its opset-11 version, for a model at opset 7 to 10. */
export const UPGRADES: Readonly<Record<string, Upgrade>> = {
  'ArgMax-1': same(NEG_AXIS),
  'ArgMin-1': same(NEG_AXIS),
  'AveragePool-7': same('10 adds ceil_mode (default 0, the old floor); 11 rewords SAME padding, computed alike'),
  'AveragePool-10': same('11 rewords auto_pad SAME (output = ceil(input / stride)) as runtimes computed it'),
  'BatchNormalization-7': {
    kind: 'rewrite',
    why: 'spatial=1 (the default) is opset 9 form without the attribute; spatial=0 is refused',
    apply: (n, cx) => {
      const spatial = n.attrs.spatial;
      if (spatial && spatial.type === 'int' && spatial.i !== 1)
        return cx.refuse(
          n,
          `has spatial=${spatial.i} (statistics per element, not per channel), which opset 9 removed`,
          're-export it with per-channel BatchNormalization (spatial=1), or at opset 9 or newer',
        );
      const attrs = { ...n.attrs };
      delete attrs.spatial;
      return [{ ...n, attrs }];
    },
  },
  'Cast-6': same('9 adds string types'),
  'Clip-6': {
    kind: 'rewrite',
    why: 'min and max attributes become scalar inputs (absent: the float limits, as at 6)',
    apply: (n, cx) => {
      const double = cx.elemType(n.inputs[0]) === DataType.DOUBLE;
      const bound = (name: 'min' | 'max'): string => {
        const a = n.attrs[name];
        const set = a && a.type === 'float';
        // at 6 an unset bound is ∓FLT_MAX, at 11 the type's limit: the same for float32
        if (!set && !double) return '';
        const v = set ? a.f : (name === 'min' ? -1 : 1) * 3.4028234663852886e38;
        return cx.constant(n, name, floatTensor(cx.floatType(n.inputs[0], n), [], [v]));
      };
      const min = bound('min');
      const max = bound('max');
      const inputs = max ? [n.inputs[0], min, max] : min ? [n.inputs[0], min] : [n.inputs[0]];
      return [...cx.take(), { ...n, inputs, attrs: {} }];
    },
  },
  'Compress-9': same(NEG_AXIS),
  'Concat-4': same(NEG_AXIS),
  'Constant-1': same('9 adds types, 11 sparse_value'),
  'Constant-9': same('11 adds sparse_value'),
  'Conv-1': same('11 rewords auto_pad SAME (output = ceil(input / stride)) and the defaults, computed alike'),
  'ConvTranspose-1': {
    kind: 'rewrite',
    why: 'the same without auto_pad SAME_* or output_shape; with them 11 moved the odd padding: refused',
    apply: (n, cx) => {
      const pad = n.attrs.auto_pad;
      if ((pad && pad.type === 'string' && pad.s.startsWith('SAME')) || n.attrs.output_shape)
        return cx.refuse(
          n,
          'computes its padding from auto_pad SAME_* or output_shape, which opset 11 splits the other way round',
        );
      return [n];
    },
  },
  'DepthToSpace-1': same('11 adds mode, whose default DCR is the old order'),
  'Dropout-7': {
    kind: 'rewrite',
    why: 'the same with its mask unused (dropped); a used mask turns bool at 10: refused',
    apply: (n, cx) => {
      const mask = n.outputs[1];
      if (!mask) return [{ ...n, outputs: n.outputs.slice(0, 1) }];
      if (cx.used(mask)) return cx.refuse(n, `has its mask ${mask} used, which opset 10 made bool`);
      cx.graph.valueInfo.delete(mask);
      return [{ ...n, outputs: n.outputs.slice(0, 1) }];
    },
  },
  'Equal-7': same('11 adds types'),
  'Flatten-1': same('9 adds types, 11 negative axes'),
  'Flatten-9': same(NEG_AXIS),
  'Gather-1': same('11 adds negative indices and axes (out of range before)'),
  'Gemm-7': same('9 adds types, 11 makes C optional'),
  'Gemm-9': same('11 makes C optional'),
  'Greater-7': same(TYPES),
  'Hardmax-1': same(NEG_AXIS),
  'If-1': same('11 lets the branches differ in shape'),
  'Less-7': same(TYPES),
  'LogSoftmax-1': same(NEG_AXIS),
  'Loop-1': same('11 rewords the loop-carried values, with the same semantics'),
  'LpPool-2': same('11 rewords auto_pad SAME and the stride default, computed alike'),
  'MatMul-1': same(TYPES),
  'Max-6': same('8 adds broadcasting (equal shapes before)'),
  'MaxPool-1': same('8 adds storage_order and Indices, 10 ceil_mode and dilations; defaults keep the meaning'),
  'MaxPool-8': same('10 adds ceil_mode and dilations, whose defaults keep the meaning'),
  'MaxPool-10': same('11 rewords auto_pad SAME and the defaults, computed alike'),
  'MaxUnpool-9': same('11 rewords the stride default'),
  'Mean-6': same('8 adds broadcasting (equal shapes before)'),
  'Min-6': same('8 adds broadcasting (equal shapes before)'),
  'NonMaxSuppression-10': same('11 keeps its inputs, attributes and types'),
  'OneHot-9': {
    kind: 'refuse',
    why: 'counts negative indices from the back at opset 11, where opset 9 gave an all-off row',
  },
  'PRelu-7': same(TYPES),
  'Pad-2': {
    kind: 'rewrite',
    why: 'pads and value attributes become the pads and constant_value inputs',
    apply: (n, cx) => {
      const pads = n.attrs.pads;
      if (!pads || pads.type !== 'ints') return cx.refuse(n, 'has no pads attribute');
      const mode = n.attrs.mode;
      const value = n.attrs.value;
      const inputs = [n.inputs[0], cx.constant(n, 'pads', int64Tensor([pads.ints.length], pads.ints))];
      const constantMode = !mode || (mode.type === 'string' && mode.s === 'constant');
      if (constantMode && value && value.type === 'float' && value.f !== 0)
        inputs.push(cx.constant(n, 'value', floatTensor(cx.floatType(n.inputs[0], n), [], [value.f])));
      return [...cx.take(), { ...n, inputs, attrs: mode ? { mode } : {} }];
    },
  },
  'ReduceL1-1': same(NEG_AXIS),
  'ReduceL2-1': same(NEG_AXIS),
  'ReduceLogSum-1': same(NEG_AXIS),
  'ReduceLogSumExp-1': same(NEG_AXIS),
  'ReduceMax-1': same(NEG_AXIS),
  'ReduceMean-1': same(NEG_AXIS),
  'ReduceMin-1': same(NEG_AXIS),
  'ReduceProd-1': same(NEG_AXIS),
  'ReduceSum-1': same(NEG_AXIS),
  'ReduceSumSquare-1': same(NEG_AXIS),
  'Resize-10': {
    kind: 'refuse',
    why: "maps coordinates otherwise than opset 11's Resize (asymmetric, not half_pixel)",
  },
  'Scan-8': { kind: 'refuse', why: 'has the batched form (sequence_lens) that opset 9 replaced' },
  'Scan-9': same(NEG_AXIS),
  'Scatter-9': {
    kind: 'rewrite',
    why: 'deprecated at 11 for ScatterElements, the same op under a new name',
    apply: (n) => [{ ...n, opType: 'ScatterElements' }],
  },
  'Slice-1': {
    kind: 'rewrite',
    why: 'starts, ends and axes attributes become int64 inputs',
    apply: (n, cx) => {
      const starts = n.attrs.starts;
      const ends = n.attrs.ends;
      const axes = n.attrs.axes;
      if (!starts || starts.type !== 'ints' || !ends || ends.type !== 'ints')
        return cx.refuse(n, 'has no starts or ends');
      const vec = (name: string, v: number[]) => cx.constant(n, name, int64Tensor([v.length], v));
      const inputs = [n.inputs[0], vec('starts', starts.ints), vec('ends', ends.ints)];
      if (axes && axes.type === 'ints') inputs.push(vec('axes', axes.ints));
      return [...cx.take(), { ...n, inputs, attrs: {} }];
    },
  },
  'Slice-10': same(NEG_AXIS),
  'Softmax-1': same(NEG_AXIS),
  'Split-2': same(NEG_AXIS),
  'Squeeze-1': same(NEG_AXIS),
  'Sum-6': same('8 adds broadcasting (equal shapes before)'),
  'TopK-1': {
    kind: 'rewrite',
    why: 'the k attribute becomes the int64 input K [1]',
    apply: (n, cx) => {
      const k = n.attrs.k;
      if (!k || k.type !== 'int') return cx.refuse(n, 'has no k');
      const attrs = { ...n.attrs };
      delete attrs.k;
      const K = cx.constant(n, 'K', int64Tensor([1], [k.i]));
      return [...cx.take(), { ...n, inputs: [n.inputs[0], K], attrs }];
    },
  },
  'TopK-10': same('11 adds largest and sorted (defaults 1, the old meaning) and negative axes'),
  'Unsqueeze-1': same(NEG_AXIS),
  'Upsample-7': { kind: 'rewrite', why: UPSAMPLE, apply: (n, cx) => upsample(n, cx) },
  'Upsample-9': { kind: 'rewrite', why: UPSAMPLE, apply: (n, cx) => upsample(n, cx) },
  'Upsample-10': { kind: 'rewrite', why: UPSAMPLE, apply: (n, cx) => upsample(n, cx) },
};

/** Upsample (scales an attribute at 7, an input from 9) as the Resize-11 that computes the same. */
function upsample(n: Node, cx: Context): Node[] {
  const modeAttr = n.attrs.mode;
  const mode = modeAttr && modeAttr.type === 'string' ? modeAttr.s : 'nearest';
  if (mode !== 'nearest' && mode !== 'linear')
    return cx.refuse(n, `has mode '${mode}', which Resize does not compute the same way`);
  let scales: number[] | undefined;
  let scalesName: string;
  if (cx.opset < 9) {
    const a = n.attrs.scales;
    if (!a || a.type !== 'floats') return cx.refuse(n, 'has no scales');
    scales = a.floats;
    scalesName = cx.constant(n, 'scales', floatTensor(DataType.FLOAT, [scales.length], scales));
  } else {
    scalesName = n.inputs[1];
    scales = cx.constantValues(scalesName);
    if (!scales) return cx.refuse(n, 'has scales computed at run time, where Resize may pick other pixels');
  }
  if (scales.some((s) => !(s >= 1)))
    return cx.refuse(n, `has a scale below 1 ([${scales.join(', ')}]), where Resize may pick other pixels`);
  const roi = cx.constant(n, 'roi', floatTensor(DataType.FLOAT, [0], []));
  const attrs: Record<string, Attr> = {
    mode: { type: 'string', s: mode },
    coordinate_transformation_mode: { type: 'string', s: 'asymmetric' },
  };
  if (mode === 'nearest') attrs.nearest_mode = { type: 'string', s: 'floor' };
  return [...cx.take(), { ...n, opType: 'Resize', inputs: [n.inputs[0], roi, scalesName], attrs }];
}

/** What a rewrite may ask of the graph it works in. */
export interface Context {
  readonly opset: number;
  readonly graph: Graph;
  /** Throws the one-line refusal for node `n`. */
  refuse(n: Node, why: string, advice?: string): never;
  /** A fresh Constant node holding `t` (kept until take()); returns its output's name. */
  constant(n: Node, label: string, t: Omit<Tensor, 'name' | 'location'>): string;
  /** The Constant nodes made since the last take(). */
  take(): Node[];
  /** The element type of `value` where the model declares it (0 where it does not). */
  elemType(value: string): number;
  /** The element type of float `value` (float32 where undeclared); refuses any but float32 and float64. */
  floatType(value: string, n: Node): number;
  /** Whether a node of the graph (or a subgraph) reads `value`, or it is a graph output. */
  used(value: string): boolean;
  /** The values of an initializer or a Constant node's output, if `value` is one. */
  constantValues(value: string): number[] | undefined;
}

/**
 * Upgrades a model at default-domain opset 7 to 10, in memory, to opset 11 (see above). Does nothing
 * at opset 11 or newer, or below 7 (refused where scrub builds its passes: refuseOldOpset). `table`
 * is UPGRADES but in tests.
 */
export function upgradeOpset(model: Model, table: Readonly<Record<string, Upgrade>> = UPGRADES): void {
  const opset = model.opsetImports.get('') ?? 1;
  if (opset < OLDEST_OPSET || opset >= UPGRADED_OPSET) return;
  const values = new Set<string>();
  const nodeNames = new Set<string>();
  collect(model.graph, values, nodeNames);
  const fresh = (taken: Set<string>, base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const refuse = (n: Node, why: string, advice = CONVERT): never => {
    throw new UnsupportedModelError(
      `${model.path}: node ${n.name || n.outputs[0]} (${n.opType}, opset ${opset}) ${why}; ${advice}.`,
    );
  };

  const upgradeGraph = (g: Graph, outer: readonly Graph[]): void => {
    const scopes = [g, ...outer];
    let pending: Node[] = [];
    const cx: Context = {
      opset,
      graph: g,
      refuse,
      constant(n, label, t) {
        const out = fresh(values, `${n.name || n.outputs[0]}/${label}`);
        const tensor: Tensor = { ...t, name: '', location: { kind: 'typed' } };
        pending.push({
          name: fresh(nodeNames, out),
          opType: 'Constant',
          domain: '',
          inputs: [],
          outputs: [out],
          attrs: { value: { type: 'tensor', t: tensor } },
        });
        return out;
      },
      take() {
        const out = pending;
        pending = [];
        return out;
      },
      elemType: (value) => elemTypeOf(scopes, value),
      floatType: (value, n) => {
        const t = elemTypeOf(scopes, value) || DataType.FLOAT;
        if (t !== DataType.FLOAT && t !== DataType.DOUBLE)
          refuse(n, `reads ${value} of type ${DTYPE_NAMES[t] ?? t}, for which scrub cannot write the opset-11 bound`);
        return t;
      },
      used: (value) => scopes.some((s) => s.outputs.some((o) => o.name === value)) || reads(model.graph, value),
      constantValues: (value) => constantValues(scopes, value),
    };
    const nodes: Node[] = [];
    for (const n0 of g.nodes) {
      const n = withSubgraphs(n0, (sub) => upgradeGraph(sub, scopes));
      if (n.domain !== '' && n.domain !== 'ai.onnx') {
        nodes.push(n);
        continue;
      }
      const from = opVersion(n.opType, opset);
      const to = opVersion(n.opType, UPGRADED_OPSET);
      if (from === undefined && to !== undefined)
        refuse(
          n,
          `is not an op of opset ${opset} (it came in at opset ${VERSIONS[n.opType][0]}): the model is not valid ONNX`,
        );
      if (from === to && !DEPRECATED.has(n.opType)) {
        nodes.push(n);
        continue;
      }
      const step = table[`${n.opType}-${from}`];
      if (!step) refuse(n, `changed meaning or form by opset ${UPGRADED_OPSET}, and scrub has no upgrade for it`);
      else if (step.kind === 'refuse') refuse(n, step.why, step.advice);
      else if (step.kind === 'same') nodes.push(n);
      else nodes.push(...step.apply(n, cx));
    }
    g.nodes = nodes;
  };
  upgradeGraph(model.graph, []);
  model.opsetImports.set('', UPGRADED_OPSET);
  model.upgradedFrom = opset;
}

/** `n` with each subgraph attribute upgraded in place. */
function withSubgraphs(n: Node, upgrade: (g: Graph) => void): Node {
  for (const a of Object.values(n.attrs)) if (a.type === 'graph') upgrade(a.g);
  return n;
}

function collect(g: Graph, values: Set<string>, nodeNames: Set<string>): void {
  for (const v of g.inputs) values.add(v.name);
  for (const k of g.initializers.keys()) values.add(k);
  for (const n of g.nodes) {
    nodeNames.add(n.name);
    for (const x of [...n.inputs, ...n.outputs]) values.add(x);
    for (const a of Object.values(n.attrs)) if (a.type === 'graph') collect(a.g, values, nodeNames);
  }
}

function reads(g: Graph, value: string): boolean {
  return g.nodes.some(
    (n) => n.inputs.includes(value) || Object.values(n.attrs).some((a) => a.type === 'graph' && reads(a.g, value)),
  );
}

function elemTypeOf(scopes: readonly Graph[], value: string): number {
  for (const g of scopes) {
    const init = g.initializers.get(value);
    if (init) return init.dataType;
    const info = g.inputs.find((v) => v.name === value) ?? g.valueInfo.get(value);
    if (info?.elemType) return info.elemType;
    const out = g.outputs.find((v) => v.name === value);
    if (out?.elemType) return out.elemType;
    const c = g.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === value)?.attrs.value;
    if (c && c.type === 'tensor') return c.t.dataType;
  }
  return 0;
}

function constantValues(scopes: readonly Graph[], value: string): number[] | undefined {
  for (const g of scopes) {
    const t =
      g.initializers.get(value) ??
      ((a) => (a && a.type === 'tensor' ? a.t : undefined))(
        g.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === value)?.attrs.value,
      );
    if (!t) continue;
    if (t.dataType === DataType.FLOAT) return [...new Float32Array(copy(t.bytes))];
    if (t.dataType === DataType.DOUBLE) return [...new Float64Array(copy(t.bytes))];
    return undefined;
  }
  return undefined;
}

const copy = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

function floatTensor(dataType: number, dims: number[], v: number[]): Omit<Tensor, 'name' | 'location'> {
  const data = dataType === DataType.DOUBLE ? Float64Array.from(v) : Float32Array.from(v);
  return { dataType, dims, bytes: new Uint8Array(data.buffer) };
}

const INT64_MAX = 2n ** 63n - 1n;

function int64Tensor(dims: number[], v: number[]): Omit<Tensor, 'name' | 'location'> {
  // attributes read as numbers: INT64_MAX (Slice's "to the end") rounds up to 2^63, clamped back
  const data = BigInt64Array.from(
    v.map((x) => (x >= 2 ** 63 ? INT64_MAX : x <= -(2 ** 63) ? -INT64_MAX - 1n : BigInt(x))),
  );
  return { dataType: DataType.INT64, dims, bytes: new Uint8Array(data.buffer) };
}
