// The field case missing-op-rules (issue 16; copied from ../shared/field into test/fixtures/field):
// common layers that had no gradient rule (HardSwish/HardSigmoid, PRelu, Elu, Softplus, Mish, Selu,
// GroupNorm via InstanceNormalization, ReduceMax over time, GRU, Einsum). Each model's gradient of the
// mean cross-entropy matches PyTorch's float64 oracle in expected/MODEL: loss within 1e-5 relative,
// every parameter within 1e-4 relative L2, with exactly the oracle's parameter list.
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { loadModel } from '../src/graph/load.js';
import { GradientModel } from '../src/runtime/gradient.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';

const DIR = `${FIXTURES}/field/missing-op-rules`;
const CASES: [string, string][] = [
  ['mobilenet_v3_small_w025', ''],
  ['cnn_prelu', 'img_'],
  ['cnn_elu', 'img_'],
  ['cnn_softplus', 'img_'],
  ['cnn_mish', 'img_'],
  ['cnn_selu', 'img_'],
  ['cnn_groupnorm', 'img_'],
  ['textcnn_reducemax', 'tok_'],
  ['text_gru', 'tok_'],
  ['einsum_linear', 'vec_'],
];

describe.each(CASES)('field/missing-op-rules/%s', (name, data) => {
  it('matches the float64 oracle', async () => {
    const want = oracle(`${DIR}/expected/${name}`);
    const gm = await GradientModel.open(loadModel(`${DIR}/${name}.onnx`), { cache: false, threads: 1 });
    try {
      expect(gm.params.map((p) => p.name).sort()).toEqual(want.parameters.map((p) => p.name).sort());
      const x = readNpy(`${DIR}/${data}x.npy`);
      const r = await gm.run({ data: x.data, dims: x.shape }, readNpy(`${DIR}/${data}y.npy`).data as BigInt64Array);
      expect(Math.abs(r.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      for (const p of want.parameters) {
        const ref = readNpy(`${DIR}/expected/${name}/${p.file}`).data as Float64Array;
        expect(relL2(r.grads.get(p.name)!, ref), p.name).toBeLessThan(1e-4);
      }
    } finally {
      await gm.release();
    }
  }, 60_000);
});
