// Issue 15, item 11: an output path into a folder that does not exist creates it before any pass, or is
// refused at once (one BadInputError line) when it cannot be created; a failed run leaves no empty folder.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/cli.js';

const MODEL = 'models/cnn.onnx';
const FORGET = 'models/forget@0:32';
const FISHER = 'models/cnn.fisher';
const X = 'models/sample/x.npy';
const Y = 'models/sample/y.npy';

/** A fresh folder holding a plain file `file` (a path component that cannot become a folder). */
function scratch(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scrub-out-'));
  const file = join(dir, 'file');
  writeFileSync(file, 'not a folder');
  return { dir, file };
}

function expectRefused(r: { code: number; err: string }): void {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.split('\n').filter((l) => l.trim());
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /: (cannot create the folder \(a component of the path is a file\)|not a folder \(a file is in the way\))/,
  );
}

describe('output paths into folders that do not exist', () => {
  it('scrub MODEL FORGET -o creates the missing folders', async () => {
    const { dir } = scratch();
    const out = join(dir, 'a', 'b', 'o.onnx');
    const r = await run(MODEL, FORGET, '--fisher', FISHER, '-o', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('scrub MODEL FORGET -o under a file is refused before any pass', async () => {
    const { file } = scratch();
    const r = await run(MODEL, FORGET, '--fisher', FISHER, '-o', join(file, 'sub', 'o.onnx'), '--quiet');
    expectRefused(r);
  });

  it('a failed run leaves no folder it created', async () => {
    const { dir } = scratch();
    const r = await run(MODEL, join(dir, 'no-such-forget'), '--fisher', FISHER, '-o', join(dir, 'new', 'o.onnx'));
    expect(r.code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['file']);
  });

  it('scrub fisher -o creates the missing folders, refuses a file in the way, cleans up on failure', async () => {
    const { dir, file } = scratch();
    const out = join(dir, 'x', 'y', 'f.fisher');
    const ok = await run('fisher', MODEL, 'models/forget', '-o', out, '--quiet');
    expect(ok.code, ok.err).toBe(0);
    expect(existsSync(out)).toBe(true);
    expectRefused(await run('fisher', MODEL, 'models/forget', '-o', join(file, 'f.fisher'), '--quiet'));
    const failed = await run('fisher', MODEL, join(dir, 'no-such-train'), '-o', join(dir, 'z', 'f.fisher'), '--quiet');
    expect(failed.code).toBe(2);
    expect(existsSync(join(dir, 'z'))).toBe(false);
  });

  it('scrub grad --out creates the missing folders, refuses a file, cleans up on failure', async () => {
    const { dir, file } = scratch();
    const out = join(dir, 'g', 'h');
    const ok = await run('grad', MODEL, '--x', X, '--y', Y, '--out', out);
    expect(ok.code, ok.err).toBe(0);
    expect(readdirSync(out)).toContain('summary.json');
    const refused = await run('grad', MODEL, '--x', X, '--y', Y, '--out', join(file, 'g'));
    expectRefused(refused);
    const onFile = await run('grad', MODEL, '--x', X, '--y', Y, '--out', file);
    expect(onFile.code).toBe(2);
    expect(onFile.err).toMatch(/not a folder/);
    const failed = await run('grad', MODEL, '--x', join(dir, 'missing.npy'), '--y', Y, '--out', join(dir, 'k', 'l'));
    expect(failed.code).toBe(2);
    expect(existsSync(join(dir, 'k'))).toBe(false);
  });

  it('scrub eval -o creates the missing folders and refuses a file in the way', async () => {
    const { dir, file } = scratch();
    const out = join(dir, 'r', 'eval.json');
    const ok = await run('eval', MODEL, '--forget', FORGET, '-o', out, '--quiet');
    expect(ok.code, ok.err).toBe(0);
    expect(existsSync(out)).toBe(true);
    expectRefused(await run('eval', MODEL, '--forget', FORGET, '-o', join(file, 'eval.json'), '--quiet'));
  });
});

describe('an output never goes over the command’s own inputs, nor where a folder is in the way', () => {
  const REFUSED = /this is the command's input .*; refusing to write there/;
  /** A scratch folder with a copy of the model, and the model's bytes to compare with after. */
  function withModel(): { dir: string; model: string; bytes: Buffer } {
    const { dir } = scratch();
    const model = join(dir, 'm.onnx');
    cpSync(MODEL, model);
    return { dir, model, bytes: readFileSync(model) };
  }
  const expectOneLine = (r: { code: number; err: string }, message: RegExp) => {
    expect(r.code, r.err).toBe(2);
    expect(r.err.split('\n').filter((l) => l.trim())).toHaveLength(1);
    expect(r.err).toMatch(message);
  };

  it('eval, fisher, fisher merge and report refuse -o onto an input', async () => {
    const { dir, model, bytes } = withModel();
    expectOneLine(await run('eval', model, '--forget', FORGET, '-o', model, '--quiet'), REFUSED);
    expectOneLine(await run('fisher', model, FORGET, '-o', model, '--quiet'), REFUSED);
    expect(readFileSync(model).equals(bytes)).toBe(true);
    const parts = [0, 1].map((k) => join(dir, `p${k}`));
    for (const [k, part] of parts.entries())
      expect((await run('fisher', model, FORGET, '--shard', `${k}/2`, '-o', part, '--quiet')).code).toBe(0);
    const part0 = readFileSync(parts[0]);
    expectOneLine(await run('fisher', 'merge', ...parts, '-o', parts[0]), REFUSED);
    expect(readFileSync(parts[0]).equals(part0)).toBe(true);
    const record = join(dir, 'e.record.json');
    expect((await run('eval', model, '--forget', FORGET, '-o', record, '--quiet')).code).toBe(0);
    const recordBytes = readFileSync(record);
    // the record itself, and the model it names
    expectOneLine(await run('report', record, '-o', record), REFUSED);
    expectOneLine(await run('report', record, '-o', model), REFUSED);
    expect(readFileSync(record).equals(recordBytes)).toBe(true);
    expect(readFileSync(model).equals(bytes)).toBe(true);
    // a folder that does not exist is created, as for every other output
    const page = await run('report', record, '-o', join(dir, 'new', 'r.html'));
    expect(page.code, page.err).toBe(0);
    expect(existsSync(join(dir, 'new', 'r.html'))).toBe(true);
  });

  it('the main command and a request refuse -o onto a Fisher file, into a data folder, onto the request', async () => {
    const { dir, model } = withModel();
    cpSync(FISHER, join(dir, 'm.fisher'));
    cpSync('models/forget', join(dir, 'forget'), { recursive: true });
    const before = readdirSync(dir, { recursive: true }).map(String).sort();
    const forget = join(dir, 'forget');
    // the Fisher file found beside the model is an input too
    expectOneLine(await run(model, `${forget}@0:32`, '-o', join(dir, 'm.fisher'), '--quiet'), REFUSED);
    expectOneLine(
      await run(model, `${forget}@0:32`, '-o', join(forget, '0', 'x.onnx'), '--quiet'),
      /inside the command's input folder .*forget; refusing to write there/,
    );
    const request = join(dir, 'request.json');
    writeFileSync(
      request,
      JSON.stringify({ model: 'm.onnx', forget: 'forget@0:32', gates: ['forget_acc<=1'], out: 'request.json' }),
    );
    expectOneLine(await run('request', request, '--quiet'), /request\.json: \/out: .*this is the command's input/);
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual([...before, 'request.json'].sort());
  });

  it('scrub grad refuses an --out whose files would replace its inputs', async () => {
    const { dir, model } = withModel();
    const y = join(dir, 'summary.json');
    cpSync(Y, y);
    expectOneLine(await run('grad', model, '--x', X, '--y', y, '--out', dir), REFUSED);
    expect(readdirSync(dir).sort()).toEqual(['file', 'm.onnx', 'summary.json']);
  });

  it('scrub MODEL FORGET refuses a folder where the model or its record goes, before any pass', async () => {
    const { dir, model } = withModel();
    mkdirSync(join(dir, 'o.onnx'));
    expectOneLine(
      await run(model, FORGET, '--fisher', FISHER, '-o', join(dir, 'o.onnx'), '--quiet'),
      /o\.onnx: a folder is where the edited model goes/,
    );
    mkdirSync(join(dir, 'p.record.json'));
    expectOneLine(
      await run(model, FORGET, '--fisher', FISHER, '-o', join(dir, 'p.onnx'), '--quiet'),
      /p\.record\.json: a folder is where its record goes/,
    );
    expect(readdirSync(dir).sort()).toEqual(['file', 'm.onnx', 'o.onnx', 'p.record.json']);
  });
});
