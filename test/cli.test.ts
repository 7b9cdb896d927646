import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType } from '../src/graph/ir.js';
import { FIXTURES, oracle, relL2 } from './support/fixtures.js';
import { run } from './support/cli.js';
import { validateReport } from '../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-cli-'));
const X = `${FIXTURES}/batch/x.npy`;
const Y = `${FIXTURES}/batch/y.npy`;
const MLP = `${FIXTURES}/models/mlp.onnx`;

describe('scrub inspect', () => {
  it('lists opset, ops, parameters with PyTorch names, and rule coverage (--json)', async () => {
    const r = await run('inspect', `${FIXTURES}/models/vit.onnx`, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.opset).toBe(17);
    expect(report.ops.LayerNormalization).toBe(9);
    const want = oracle(`${FIXTURES}/oracle/grad/vit`).parameters;
    expect(report.parameters).toHaveLength(want.length);
    expect(report.parameters.find((p: { name: string }) => p.name === 'onnx::MatMul_379')).toEqual({
      name: 'onnx::MatMul_379',
      torchName: 'blocks.0.attn.qkv.weight',
      transposed: true,
      shape: [64, 192],
    });
    expect(report.differentiable).toBe(true);
    expect(report.missingRules).toEqual([]);
  });

  it('prints a readable summary', async () => {
    const r = await run('inspect', MLP);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/opset 17/);
    expect(r.out).toMatch(/fc1\.weight\s+\[256, 784\]/);
    expect(r.out).toMatch(/every op on the loss→parameter path has a rule/);
  });
});

describe('scrub grad', () => {
  it('writes summary.json and one float32 .npy per parameter matching the oracle', async () => {
    const out = join(tmp(), 'g');
    const r = await run('grad', MLP, '--x', X, '--y', Y, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(JSON.parse(r.out)).toEqual(summary);
    // a report of the published schema, as every other command's --json
    expect(summary).toMatchObject({ schema: 'scrub.report/1', kind: 'grad' });
    expect(validateReport(summary)).toEqual([]);
    expect(summary.settings).toEqual({ batchSize: 256, device: 'cpu' });
    const want = oracle(`${FIXTURES}/oracle/grad/mlp`);
    expect(Math.abs(summary.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    for (const p of want.parameters) {
      const mine = summary.parameters.find((q: { name: string }) => q.name === p.name);
      expect(mine).toMatchObject({ name: p.name, torchName: p.torchName, transposed: p.transposed, shape: p.shape });
      const g = readNpy(join(out, mine.file));
      expect(g.dtype).toBe('float32');
      expect(g.shape).toEqual(p.shape);
      expect(
        relL2(g.data as Float32Array, readNpy(`${FIXTURES}/oracle/grad/mlp/${p.file}`).data as Float64Array),
      ).toBeLessThan(1e-4);
    }
    // --x as the folder holding x.npy and y.npy: the same run, --y taken from it
    const again = await run('grad', MLP, '--x', dirname(X), '--out', join(tmp(), 'g'), '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out).loss).toBe(summary.loss);
  });

  it('gives the same mean gradient in chunks, each split over 2 workers, as in one batch', async () => {
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    expect((await run('grad', MLP, '--x', X, '--y', Y, '--out', a)).code).toBe(0);
    const chunked = ['--batch-size', '10', '--threads', '1', '--workers', '2'];
    const rb = await run('grad', MLP, '--x', X, '--y', Y, '--out', b, ...chunked);
    expect(rb.code, rb.err).toBe(0);
    expect(rb.out).toMatch(/gradients written to .*\/ \(cpu, 2 workers, 1 thread each\)/);
    const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
    expect(sb.settings).toEqual({ batchSize: 10, device: 'cpu', threads: 1, workers: 2 });
    expect(Math.abs(sa.loss - sb.loss)).toBeLessThan(1e-6);
    for (const p of sa.parameters)
      expect(
        relL2(readNpy(join(b, p.file)).data as Float32Array, readNpy(join(a, p.file)).data as Float32Array),
      ).toBeLessThan(1e-5);
  });

  it('converts int32 labels and float64 inputs, with a note for the inputs', async () => {
    const dir = tmp();
    const x = readNpy(X);
    writeFileSync(join(dir, 'x64.npy'), encodeNpy(Float64Array.from(x.data as Float32Array), x.shape));
    writeFileSync(join(dir, 'y32.npy'), encodeNpy(Int32Array.from(readNpy(Y).data as BigInt64Array, Number), [64]));
    const r = await run('grad', MLP, '--x', join(dir, 'x64.npy'), '--y', join(dir, 'y32.npy'), '--out', join(dir, 'g'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/float64 converted to float32/);
  });
});

describe('bad input: one clear error, exit 2, nothing written', () => {
  const dir = tmp();
  const x = readNpy(X);
  const y = readNpy(Y);
  writeFileSync(join(dir, 'not.onnx'), 'this is not a model\n');
  writeFileSync(join(dir, 'truncated.onnx'), readFileSync(MLP).subarray(0, 300_000));
  writeFileSync(
    join(dir, 'x-shape.npy'),
    encodeNpy((x.data as Float32Array).subarray(0, 64 * 27 * 28), [64, 1, 27, 28]),
  );
  writeFileSync(join(dir, 'x-int.npy'), encodeNpy(new BigInt64Array(64 * 784), [64, 1, 28, 28]));
  const withNaN = Float32Array.from(x.data as Float32Array);
  withNaN[20 * 784 + 89] = NaN;
  writeFileSync(join(dir, 'x-nan.npy'), encodeNpy(withNaN, [64, 1, 28, 28]));
  writeFileSync(
    join(dir, 'y-range.npy'),
    encodeNpy(
      BigInt64Array.from(y.data as BigInt64Array, (v, i) => (i === 5 ? 10n : v)),
      [64],
    ),
  );
  writeFileSync(join(dir, 'y-count.npy'), encodeNpy((y.data as BigInt64Array).subarray(0, 63), [63]));
  writeFileSync(join(dir, 'y-float.npy'), encodeNpy(new Float32Array(64), [64]));
  const noParams = encodeModel({
    opsetImports: new Map([['', 17]]),
    graph: {
      name: 'g',
      nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['input'], outputs: ['logits'], attrs: {} }],
      inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 10] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 10] }],
      initializers: new Map(),
      valueInfo: new Map(),
    },
  });
  writeFileSync(join(dir, 'noparams.onnx'), noParams);
  const ext = encodeModel({
    opsetImports: new Map([['', 17]]),
    graph: {
      name: 'g',
      nodes: [{ name: 'mm', opType: 'MatMul', domain: '', inputs: ['input', 'w'], outputs: ['logits'], attrs: {} }],
      inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 10] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 10] }],
      initializers: new Map([
        [
          'w',
          {
            name: 'w',
            dataType: DataType.FLOAT,
            dims: [10, 10],
            bytes: new Uint8Array(0),
            location: { kind: 'external', file: 'w.bin', offset: 0, length: 400 },
          },
        ],
      ]),
      valueInfo: new Map(),
    },
  });
  writeFileSync(join(dir, 'ext.onnx'), ext);

  const cases: [string, string[], RegExp][] = [
    ['a file that is not ONNX', [join(dir, 'not.onnx')], /not\.onnx: not a readable ONNX model: .*not protobuf/],
    ['a truncated file', [join(dir, 'truncated.onnx')], /truncated\.onnx: not a readable ONNX model: .*truncated/],
    ['a missing model file', [join(dir, 'missing.onnx')], /missing\.onnx: no such file/],
    ['missing external data', [join(dir, 'ext.onnx')], /ext\.onnx: external data file w\.bin \(tensor w\) is missing/],
    [
      'an input of the wrong shape',
      [MLP, '--x', join(dir, 'x-shape.npy')],
      /x-shape\.npy: input input of .* takes shape \[batch, 1, 28, 28\], got \[64, 1, 27, 28\]/,
    ],
    [
      'an input holding NaN (no NaN gradients written)',
      [MLP, '--x', join(dir, 'x-nan.npy')],
      /x-nan\.npy: example 20 has a non-finite value \(NaN\) at element 89/,
    ],
    [
      'an input of the wrong dtype',
      [MLP, '--x', join(dir, 'x-int.npy')],
      /x-int\.npy: holds int64, the model's input takes float32/,
    ],
    [
      'labels out of range',
      [MLP, '--y', join(dir, 'y-range.npy')],
      /label 10 at index 5 is outside the model's 10 classes/,
    ],
    [
      'labels that do not match the inputs',
      [MLP, '--y', join(dir, 'y-count.npy')],
      /y-count\.npy: 63 labels for the 64 examples of .*x\.npy/,
    ],
    [
      'float labels',
      [MLP, '--y', join(dir, 'y-float.npy')],
      /y-float\.npy: labels are float32; save them as int64 or int32/,
    ],
    ['a model with no float parameters', [join(dir, 'noparams.onnx')], /noparams\.onnx: no trainable float parameters/],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const [model, ...rest] = args;
    const flags = Object.fromEntries([
      ['--x', X],
      ['--y', Y],
      ...rest.reduce<string[][]>((acc, v, i) => (i % 2 ? acc : [...acc, [v, rest[i + 1]]]), []),
    ]);
    const r = await run('grad', model, ...Object.entries(flags).flat(), '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('the real command line exits nonzero with the message on stderr', () => {
    const res = spawnSync(
      process.execPath,
      ['scrub.js', 'grad', join(dir, 'not.onnx'), '--x', X, '--y', Y, '--out', join(dir, 'o')],
      { encoding: 'utf8' },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^scrub: .*not\.onnx/);
    expect(res.stdout).toBe('');
  });

  it("a closed stdout (`| head`) leaves the exit code the command's", () => {
    // bash's `scrub … --json | (exec 0<&-; …)`: the reader is gone before anything is printed
    const closedReader = (args: string) =>
      spawnSync('bash', ['-c', `${process.execPath} scrub.js ${args} | (exec 0<&-; sleep 1); echo \${PIPESTATUS[0]}`], {
        encoding: 'utf8',
      });
    expect(closedReader(`grad ${join(dir, 'not.onnx')} --x ${X} --y ${Y} --out ${join(dir, 'o')} --json`).stdout).toBe(
      '2\n',
    );
    expect(closedReader(`inspect ${MLP}`).stdout).toBe('0\n');
  });

  it('unknown options and commands exit 2', async () => {
    expect((await run('grad', MLP, '--bogus')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect(execFileSync(process.execPath, ['scrub.js', '--version'], { encoding: 'utf8' }).trim()).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
  });
});

describe('--help after a command', () => {
  it.each(['eval', 'grad', 'inspect', 'fisher', 'verify', 'request'])(
    'scrub %s --help prints the help, exit 0',
    async (c) => {
      const r = await run(c, '--help');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^scrub: make a deployed ONNX model forget data/);
      expect(r.out).toMatch(new RegExp(`scrub ${c}\\b`));
    },
  );
});
