// One case per error kind: its exit code and its one line on stderr (`scrub: …`), through the
// command line where that is cheap, and the kind → code table of src/cli/exit.ts directly.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { unlearn } from '../src/api/unlearn.js';
import { CANCELLED_LINE, exitFor } from '../src/cli/exit.js';
import { main } from '../src/cli/main.js';
import { validateReport } from '../src/index.js';
import {
  BadInputError,
  CancelledError,
  DivergedError,
  EXIT_CODES,
  GateFailedError,
  isCancellation,
  UnsupportedModelError,
  type ScrubError,
} from '../src/core/errors.js';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { encodeModel } from '../src/graph/encode.js';
import { DataType, type Graph } from '../src/graph/ir.js';
import { FIXTURES } from './support/fixtures.js';
import { FASHION_MNIST, withoutFashionMnist } from './support/datasets.js';
import { run } from './support/cli.js';

const noFashionMnist = withoutFashionMnist();
const SCRUB = fileURLToPath(new URL('../scrub.js', import.meta.url));
const MODEL = 'models/cnn.onnx';
const FORGET = 'models/forget';
const MLP = `${FIXTURES}/models/mlp.onnx`;
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-errors-'));

/** The contract of every failing run: its code, and exactly one line on stderr, `scrub: …`. */
function expectExit(r: { code: number; err: string }, code: number, message: RegExp): void {
  expect(r.code, r.err).toBe(code);
  expect(r.err.split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(/^scrub: \S/);
  expect(r.err).toMatch(message);
}

/** A one-node-chain model file: input [batch, 4] → MatMul w [4, 3] → `op` → logits [batch, 3]. */
function tinyModel(dir: string, name: string, op: { type: string; domain?: string }, inputs = 1): string {
  const w = new Float32Array(12).map((_, i) => (i - 6) / 10);
  const extra = inputs > 1 ? [{ name: 'other', elemType: DataType.FLOAT, shape: ['batch', 4] }] : [];
  const graph: Graph = {
    name: 'g',
    nodes: [
      { name: 'mm', opType: 'MatMul', domain: '', inputs: ['input', 'w'], outputs: ['h'], attrs: {} },
      { name: 'op', opType: op.type, domain: op.domain ?? '', inputs: ['h'], outputs: ['logits'], attrs: {} },
    ],
    inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 4] }, ...extra],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 3] }],
    initializers: new Map([
      [
        'w',
        {
          name: 'w',
          dataType: DataType.FLOAT,
          dims: [4, 3],
          bytes: new Uint8Array(w.buffer),
          location: { kind: 'typed' },
        },
      ],
    ]),
    valueInfo: new Map(),
  };
  const opsets = new Map([['', 17]]);
  if (op.domain) opsets.set(op.domain, 1);
  const path = join(dir, name);
  writeFileSync(path, encodeModel({ opsetImports: opsets, graph }));
  return path;
}

/** x.npy [2, 4] and y.npy [2] beside the tiny models. */
function tinyData(dir: string): { x: string; y: string } {
  const x = join(dir, 'x.npy');
  const y = join(dir, 'y.npy');
  writeFileSync(
    x,
    encodeNpy(
      Float32Array.from({ length: 8 }, (_, i) => i / 8),
      [2, 4],
    ),
  );
  writeFileSync(y, encodeNpy(BigInt64Array.from([0n, 2n]), [2]));
  return { x, y };
}

describe('src/cli/exit.ts: each kind → its exit code and one line', () => {
  const kinds: [string, ScrubError, number][] = [
    ['bad input', new BadInputError('x.npy: no such file.'), 2],
    ['unsupported model', new UnsupportedModelError('m.onnx: no gradient rule for Sin (opset 17).'), 3],
    ['gate failed', new GateFailedError('gate failed: forget_acc<=0: forget_acc is 0.9000', []), 1],
    ['diverged', new DivergedError('∇τ diverged at epoch 0, step 1.'), 1],
  ];
  it.each(kinds)('%s', (_, e, code) => {
    expect(exitFor(e)).toEqual({ code, line: `scrub: ${e.message}`, kind: e.kind });
    expect(e.exitCode).toBe(code);
    expect(EXIT_CODES[e.kind]).toBe(code);
  });

  it('cancelled: an AbortSignal reason or a CancelledError is 130, with one fixed line', () => {
    const reason = AbortSignal.abort().reason as unknown;
    expect(isCancellation(reason)).toBe(true);
    expect(exitFor(reason)).toEqual({ code: 130, line: CANCELLED_LINE, kind: 'cancelled' });
    expect(exitFor(new CancelledError('stopped'))).toEqual({ code: 130, line: CANCELLED_LINE, kind: 'cancelled' });
    expect(CANCELLED_LINE).toBe('scrub: cancelled; nothing was written.');
  });

  it("node's parseArgs refusals are bad input (2)", () => {
    const e = Object.assign(new TypeError("Unknown option '--bogus'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    expect(exitFor(e)).toEqual({
      code: 2,
      line: 'scrub: unknown option --bogus for this command; run scrub --help for the options.',
      kind: 'bad-input',
    });
  });

  it('a message is printed on one line; anything that is not a kind is a bug, rethrown', () => {
    expect(exitFor(new BadInputError('a\n  b')).line).toBe('scrub: a b');
    const bug = new Error('internal');
    expect(() => exitFor(bug)).toThrow(bug);
    expect(() => exitFor(new TypeError('x is undefined'))).toThrow(TypeError);
  });
});

describe('each kind through the command line', () => {
  const dir = tmp();
  const data = tinyData(dir);

  it('bad input (2): a forget folder that does not exist', async () => {
    const out = join(tmp(), 'o.onnx');
    const r = await run(MODEL, join(dir, 'no-such-forget'), '--fisher', 'models/cnn.fisher', '-o', out, '--quiet');
    expectExit(r, 2, /no-such-forget: no such file or folder \(given as the forget set\); check the path\./);
  });

  it('with --json, a failure is also one JSON document on stdout: kind, exit code and the line', async () => {
    const out = join(tmp(), 'o.onnx');
    const fisher = ['--fisher', 'models/cnn.fisher'];
    const r = await run(MODEL, join(dir, 'no-such-forget'), ...fisher, '-o', out, '--quiet', '--json');
    expectExit(r, 2, /no-such-forget: no such file or folder/);
    const printed = JSON.parse(r.out);
    expect(printed).toEqual({
      schema: 'scrub.report/1',
      kind: 'error',
      error: { kind: 'bad-input', exitCode: 2, message: r.err.trim().replace(/^scrub: /, '') },
    });
    expect(validateReport(printed)).toEqual([]);
    const model = tinyModel(tmp(), 'asinh.onnx', { type: 'Asinh' });
    const g = await run('grad', model, '--x', data.x, '--y', data.y, '--out', join(tmp(), 'g'), '--json');
    expectExit(g, 3, /asinh\.onnx: .*Asinh/);
    expect(JSON.parse(g.out).error).toMatchObject({ kind: 'unsupported-model', exitCode: 3 });
    // without --json stdout stays empty
    expect((await run(MODEL, join(dir, 'no-such-forget'), ...fisher, '-o', out, '--quiet')).out).toBe('');
  });

  it('bad input (2): -o an existing folder, refused before any pass by eval, fisher and report', async () => {
    const folder = tmp();
    const record = join(tmp(), 'e.json');
    expect((await run('eval', MODEL, '--forget', FORGET, '-o', record)).code).toBe(0);
    for (const [args, what] of [
      [['eval', MODEL, '--forget', FORGET], 'the record'],
      [['fisher', MODEL, FORGET], 'the Fisher file'],
      [['report', record], 'the report'],
    ] as const)
      expectExit(
        await run(...args, '-o', folder),
        2,
        new RegExp(`: a folder is where ${what} goes; move it, or give -o another file path\\.`),
      );
    expect(readdirSync(folder)).toEqual([]);
    // --report's page where a folder is: refused before the run writes its model and record
    const dir = tmp();
    mkdirSync(join(dir, 'm.report.html'));
    const fisher = ['--fisher', 'models/cnn.fisher'];
    expectExit(
      await run(MODEL, FORGET, ...fisher, '-o', join(dir, 'm.onnx'), '--report', '--quiet'),
      2,
      /m\.report\.html: a folder is where the report \(--report\) goes/,
    );
    expect(readdirSync(dir)).toEqual(['m.report.html']);
  });

  it('bad input (2): an option parseArgs does not know', async () => {
    expectExit(await run('eval', MODEL, '--bogus'), 2, /--bogus/);
  });

  it('bad input (2): an option of one value given twice, which kept the last silently', async () => {
    expectExit(
      await run('eval', MODEL, '--forget', FORGET, '--forget', join(dir, 'other'), '-o', join(tmp(), 'e.json')),
      2,
      /^scrub: --forget is given more than once; it takes one value: give it once\.$/,
    );
    expectExit(await run(MODEL, FORGET, '-o', join(tmp(), 'a.onnx'), '-o', join(tmp(), 'b.onnx')), 2, /--out is given/);
  });

  it('bad input (2): eval refuses the gradient passes’ options instead of ignoring them', async () => {
    for (const flag of ['--workers', '--params', '--batch-size'])
      expectExit(
        await run('eval', MLP, '--forget', FORGET, flag, '1', '-o', join(tmp(), 'e.json')),
        2,
        new RegExp(`${flag} applies to gradient passes, and scrub eval makes forward passes only`),
      );
  });

  it('bad input (2): eval refuses a forget set without labels, or with every example skipped', async () => {
    const unlabelled = join(tmp(), 'unl');
    mkdirSync(unlabelled);
    cpSync(data.x, join(unlabelled, 'x.npy'));
    const model = tinyModel(dir, 'relu-eval.onnx', { type: 'Relu' });
    const out = join(tmp(), 'e.json');
    expectExit(
      await run('eval', model, '--forget', unlabelled, '-o', out),
      2,
      /unl: has no labels, and evaluation needs them\. Give labelled examples/,
    );
    const nan = join(tmp(), 'nan');
    mkdirSync(nan);
    writeFileSync(join(nan, 'x.npy'), encodeNpy(new Float32Array(8).fill(NaN), [2, 4]));
    cpSync(data.y, join(nan, 'y.npy'));
    const r = await run('eval', model, '--forget', nan, '--on-bad-input', 'skip', '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^scrub: .*nan: every forget example was skipped .*nothing to evaluate/m);
    expect(existsSync(out)).toBe(false);
  });

  it('bad input (2): scrub grad names the labels file, and leaves no --out folder behind', async () => {
    const model = tinyModel(dir, 'relu.onnx', { type: 'Relu' });
    const parent = tmp();
    const out = join(parent, 'g');
    const bad = join(dir, 'y-bad.npy');
    writeFileSync(bad, encodeNpy(BigInt64Array.from([0n, 3n]), [2]));
    const short = join(dir, 'y-short.npy');
    writeFileSync(short, encodeNpy(BigInt64Array.from([0n]), [1]));
    const grad = (...extra: string[]) =>
      run('grad', model, '--x', data.x, ...(extra[0] === '--y' ? [] : ['--y', data.y]), '--out', out, ...extra);
    expectExit(await grad('--y', bad), 2, /y-bad\.npy: label 3 at index 1 is outside the model's 3 classes/);
    expectExit(await grad('--y', short), 2, /y-short\.npy: 1 labels for the 2 examples of .*x\.npy/);
    // an option read after the folder was made used to leave it behind, empty
    expectExit(await grad('--workers=-1'), 2, /--workers -1: expected a positive integer/);
    expectExit(await grad('--threads', 'two'), 2, /--threads two/);
    const most = availableParallelism();
    expectExit(
      await grad('--threads', `${most + 1}`),
      2,
      new RegExp(`--threads ${most + 1}: this machine runs ${most}`),
    );
    expect(readdirSync(parent)).toEqual([]);
    // --quiet is taken, as by every other command (grad has no progress to silence)
    const r = await grad('--quiet');
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out)).toContain('summary.json');
  });

  it('unsupported model (3): an op without a gradient rule (scrub grad)', async () => {
    const model = tinyModel(dir, 'asinh.onnx', { type: 'Asinh' });
    const out = join(tmp(), 'g');
    const r = await run('grad', model, '--x', data.x, '--y', data.y, '--out', out);
    expectExit(r, 3, /asinh\.onnx: .*Asinh/);
    expect(readdirSync(join(out, '..'))).toEqual([]);
  });

  it('unsupported model (3): an op ONNX Runtime cannot run (scrub grad)', async () => {
    const model = tinyModel(dir, 'custom.onnx', { type: 'Frobnicate', domain: 'com.example' });
    const r = await run('grad', model, '--x', data.x, '--y', data.y, '--out', join(tmp(), 'g'));
    expectExit(r, 3, /custom\.onnx: ONNX Runtime could not load it/);
  });

  it('bad input (2): a model with two inputs fed one x.npy (scrub eval) is told to give a folder', async () => {
    const model = tinyModel(dir, 'two.onnx', { type: 'Relu' }, 2);
    const r = await run('eval', model, '--forget', `${data.x},${data.y}`, '-o', join(tmp(), 'r.json'));
    expectExit(r, 2, /the model takes 2 inputs \(input, other\); give a folder holding input\.npy, other\.npy/);
  });

  it('gate failed (1): scrub eval with a gate the model cannot meet; the record is written', async () => {
    const rec = join(tmp(), 'eval.json');
    const r = await run('eval', MODEL, '--forget', FORGET, '--require', 'forget_acc<=0', '-o', rec, '--quiet');
    expectExit(r, 1, /^scrub: gate failed: forget_acc<=0: forget_acc is 0\.\d+ \(record .*eval\.json\)$/);
    expect(readdirSync(join(rec, '..'))).toEqual(['eval.json']);
  });

  it('diverged (1): ∇τ on inputs that overflow the logits; nothing is written', async () => {
    const out = tmp();
    const x = readNpy(`${FIXTURES}/batch/x.npy`);
    const y = readNpy(`${FIXTURES}/batch/y.npy`);
    const per = 28 * 28;
    const write = (name: string, a: number, b: number, poison = false) => {
      const xs = (x.data as Float32Array).slice(a * per, b * per);
      if (poison) xs.fill(3e38, 0, per);
      writeFileSync(join(dir, `${name}.x.npy`), encodeNpy(xs, [b - a, 1, 28, 28]));
      writeFileSync(join(dir, `${name}.y.npy`), encodeNpy((y.data as BigInt64Array).slice(a, b), [b - a]));
      return `${join(dir, `${name}.x.npy`)},${join(dir, `${name}.y.npy`)}`;
    };
    const r = await run(
      MLP,
      write('forget', 0, 16, true),
      '--method',
      'gradtau',
      '--schedule',
      'reference',
      '--retain',
      write('retain', 16, 48),
      '--val',
      write('val', 48, 64),
      '-o',
      join(out, 'o.onnx'),
      '--quiet',
    );
    expectExit(r, 1, /∇τ diverged at epoch 0, step 1: .*nothing was written\./);
    expect(readdirSync(out)).toEqual([]);
  });

  it('cancelled (130): Ctrl-C during the main command; nothing is written', async () => {
    const out = tmp();
    const err: string[] = [];
    const before = new Set(process.listeners('SIGINT'));
    const running = main([MODEL, FORGET, '--fisher', 'models/cnn.fisher', '-o', join(out, 'o.onnx'), '--quiet'], {
      out: () => {},
      err: (l) => err.push(l),
    });
    // the command line's own handler, as a real SIGINT would call it (without signalling the test runner)
    const handler = process.listeners('SIGINT').find((l) => !before.has(l));
    expect(handler).toBeDefined();
    handler!('SIGINT');
    expectExit({ code: await running, err: err.join('\n') }, 130, /^scrub: cancelled; nothing was written\.$/);
    expect(readdirSync(out)).toEqual([]);
    expect(process.listeners('SIGINT')).toHaveLength(before.size);
  });

  it('cancelled (130): an aborted io.signal', async () => {
    const out = tmp();
    const err: string[] = [];
    const code = await main(['eval', MODEL, '--forget', FORGET, '-o', join(out, 'r.json')], {
      out: () => {},
      err: (l) => err.push(l),
      signal: AbortSignal.abort(),
    });
    expectExit({ code, err: err.join('\n') }, 130, /^scrub: cancelled; nothing was written\.$/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('cancelled (130): report, verify and inspect too, writing nothing and printing no verdict', async () => {
    const dir = tmp();
    const model = join(dir, 'm.onnx');
    expect((await run(MODEL, FORGET, '--fisher', 'models/cnn.fisher', '-o', model, '--quiet')).code).toBe(0);
    const record = join(dir, 'm.record.json');
    for (const args of [
      ['report', record, '-o', join(dir, 'r.html')],
      ['verify', model, record],
      ['inspect', MODEL],
    ]) {
      const [out, err]: string[][] = [[], []];
      const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), signal: AbortSignal.abort() });
      expectExit({ code, err: err.join('\n') }, 130, /^scrub: cancelled; nothing was written\.$/);
      expect(out).toEqual([]);
    }
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.record.json']);
    // nor does an evaluation replace the run's record, its audit trail
    expectExit(
      await run('eval', model, '--forget', FORGET, '-o', record),
      2,
      /m\.record\.json: this is the record of an unlearning run .*refusing to replace it/,
    );
    expect((await run('verify', model, record)).code).toBe(0);
  });
});

describe.skipIf(noFashionMnist)('cancelled by SIGTERM', () => {
  it('SIGTERM (kill, timeout, a container stopping) while the model is staged: exit 130, nothing left', async () => {
    const out = tmp();
    const train = `${FASHION_MNIST}/train-images-idx3-ubyte.gz`;
    const args = [MODEL, FORGET, '--fisher', 'models/cnn.fisher', '-o', join(out, 'o.onnx'), '--quiet'];
    // an evaluation of 65,000 examples after the edit: seconds during which the model is staged
    const sets = ['--retain', `${train}@0:55000`, '--test', `${FASHION_MNIST}/t10k-images-idx3-ubyte.gz`];
    const r = spawn(process.execPath, [SCRUB, ...args, ...sets], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    r.stderr.on('data', (d) => (err += d));
    const closed = new Promise<number | null>((done) => r.on('close', done));
    let staged = false;
    for (let t = 0; t < 60_000 && r.exitCode === null && !staged; t += 10) {
      staged = readdirSync(out).some((f) => f.startsWith('.'));
      if (!staged) await new Promise((done) => setTimeout(done, 10));
    }
    expect(staged, 'the run ended before its model was staged').toBe(true);
    r.kill('SIGTERM');
    expectExit({ code: (await closed) ?? -1, err: err.trim() }, 130, /^scrub: cancelled; nothing was written\.$/);
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);

  it('a second signal exits at once, removing the files being written (a staged model, a record)', () => {
    const out = tmp();
    // the built command line's pieces (dist/), in a process of their own: a model and its record staged,
    // then two signals, the second 50 ms after the first
    // the output's folder is new (two levels): removed too, as after a single signal
    const into = join(out, 'new', 'deeper');
    const script = `
      import { cancellable } from './dist/cli/exit.js';
      import { prepareOutputFolder } from './dist/context/run-context.js';
      import { stageModel } from './dist/graph/write.js';
      import { loadModel } from './dist/graph/load.js';
      import { stageRecord } from './dist/record/record.js';
      prepareOutputFolder('${into}', '-o');
      stageModel(loadModel('${MODEL}'), '${join(into, 'o.onnx')}', new Map());
      stageRecord('${join(into, 'o.record.json')}', { schema: 'scrub.record/1' });
      cancellable({ out: (l) => console.log(l), err: (l) => console.error(l) });
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);
      setTimeout(() => {}, 10_000);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expectExit({ code: r.status ?? -1, err: r.stderr.trim() }, 130, /^scrub: interrupted; nothing was written\.$/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('cancelled, in the library', () => {
  it('aborting mid-run rejects with the abort and leaves nothing behind', async () => {
    const out = tmp();
    const controller = new AbortController();
    const e = await unlearn({
      model: MODEL,
      forget: FORGET,
      out: join(out, 'o.onnx'),
      onProgress: () => controller.abort(),
      signal: controller.signal,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(controller.signal.aborted).toBe(true);
    expect(isCancellation(e)).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });
});
