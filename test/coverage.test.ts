// Every op on a loss→parameter path of every shipped model (the fixtures and the zoo) has a gradient rule.
import { describe, expect, it } from 'vitest';
import { differentiablePath, missingRules } from '../src/autodiff/engine.js';
import { defaultRegistry } from '../src/autodiff/rules/index.js';
import { loadModel } from '../src/graph/load.js';
import { findParameters } from '../src/runtime/gradient.js';
import { probeShapes } from '../src/runtime/shapes.js';
import { FIXTURES, hasShared, SHARED } from './support/fixtures.js';

const ZOO = ['mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'shufflenet_v2', 'densenet', 'convnext', 'swin'];
const models = [
  ...['mlp', 'cnn', 'vit'].map((m) => `${FIXTURES}/models/${m}.onnx`),
  ...[...ZOO, 'text_lstm', 'text_cnn'].map((m) => `${FIXTURES}/zoo/${m}.onnx`),
  ...(hasShared ? ['resnet18', 'mlp', 'cnn', 'vit'].map((m) => `${SHARED}/models/${m}.onnx`) : []),
];

describe('gradient rule coverage', () => {
  it.each(models)('%s', async (path) => {
    const model = loadModel(path);
    const shapes = await probeShapes(model);
    const params = findParameters(model, shapes);
    expect(params.length).toBeGreaterThan(0);
    const path_ = differentiablePath(
      model.graph,
      shapes,
      params.map((p) => p.name),
      [model.graph.outputs[0].name],
      { registry: defaultRegistry(), opsets: model.opsetImports },
    );
    expect(missingRules(model.graph, model.opsetImports, defaultRegistry(), path_)).toEqual([]);
  });

  it('names every op without a rule, with opset and nodes', async () => {
    const { RuleRegistry } = await import('../src/autodiff/registry.js');
    const model = loadModel(`${FIXTURES}/models/cnn.onnx`);
    const shapes = await probeShapes(model);
    const params = findParameters(model, shapes);
    const path = differentiablePath(
      model.graph,
      shapes,
      params.map((p) => p.name),
      ['logits'],
      { registry: defaultRegistry(), opsets: model.opsetImports },
    );
    const missing = missingRules(model.graph, model.opsetImports, new RuleRegistry(), path);
    expect(missing.map((m) => m.op).sort()).toEqual(['Conv', 'Flatten', 'Gemm', 'MaxPool', 'Relu']);
    expect(missing.find((m) => m.op === 'Conv')).toEqual({
      op: 'Conv',
      opset: 17,
      nodes: ['/conv1/Conv', '/conv2/Conv'],
    });
  });
});
