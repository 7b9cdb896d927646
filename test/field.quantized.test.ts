// A quantized model (int8 QDQ, ../shared/field/quantized-qdq) is refused in one line by every command
// that would edit or differentiate it, before any pass and with nothing written (issue 15, item 10).
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const DIR = `${FIXTURES}/field/quantized-qdq`;
const MODEL = `${DIR}/model_qdq.onnx`;
const DATA = `${DIR}/x.npy,${DIR}/y.npy`;

describe('a quantized model', () => {
  const cases: [string, (out: string) => string[]][] = [
    ['inspect', () => ['inspect', MODEL]],
    ['grad', (out) => ['grad', MODEL, '--x', `${DIR}/x.npy`, '--y', `${DIR}/y.npy`, '--out', join(out, 'g')]],
    ['fisher', (out) => ['fisher', MODEL, DATA, '-o', join(out, 'm.fisher')]],
    ['the main command (SSD)', (out) => [MODEL, DATA, '--train', DATA, '-o', join(out, 'm.onnx')]],
    [
      'the main command (∇τ)',
      (out) => [MODEL, DATA, '--method', 'gradtau', '--retain', DATA, '--val', DATA, '-o', join(out, 'm.onnx')],
    ],
  ];
  it.each(cases)('%s: one line saying what to do, exit 3, nothing written', async (_, args) => {
    const out = mkdtempSync(join(tmpdir(), 'scrub-qdq-'));
    const r = await run(...args(out));
    expect(r.code).toBe(3);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toBe(
      'scrub: model_qdq.onnx is a quantized model (int8 weights conv.weight_quantized, fc.weight_quantized ' +
        'behind DequantizeLinear); scrub edits float models: unlearn the float model it was quantized from, ' +
        'then quantize the result again.',
    );
    expect(r.err).not.toMatch(/--params|gradient rule|_scale|_zero_point/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, 'g'))).toBe(false);
  });
});
