// Layout, resampling and normalisation rules: Tile, DepthToSpace/SpaceToDepth, Resize, Einsum,
// InstanceNormalization, GroupNormalization, LpNormalization. Central-difference checks per form and
// attribute variant; Resize's interpolation matrices are first checked against ONNX Runtime's forward;
// end to end, the GroupNorm and Einsum models of the missing-op-rules field case: field.missing-ops.test.ts.
import { describe, expect, it } from 'vitest';
import { gradCheck, type CaseInput, type OpCase } from './support/gradcheck.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType, type Graph, type Tensor, type ValueInfo } from '../src/graph/ir.js';
import { interpolationMatrix, resizeScales, type ResizeMode } from '../src/autodiff/rules/resize.js';
import { Session } from '../src/runtime/session.js';
import { ScrubError } from '../src/core/errors.js';

const f = (shape: number[], more: Partial<CaseInput> = {}): CaseInput => ({ shape, ...more });
const dyn = (shape: number[]): CaseInput => ({ shape, dynamic: true });
const i64 = (values: number[], constant = true): CaseInput => ({
  shape: [values.length],
  type: 'int64',
  values,
  constant,
});
const floats = (values: number[]): CaseInput => ({ shape: [values.length], values, constant: true });

// ---------------------------------------------------------------------------------------------------------
// Resize: each case is both a forward check (the rule's matrices against ONNX Runtime) and a gradient check.

interface ResizeCase {
  name: string;
  opset: number;
  x: number[];
  dynamic?: boolean;
  mode?: string;
  ctm?: string;
  nearestMode?: string;
  scales?: number[];
  sizes?: number[];
  axes?: number[];
  /** roi present as an empty constant (as PyTorch exports it), which opset 11 requires. */
  roi?: boolean;
}

const resizeCases: ResizeCase[] = [
  // opset 11: roi and scales always present
  {
    name: 'nearest asymmetric floor x2 (PyTorch nearest)',
    opset: 11,
    x: [2, 2, 3, 4],
    mode: 'nearest',
    ctm: 'asymmetric',
    nearestMode: 'floor',
    scales: [1, 1, 2, 2],
    roi: true,
  },
  {
    name: 'linear pytorch_half_pixel x2 (bilinear, align_corners=False)',
    opset: 11,
    x: [1, 2, 3, 4],
    mode: 'linear',
    ctm: 'pytorch_half_pixel',
    scales: [1, 1, 2, 2],
    roi: true,
  },
  {
    name: 'linear half_pixel, sizes',
    opset: 11,
    x: [2, 2, 3, 4],
    mode: 'linear',
    ctm: 'half_pixel',
    scales: [],
    sizes: [2, 2, 5, 7],
    roi: true,
  },
  {
    name: 'linear align_corners x1.5/x2, dynamic batch (bilinear, align_corners=True)',
    opset: 11,
    x: [2, 3, 4, 3],
    dynamic: true,
    mode: 'linear',
    ctm: 'align_corners',
    scales: [1, 1, 1.5, 2],
    roi: true,
  },
  {
    name: 'nearest tf_half_pixel_for_nn round_prefer_floor',
    opset: 11,
    x: [1, 2, 3, 4],
    mode: 'nearest',
    ctm: 'tf_half_pixel_for_nn',
    scales: [1, 1, 2, 1.5],
    roi: true,
  },
  {
    name: 'nearest tf_half_pixel_for_nn ceil, a scale of 1',
    opset: 11,
    x: [1, 2, 3, 4],
    mode: 'nearest',
    ctm: 'tf_half_pixel_for_nn',
    nearestMode: 'ceil',
    scales: [1, 1, 2, 1],
    roi: true,
  },
  // opset 13: roi and scales optional
  {
    name: 'nearest asymmetric floor, dynamic batch',
    opset: 13,
    x: [2, 3, 2, 3],
    dynamic: true,
    mode: 'nearest',
    ctm: 'asymmetric',
    nearestMode: 'floor',
    scales: [1, 1, 3, 2],
    roi: true,
  },
  {
    name: 'nearest (defaults: half_pixel, round_prefer_floor) x1.5',
    opset: 13,
    x: [1, 2, 4, 4],
    scales: [1, 1, 1.5, 1.5],
  },
  {
    name: 'nearest half_pixel round_prefer_ceil, sizes',
    opset: 13,
    x: [1, 2, 3, 5],
    mode: 'nearest',
    nearestMode: 'round_prefer_ceil',
    sizes: [1, 2, 7, 4],
  },
  {
    name: 'nearest align_corners ceil',
    opset: 13,
    x: [1, 2, 3, 4],
    mode: 'nearest',
    ctm: 'align_corners',
    nearestMode: 'ceil',
    scales: [1, 1, 2, 2],
  },
  {
    name: 'nearest asymmetric floor, downscale',
    opset: 13,
    x: [1, 2, 6, 8],
    mode: 'nearest',
    ctm: 'asymmetric',
    nearestMode: 'floor',
    scales: [1, 1, 0.5, 0.5],
  },
  {
    name: 'linear half_pixel downscale x0.5',
    opset: 13,
    x: [2, 2, 6, 8],
    mode: 'linear',
    ctm: 'half_pixel',
    scales: [1, 1, 0.5, 0.5],
  },
  {
    name: 'linear pytorch_half_pixel, sizes with an output of 1',
    opset: 13,
    x: [1, 2, 4, 3],
    mode: 'linear',
    ctm: 'pytorch_half_pixel',
    sizes: [1, 2, 1, 5],
  },
  {
    name: 'linear asymmetric x2, dynamic batch',
    opset: 13,
    x: [2, 2, 3, 3],
    dynamic: true,
    mode: 'linear',
    ctm: 'asymmetric',
    scales: [1, 1, 2, 2],
  },
  {
    name: 'linear 2-D input align_corners',
    opset: 13,
    x: [3, 4],
    mode: 'linear',
    ctm: 'align_corners',
    scales: [2, 2],
  },
  {
    name: 'nearest 3-D input asymmetric floor (PyTorch 1-D nearest)',
    opset: 13,
    x: [2, 3, 5],
    dynamic: true,
    mode: 'nearest',
    ctm: 'asymmetric',
    nearestMode: 'floor',
    scales: [1, 1, 2],
  },
  {
    name: 'nearest pytorch_half_pixel round_prefer_floor x3',
    opset: 13,
    x: [2, 1, 2, 3],
    mode: 'nearest',
    ctm: 'pytorch_half_pixel',
    scales: [1, 1, 3, 3],
  },
  {
    name: 'linear 3-D input half_pixel (PyTorch 1-D linear)',
    opset: 13,
    x: [2, 3, 4],
    dynamic: true,
    mode: 'linear',
    ctm: 'half_pixel',
    scales: [1, 1, 2.5],
  },
  {
    name: 'linear half_pixel, a scale of 1 on H',
    opset: 13,
    x: [1, 2, 3, 4],
    mode: 'linear',
    ctm: 'align_corners',
    sizes: [1, 2, 3, 6],
  },
  // opset 18: axes
  {
    name: 'linear align_corners, axes [2, 3]',
    opset: 18,
    x: [1, 2, 3, 4],
    mode: 'linear',
    ctm: 'align_corners',
    scales: [2, 1.5],
    axes: [2, 3],
  },
  {
    name: 'nearest asymmetric floor, sizes on axes [-1], dynamic batch',
    opset: 18,
    x: [2, 2, 3, 4],
    dynamic: true,
    mode: 'nearest',
    ctm: 'asymmetric',
    nearestMode: 'floor',
    sizes: [9],
    axes: [-1],
  },
  {
    name: 'linear pytorch_half_pixel x2, roi',
    opset: 18,
    x: [1, 2, 3, 4],
    mode: 'linear',
    ctm: 'pytorch_half_pixel',
    scales: [1, 1, 2, 2],
    roi: true,
  },
  // opset 19: half_pixel_symmetric
  {
    name: 'linear half_pixel_symmetric x1.7',
    opset: 19,
    x: [1, 2, 3, 4],
    mode: 'linear',
    ctm: 'half_pixel_symmetric',
    scales: [1, 1, 1.7, 1.7],
  },
  {
    name: 'nearest half_pixel_symmetric, sizes',
    opset: 19,
    x: [1, 2, 3, 4],
    mode: 'nearest',
    ctm: 'half_pixel_symmetric',
    sizes: [1, 2, 5, 6],
  },
  {
    name: 'linear half_pixel x2, dynamic batch',
    opset: 19,
    x: [2, 2, 3, 3],
    dynamic: true,
    mode: 'linear',
    ctm: 'half_pixel',
    scales: [1, 1, 2, 2],
  },
];

function resizeAttrs(c: ResizeCase): Record<string, string | number[]> {
  const a: Record<string, string | number[]> = {};
  if (c.mode) a.mode = c.mode;
  if (c.ctm) a.coordinate_transformation_mode = c.ctm;
  if (c.nearestMode) a.nearest_mode = c.nearestMode;
  if (c.axes) a.axes = c.axes;
  return a;
}

function resizeInputs(c: ResizeCase): (CaseInput | null)[] {
  const x: CaseInput = { shape: c.x, dynamic: c.dynamic };
  const roi = c.roi || c.opset < 13 ? floats([]) : null;
  const scales = c.scales ? floats(c.scales) : c.opset < 13 ? floats([]) : null;
  return c.sizes ? [x, roi, scales, i64(c.sizes)] : [x, roi, scales];
}

const resizeOpCase = (c: ResizeCase): OpCase => ({
  name: `Resize-${c.opset} ${c.name}`,
  op: 'Resize',
  opset: c.opset,
  attrs: resizeAttrs(c),
  inputs: resizeInputs(c),
});

/** Runs a one-node Resize model on x in ONNX Runtime. */
async function ortResize(c: ResizeCase, x: Float32Array): Promise<{ data: Float32Array; dims: number[] }> {
  const inputs = resizeInputs(c);
  const names = inputs.map((inp, i) => (inp ? `x${i}` : ''));
  const initializers = new Map<string, Tensor>();
  inputs.forEach((inp, i) => {
    if (!inp || i === 0) return;
    const data = inp.type === 'int64' ? BigInt64Array.from(inp.values!.map(BigInt)) : Float32Array.from(inp.values!);
    initializers.set(names[i], {
      name: names[i],
      dataType: inp.type === 'int64' ? DataType.INT64 : DataType.FLOAT,
      dims: inp.shape,
      bytes: new Uint8Array(data.buffer),
      location: { kind: 'typed' },
    });
  });
  const attrs = Object.fromEntries(
    Object.entries(resizeAttrs(c)).map(([k, v]) => [
      k,
      typeof v === 'string' ? { type: 'string' as const, s: v } : { type: 'ints' as const, ints: v },
    ]),
  );
  const xin: ValueInfo = { name: 'x0', elemType: DataType.FLOAT, shape: c.x };
  const graph: Graph = {
    name: 'resize',
    nodes: [{ name: 'resize', opType: 'Resize', domain: '', inputs: names, outputs: ['y'], attrs }],
    inputs: [xin],
    outputs: [{ name: 'y', elemType: 0, shape: null }],
    initializers,
    valueInfo: new Map(),
  };
  const session = await Session.create(encodeModel({ opsetImports: new Map([['', c.opset]]), graph }), {
    threads: 1,
  });
  try {
    const out = await session.run({ x0: { data: x, dims: c.x } });
    return { data: out.y.data as Float32Array, dims: out.y.dims as number[] };
  } finally {
    await session.release();
  }
}

/** Applies [out, in] matrix m along axis a of a row-major tensor. */
function alongAxis(data: Float64Array, dims: number[], a: number, m: number[], out: number): Float64Array {
  const n = dims[a];
  const outer = dims.slice(0, a).reduce((p, q) => p * q, 1);
  const inner = dims.slice(a + 1).reduce((p, q) => p * q, 1);
  const res = new Float64Array(outer * out * inner);
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < out; r++)
      for (let k = 0; k < n; k++) {
        const w = m[r * n + k];
        if (w === 0) continue;
        for (let i = 0; i < inner; i++) res[(o * out + r) * inner + i] += w * data[(o * n + k) * inner + i];
      }
  return res;
}

describe('Resize interpolation matrices reproduce ONNX Runtime', () => {
  it.each(resizeCases)('Resize-$opset $name', async (c) => {
    const numel = c.x.reduce((p, q) => p * q, 1);
    const x = Float32Array.from({ length: numel }, (_, i) => Math.sin(i * 1.37) * 3 + (i % 5));
    const y = await ortResize(c, x);
    const m: ResizeMode = {
      mode: c.mode ?? 'nearest',
      ctm: c.ctm ?? 'half_pixel',
      nearestMode: c.nearestMode ?? 'round_prefer_floor',
    };
    const perAxis = resizeScales(c.x, c.scales?.length ? c.scales : undefined, c.sizes, c.axes);
    let data = Float64Array.from(x);
    const dims = [...c.x];
    for (let a = 0; a < dims.length; a++) {
      const out = y.dims[a];
      data = alongAxis(data, dims, a, interpolationMatrix(m, dims[a], out, perAxis[a]), out);
      dims[a] = out;
    }
    expect(dims).toEqual(y.dims);
    if (m.mode === 'nearest') expect(Array.from(y.data)).toEqual(Array.from(Float32Array.from(data)));
    else for (let i = 0; i < data.length; i++) expect(Math.abs(y.data[i] - data[i])).toBeLessThan(1e-5);
  });
});

// ---------------------------------------------------------------------------------------------------------

const cases: OpCase[] = [
  // Tile-6: repeats as an input
  { name: 'Tile-6 [2,3] x [2,3]', op: 'Tile', opset: 6, inputs: [f([2, 3]), i64([2, 3])] },
  { name: 'Tile-13 [2,3,4] x [1,2,1], dynamic batch', op: 'Tile', opset: 13, inputs: [dyn([2, 3, 4]), i64([1, 2, 1])] },
  { name: 'Tile-13 batch axis tiled, dynamic batch', op: 'Tile', opset: 13, inputs: [dyn([2, 3]), i64([3, 2])] },
  { name: 'Tile-13 all repeats 1', op: 'Tile', opset: 13, inputs: [f([2, 3]), i64([1, 1])] },
  { name: 'Tile-13 4-D [1,2,1,3]', op: 'Tile', opset: 13, inputs: [f([2, 1, 3, 2]), i64([1, 2, 1, 3])] },

  // DepthToSpace-1 (DCR only), -11/13 (mode); SpaceToDepth-1
  { name: 'DepthToSpace-6 (DCR)', op: 'DepthToSpace', opset: 6, attrs: { blocksize: 2 }, inputs: [f([2, 8, 2, 3])] },
  {
    name: 'DepthToSpace-11 default mode (DCR), dynamic batch',
    op: 'DepthToSpace',
    opset: 11,
    attrs: { blocksize: 2 },
    inputs: [dyn([2, 8, 3, 2])],
  },
  {
    name: 'DepthToSpace-13 DCR blocksize 3',
    op: 'DepthToSpace',
    opset: 13,
    attrs: { blocksize: 3, mode: 'DCR' },
    inputs: [f([1, 18, 2, 2])],
  },
  {
    name: 'DepthToSpace-11 CRD (pixel_shuffle)',
    op: 'DepthToSpace',
    opset: 11,
    attrs: { blocksize: 2, mode: 'CRD' },
    inputs: [f([2, 8, 2, 3])],
  },
  {
    name: 'DepthToSpace-13 CRD, dynamic batch',
    op: 'DepthToSpace',
    opset: 13,
    attrs: { blocksize: 2, mode: 'CRD' },
    inputs: [dyn([2, 12, 3, 2])],
  },
  { name: 'SpaceToDepth-6', op: 'SpaceToDepth', opset: 6, attrs: { blocksize: 2 }, inputs: [f([2, 3, 4, 6])] },
  {
    name: 'SpaceToDepth-13 blocksize 3, dynamic batch',
    op: 'SpaceToDepth',
    opset: 13,
    attrs: { blocksize: 3 },
    inputs: [dyn([2, 2, 6, 3])],
  },

  // Resize-11/13/18/19
  ...resizeCases.map(resizeOpCase),

  // Einsum-12
  {
    name: 'Einsum bij,bjk->bik, dynamic batch',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'bij,bjk->bik' },
    inputs: [dyn([2, 3, 4]), dyn([2, 4, 5])],
  },
  {
    name: 'Einsum bhqd,bhkd->bhqk (attention scores)',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'bhqd,bhkd->bhqk' },
    inputs: [f([2, 2, 3, 4]), f([2, 2, 5, 4])],
  },
  {
    name: 'Einsum bhqk,bhkd->bhqd, spaces, dynamic batch',
    op: 'Einsum',
    opset: 13,
    attrs: { equation: 'bhqk, bhkd -> bhqd' },
    inputs: [dyn([2, 2, 3, 5]), dyn([2, 2, 5, 4])],
  },
  {
    name: 'Einsum ...ij,...jk->...ik',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: '...ij,...jk->...ik' },
    inputs: [f([2, 3, 4]), f([2, 4, 5])],
  },
  {
    // ONNX Runtime runs ellipses of one rank only (it fails or crashes on [3, 4] with [2, 4, 5])
    name: 'Einsum ...ij,...jk->...ik, broadcast size-1 ellipsis',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: '...ij,...jk->...ik' },
    inputs: [f([1, 3, 4]), f([2, 4, 5])],
  },
  {
    name: 'Einsum ...ij,...jk->...ik, size-1 ellipsis dim, dynamic batch',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: '...ij,...jk->...ik' },
    inputs: [dyn([2, 3, 3, 4]), f([1, 3, 4, 2])],
  },
  {
    name: 'Einsum bn,anm,bm->ba (bilinear)',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'bn,anm,bm->ba' },
    inputs: [f([2, 3]), f([4, 3, 5]), f([2, 5])],
  },
  {
    name: 'Einsum bn,anm,bm->ba, dynamic batch',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'bn,anm,bm->ba' },
    inputs: [dyn([2, 3]), f([4, 3, 5]), dyn([2, 5])],
  },
  { name: 'Einsum ij->ji', op: 'Einsum', opset: 12, attrs: { equation: 'ij->ji' }, inputs: [f([3, 4])] },
  { name: 'Einsum i,j->ij (outer)', op: 'Einsum', opset: 12, attrs: { equation: 'i,j->ij' }, inputs: [f([3]), f([4])] },
  { name: 'Einsum ij->i (row sums)', op: 'Einsum', opset: 12, attrs: { equation: 'ij->i' }, inputs: [f([3, 4])] },
  {
    name: 'Einsum bij->bj, dynamic batch',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'bij->bj' },
    inputs: [dyn([2, 3, 4])],
  },
  { name: 'Einsum ij-> (total)', op: 'Einsum', opset: 12, attrs: { equation: 'ij->' }, inputs: [f([3, 4])] },
  {
    name: 'Einsum ij,jk (implicit output)',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'ij,jk' },
    inputs: [f([3, 4]), f([4, 2])],
  },
  {
    name: 'Einsum ij,kj->i (summed letter only in one operand)',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'ij,k->i' },
    inputs: [f([3, 4]), f([5])],
  },
  {
    name: 'Einsum b...d,b...d->b... (ellipsis in the middle)',
    op: 'Einsum',
    opset: 12,
    attrs: { equation: 'b...d,b...d->b...' },
    inputs: [f([2, 3, 4]), f([2, 3, 4])],
  },

  // InstanceNormalization-6
  {
    name: 'InstanceNorm 4-D, opset 11',
    op: 'InstanceNormalization',
    opset: 11,
    inputs: [f([2, 3, 4, 5]), f([3]), f([3])],
  },
  {
    name: 'InstanceNorm-17 3-D, epsilon, dynamic batch',
    op: 'InstanceNormalization',
    opset: 17,
    attrs: { epsilon: 1e-3 },
    inputs: [dyn([3, 2, 6]), f([2]), f([2])],
  },
  {
    name: 'InstanceNorm-13 constant scale and B',
    op: 'InstanceNormalization',
    opset: 13,
    inputs: [f([2, 3, 3, 3]), f([3], { constant: true }), f([3], { constant: true })],
  },

  // GroupNormalization-18: scale and bias per group
  {
    name: 'GroupNorm-18 scale per group',
    op: 'GroupNormalization',
    opset: 18,
    attrs: { num_groups: 3 },
    inputs: [f([2, 6, 3, 4]), f([3]), f([3])],
  },
  {
    name: 'GroupNorm-18 3-D, epsilon, dynamic batch',
    op: 'GroupNormalization',
    opset: 18,
    attrs: { num_groups: 2, epsilon: 1e-3 },
    inputs: [dyn([3, 4, 5]), f([2]), f([2])],
  },
  // GroupNormalization-21: scale and bias per channel
  {
    name: 'GroupNorm-21 scale per channel',
    op: 'GroupNormalization',
    opset: 21,
    attrs: { num_groups: 2 },
    inputs: [f([2, 6, 3, 4]), f([6]), f([6])],
  },
  {
    name: 'GroupNorm-21 3-D, stash_type 1, epsilon, dynamic batch',
    op: 'GroupNormalization',
    opset: 21,
    attrs: { num_groups: 3, epsilon: 1e-3, stash_type: 1 },
    inputs: [dyn([3, 6, 5]), f([6]), f([6])],
  },
  {
    name: 'GroupNorm-21 one group per channel',
    op: 'GroupNormalization',
    opset: 21,
    attrs: { num_groups: 4 },
    inputs: [f([2, 4, 3, 3]), f([4]), f([4])],
  },

  // LpNormalization-1
  { name: 'LpNorm defaults (p 2, axis -1)', op: 'LpNormalization', opset: 13, inputs: [f([3, 5])] },
  {
    name: 'LpNorm p 2 axis 1, opset 11',
    op: 'LpNormalization',
    opset: 11,
    attrs: { p: 2, axis: 1 },
    inputs: [f([2, 4, 3])],
  },
  {
    name: 'LpNorm p 1 axis 1',
    op: 'LpNormalization',
    opset: 13,
    attrs: { p: 1, axis: 1 },
    inputs: [f([2, 4, 3], { init: 'awayFromZero' })],
  },
  {
    name: 'LpNorm p 1 axis -1, dynamic batch',
    op: 'LpNormalization',
    opset: 17,
    attrs: { p: 1 },
    inputs: [{ shape: [3, 5], dynamic: true, init: 'awayFromZero' }],
  },
  {
    name: 'LpNorm p 2 axis 0, dynamic batch',
    op: 'LpNormalization',
    opset: 17,
    attrs: { p: 2, axis: 0 },
    inputs: [dyn([4, 3])],
  },
];

describe('layout, resampling and normalisation gradient rules', () => {
  it.each(cases)('$name', async (c) => {
    const results = await gradCheck(c);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.relErr, `input ${r.input}: analytic ${r.analytic} vs numeric ${r.numeric}`).toBeLessThan(c.tol ?? 1e-2);
  });
});

// ---------------------------------------------------------------------------------------------------------

const refusals: [OpCase, RegExp][] = [
  [
    { name: 'Tile run-time repeats', op: 'Tile', opset: 13, inputs: [f([2, 3]), i64([1, 1], false)] },
    /Tile node .*constant repeats/,
  ],
  [
    {
      name: 'Resize cubic',
      op: 'Resize',
      opset: 13,
      attrs: { mode: 'cubic' },
      inputs: [f([1, 1, 3, 3]), null, floats([1, 1, 2, 2])],
    },
    /Resize node .*mode 'cubic'/,
  ],
  [
    {
      name: 'Resize antialias',
      op: 'Resize',
      opset: 18,
      attrs: { mode: 'linear', antialias: 1 },
      inputs: [f([1, 1, 6, 6]), null, floats([1, 1, 0.5, 0.5])],
    },
    /Resize node .*antialias/,
  ],
  [
    {
      name: 'Resize tf_crop_and_resize',
      op: 'Resize',
      opset: 13,
      attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' },
      inputs: [f([1, 1, 3, 3]), floats([0, 0, 0, 0, 1, 1, 1, 1]), floats([1, 1, 2, 2])],
    },
    /Resize node .*coordinate_transformation_mode 'tf_crop_and_resize'/,
  ],
  [
    {
      name: 'Resize keep_aspect_ratio_policy',
      op: 'Resize',
      opset: 18,
      attrs: { mode: 'nearest', keep_aspect_ratio_policy: 'not_larger' },
      inputs: [f([1, 1, 3, 4]), null, null, i64([1, 1, 6, 6])],
    },
    /Resize node .*keep_aspect_ratio_policy 'not_larger'/,
  ],
  [
    {
      name: 'Resize-13 tf_half_pixel_for_nn',
      op: 'Resize',
      opset: 13,
      attrs: { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn' },
      inputs: [f([1, 1, 3, 3]), null, floats([1, 1, 2, 2])],
    },
    /Resize node .*coordinate_transformation_mode 'tf_half_pixel_for_nn' is not supported at opset 13/,
  ],
  [
    {
      name: 'Resize-18 half_pixel_symmetric',
      op: 'Resize',
      opset: 18,
      attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' },
      inputs: [f([1, 1, 3, 3]), null, floats([1, 1, 2, 2])],
    },
    /Resize node .*coordinate_transformation_mode 'half_pixel_symmetric' is not supported at opset 18/,
  ],
  [
    {
      name: 'Resize of the channel axis',
      op: 'Resize',
      opset: 13,
      attrs: { mode: 'nearest' },
      inputs: [f([1, 2, 3, 3]), null, floats([1, 2, 1, 1])],
    },
    /Resize node .*last two axes; axis 1/,
  ],
  [
    {
      name: 'Resize of a run-time axis',
      op: 'Resize',
      opset: 13,
      attrs: { mode: 'nearest' },
      inputs: [dyn([2, 3]), null, floats([2, 2])],
    },
    /Resize node .*static sizes on resized axes; axis 0/,
  ],
  [
    { name: 'Einsum diagonal', op: 'Einsum', opset: 12, attrs: { equation: 'ii->i' }, inputs: [f([3, 3])] },
    /Einsum node .*'ii->i' with a letter repeated in one operand/,
  ],
];

describe('layout and resampling refusals', () => {
  it.each(refusals.map(([c, why]) => ({ name: c.name, c, why })))('$name is refused', async ({ c, why }) => {
    const e = await gradCheck(c).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ScrubError);
    expect((e as Error).message).toMatch(why);
  });
});
