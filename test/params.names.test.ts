// Parameter discovery and PyTorch names against the oracles of ../shared/zoo and
// ../shared/field/input-normalization-buffers (copied into test/fixtures/zoo and test/fixtures/field).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { selectParameters } from '../src/graph/params.js';
import { loadModel } from '../src/graph/load.js';
import { findParameters } from '../src/runtime/gradient.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { inspectModel } from '../src/context/inspect.js';
import type { ParameterList } from '../src/graph/params.js';
import { FIXTURES, hasShared, oracle, SHARED } from './support/fixtures.js';

const ZOO = [
  'convnext',
  'densenet',
  'efficientnet_b0',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'shufflenet_v2',
  'swin',
  'text_cnn',
  'text_lstm',
];

const CASES = [
  ...ZOO.map((m) => ({ id: `zoo/${m}`, model: `${FIXTURES}/zoo/${m}.onnx`, oracle: `${FIXTURES}/zoo/${m}.grad` })),
  ...['mlp', 'cnn', 'vit'].map((m) => ({
    id: `fixtures/${m}`,
    model: `${FIXTURES}/models/${m}.onnx`,
    oracle: `${FIXTURES}/oracle/grad/${m}`,
  })),
  {
    id: 'field/input-normalization-buffers',
    model: `${FIXTURES}/field/input-normalization-buffers/resnet_norm.onnx`,
    oracle: `${FIXTURES}/field/input-normalization-buffers/expected`,
  },
];

/** The field cases beside the checkout (../shared/field); read there, skipped when absent. */
const FIELD = fileURLToPath(new URL('../../shared/field', import.meta.url));
const fieldCases: { model: string; expected: string; outcome: string }[] = existsSync(`${FIELD}/cases.json`)
  ? (JSON.parse(readFileSync(`${FIELD}/cases.json`, 'utf8')) as typeof fieldCases)
  : [];
const RESNET18 = hasShared
  ? [{ id: 'fixtures/resnet18', model: `${SHARED}/models/resnet18.onnx`, oracle: `${FIXTURES}/oracle/grad/resnet18` }]
  : [];
const SHARED_CASES = fieldCases
  .filter((c) => c.outcome === 'gradient' && !c.model.startsWith('input-normalization-buffers/'))
  .filter((c) => existsSync(`${FIELD}/${c.model}`) && existsSync(`${FIELD}/${c.expected}/summary.json`))
  .map((c) => ({ id: `field/${c.model}`, model: `${FIELD}/${c.model}`, oracle: `${FIELD}/${c.expected}` }));
if (SHARED_CASES.length === 0) console.log('../shared/field absent: its other cases are not checked here.');

const row = (p: { name: string; torchName?: string | null; transposed: boolean; shape: number[] }) => ({
  name: p.name,
  torchName: p.torchName ?? null,
  transposed: p.transposed,
  shape: p.shape,
});

describe.each([...CASES, ...RESNET18, ...SHARED_CASES])(
  'parameters and PyTorch names: $id',
  ({ model, oracle: dir }) => {
    it('match the oracle', async () => {
      expect(existsSync(model), model).toBe(true);
      const m = loadModel(model);
      const found = findParameters(m, await probeShapes(m));
      const want = oracle(dir).parameters.map(row);
      const sort = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      expect(found.map(row).sort(sort)).toEqual(want.sort(sort));
    }, 60_000);
  },
);

const NORM = `${FIXTURES}/field/input-normalization-buffers/resnet_norm.onnx`;
const QDQ = `${FIXTURES}/field/quantized-qdq/model_qdq.onnx`;

async function discover(path: string): Promise<ParameterList> {
  const m = loadModel(path);
  return findParameters(m, await probeShapes(m));
}

describe('constants that are not parameters', () => {
  it('input normalisation buffers are preprocessing constants, listed apart and selectable by name', async () => {
    const params = await discover(NORM);
    expect(params.map((p) => p.name)).not.toContain('onnx::Sub_48');
    expect(params.constants).toEqual([
      { name: 'onnx::Sub_48', shape: [1, 3, 1, 1], transposed: false, torchName: undefined, kind: 'preprocessing' },
      { name: 'onnx::Div_51', shape: [1, 3, 1, 1], transposed: false, torchName: undefined, kind: 'preprocessing' },
    ]);
    // no pattern: the parameters alone; a pattern: constants only when it names them in full
    expect(selectParameters(params, undefined, NORM)).toEqual(params);
    expect(selectParameters(params, 'onnx::', NORM).map((p) => p.name)).toEqual([
      'onnx::Conv_41',
      'onnx::Conv_42',
      'onnx::Conv_44',
      'onnx::Conv_45',
    ]);
    expect(selectParameters(params, 'fc\\..*|onnx::Sub_48', NORM).map((p) => p.name)).toEqual([
      'fc.weight',
      'fc.bias',
      'onnx::Sub_48',
    ]);
    expect(() => selectParameters(params, 'Div', NORM)).toThrow(/no trainable parameter matches/);
  });

  it('quantization scales are never parameters', async () => {
    const params = await discover(QDQ);
    expect(params.map((p) => p.name)).toEqual(['fc.bias']);
    expect(params.constants?.map((c) => [c.name, c.kind])).toEqual([
      ['conv.weight_scale', 'quantization'],
      ['fc.weight_scale', 'quantization'],
      ['x_scale', 'quantization'],
      ['a_scale', 'quantization'],
    ]);
  });

  it('inspect lists preprocessing constants and quantization parameters apart', async () => {
    const norm = await inspectModel(NORM);
    expect(norm.parameters.map((p) => p.name)).toEqual([
      'fc.weight',
      'fc.bias',
      'onnx::Conv_41',
      'onnx::Conv_42',
      'onnx::Conv_44',
      'onnx::Conv_45',
    ]);
    expect(norm.preprocessingConstants.map((c) => c.name)).toEqual(['onnx::Sub_48', 'onnx::Div_51']);
    expect(norm.quantizationParameters).toEqual([]);
    // a quantized model: inspect says what the editing commands say (the scales are no parameters above)
    await expect(inspectModel(QDQ)).rejects.toThrow(/model_qdq\.onnx is a quantized model \(int8 weights/);
  });
});
