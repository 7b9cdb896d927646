// Parameter discovery on small hand-built graphs: preprocessing constants, quantization parameters and
// PyTorch names that cannot be established (a MultiheadAttention's in_proj_weight, other producers).
import { describe, expect, it } from 'vitest';
import { DataType, type Model, type Node, type Tensor } from '../src/graph/ir.js';
import { discoverParameters, selectParameters, type ParameterList } from '../src/graph/params.js';

const tensor = (name: string, dims: number[], dataType: number = DataType.FLOAT): Tensor => ({
  name,
  dataType,
  dims,
  bytes: new Uint8Array(0),
  location: { kind: 'typed' },
});
const node = (opType: string, name: string, inputs: string[], outputs: string[]): Node => ({
  name,
  opType,
  domain: '',
  inputs,
  outputs,
  attrs: {},
});

function model(nodes: Node[], inits: Tensor[], producerName = 'pytorch'): Model {
  const out = nodes[nodes.length - 1].outputs[0];
  return {
    irVersion: 8,
    producerName,
    producerVersion: '1.13.1',
    opsetImports: new Map([['', 17]]),
    graph: {
      name: 'g',
      nodes,
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['b', 4] }],
      outputs: [{ name: out, elemType: DataType.FLOAT, shape: ['b', 4] }],
      initializers: new Map(inits.map((t) => [t.name, t])),
      valueInfo: new Map(),
    },
    metadata: new Map(),
    bytes: new Uint8Array(0),
    path: 'test.onnx',
  };
}

/** Everything reaches the output here: the path test is not what these tests are about. */
const discover = (m: Model): ParameterList => discoverParameters(m, (_g, candidates) => new Set(candidates));
const names = (ps: ParameterList) => ps.map((p) => [p.name, p.torchName ?? null, p.transposed]);

describe('PyTorch names that cannot be established are none', () => {
  const S = '/encoder/layers/encoder_layer_0/self_attention';
  const L = 'encoder.layers.encoder_layer_0';
  const mha = (inProjBias: string) =>
    model(
      [
        node(
          'LayerNormalization',
          `/encoder/layers/encoder_layer_0/ln_1/LayerNormalization`,
          ['x', `${L}.ln_1.weight`, `${L}.ln_1.bias`],
          ['h'],
        ),
        node('MatMul', `${S}/MatMul`, ['h', 'onnx::MatMul_10'], ['q']),
        node('Add', `${S}/Add`, ['q', inProjBias], ['q2']),
        node('MatMul', `${S}/MatMul_1`, ['q2', 'onnx::MatMul_12'], ['o']),
        node('Add', `${S}/Add_1`, ['o', `${L}.self_attention.out_proj.bias`], ['y']),
      ],
      [
        tensor(`${L}.ln_1.weight`, [4]),
        tensor(`${L}.ln_1.bias`, [4]),
        tensor('onnx::MatMul_10', [4, 4]),
        tensor(inProjBias, [4]),
        tensor('onnx::MatMul_12', [4, 4]),
        tensor(`${L}.self_attention.out_proj.bias`, [4]),
      ],
    );

  it('a MultiheadAttention: in_proj_weight slices and the out_proj weight have no name', () => {
    expect(names(discover(mha('onnx::Add_11')))).toEqual([
      [`${L}.ln_1.weight`, `${L}.ln_1.weight`, false],
      [`${L}.ln_1.bias`, `${L}.ln_1.bias`, false],
      ['onnx::MatMul_10', null, false],
      ['onnx::Add_11', null, false],
      ['onnx::MatMul_12', null, false],
      [`${L}.self_attention.out_proj.bias`, `${L}.self_attention.out_proj.bias`, false],
    ]);
    // in_proj_bias kept under its name does not make the module a Linear
    const kept = discover(mha(`${L}.self_attention.in_proj_bias`));
    expect(kept.find((p) => p.name === 'onnx::MatMul_10')?.torchName).toBeUndefined();
  });

  it('a Linear in a rooted scope, with or without its bias beside it', () => {
    const m = model(
      [
        node('MatMul', '/blocks/blocks.0/fc/MatMul', ['x', 'onnx::MatMul_3'], ['a']),
        node('Add', '/blocks/blocks.0/fc/Add', ['a', 'blocks.0.fc.bias'], ['b']),
        node('MatMul', '/blocks/blocks.0/proj/MatMul', ['b', 'onnx::MatMul_4'], ['y']),
      ],
      [tensor('onnx::MatMul_3', [4, 4]), tensor('blocks.0.fc.bias', [4]), tensor('onnx::MatMul_4', [4, 4])],
    );
    expect(names(discover(m))).toEqual([
      ['onnx::MatMul_3', 'blocks.0.fc.weight', true],
      ['blocks.0.fc.bias', 'blocks.0.fc.bias', false],
      ['onnx::MatMul_4', 'blocks.0.proj.weight', true],
    ]);
  });

  it('a truncated scope without a kept-name sibling has no name', () => {
    const m = model(
      [
        node('MatMul', '/block.3/MatMul', ['x', 'onnx::MatMul_3'], ['a']),
        node('Add', '/block.3_1/Add', ['a', 'features.1.0.block.3.bias'], ['y']),
      ],
      [tensor('onnx::MatMul_3', [4, 4]), tensor('features.1.0.block.3.bias', [4])],
    );
    expect(names(discover(m))[0]).toEqual(['onnx::MatMul_3', null, false]);
  });

  it('a model PyTorch did not export has no PyTorch names', () => {
    const m = model(
      [node('Gemm', 'dense/MatMul', ['x', 'dense.weight', 'Parameter5'], ['y'])],
      [tensor('dense.weight', [4, 4]), tensor('Parameter5', [4])],
      'tf2onnx',
    );
    expect(names(discover(m))).toEqual([
      ['dense.weight', null, false],
      ['Parameter5', null, false],
    ]);
  });
});

describe('preprocessing constants and quantization parameters', () => {
  it('a scale and shift of the input, through a transpose, is preprocessing; a weight after it is not', () => {
    const m = model(
      [
        node('Transpose', '/pre/Transpose', ['x'], ['t']),
        node('Mul', '/pre/Mul', ['t', 'scale'], ['s']),
        node('Add', '/pre/Add', ['shift', 's'], ['n']),
        node('Gemm', '/fc/Gemm', ['n', 'fc.weight', 'fc.bias'], ['h']),
        node('Add', '/Add', ['h', 'offset'], ['y']),
      ],
      [
        tensor('scale', [4]),
        tensor('shift', [4]),
        tensor('fc.weight', [4, 4]),
        tensor('fc.bias', [4]),
        tensor('offset', [4]),
      ],
    );
    const found = discover(m);
    expect(found.map((p) => p.name)).toEqual(['fc.weight', 'fc.bias', 'offset']);
    expect(found.constants?.map((c) => [c.name, c.kind])).toEqual([
      ['scale', 'preprocessing'],
      ['shift', 'preprocessing'],
    ]);
    expect(selectParameters(found, 'scale|fc.weight', 'test.onnx').map((p) => p.name)).toEqual(['fc.weight', 'scale']);
  });

  it('a constant also used after a weighted op is a parameter', () => {
    const m = model(
      [
        node('Sub', '/Sub', ['x', 'c'], ['a']),
        node('Gemm', '/fc/Gemm', ['a', 'fc.weight'], ['h']),
        node('Add', '/Add', ['h', 'c'], ['y']),
      ],
      [tensor('c', [4]), tensor('fc.weight', [4, 4])],
    );
    const found = discover(m);
    expect(found.map((p) => p.name)).toEqual(['c', 'fc.weight']);
    expect(found.constants).toEqual([]);
  });

  it('scales of QuantizeLinear, DequantizeLinear and QLinear ops are quantization parameters', () => {
    const m = model(
      [
        node('QuantizeLinear', 'q', ['x', 'x_scale', 'x_zp'], ['xq']),
        node('QLinearMatMul', 'mm', ['xq', 'x_scale', 'x_zp', 'w_q', 'w_scale', 'w_zp', 'y_scale', 'y_zp'], ['yq']),
        node('DequantizeLinear', 'dq', ['yq', 'y_scale', 'y_zp'], ['y']),
      ],
      [
        tensor('x_scale', []),
        tensor('x_zp', [], DataType.UINT8),
        tensor('w_q', [4, 4], DataType.INT8),
        tensor('w_scale', [4]),
        tensor('w_zp', [4], DataType.INT8),
        tensor('y_scale', []),
        tensor('y_zp', [], DataType.UINT8),
      ],
      'onnx.quantize',
    );
    const found = discover(m);
    expect(found).toEqual([]);
    expect(found.constants?.map((c) => [c.name, c.kind])).toEqual([
      ['x_scale', 'quantization'],
      ['w_scale', 'quantization'],
      ['y_scale', 'quantization'],
    ]);
  });
});
