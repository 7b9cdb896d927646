// The importance pass sharded: `scrub fisher … --shard K/N` parts merged by `scrub fisher merge`
// give the single pass's file (same header, sums within rounding) and the same SSD edit; parts that
// do not tile one pass are refused with nothing written.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IndexSet } from '../src/data/select.js';
import { readFisher } from '../src/methods/ssd/fisher-file.js';
import { shardRange } from '../src/methods/ssd/fisher-shard.js';
import { FIXTURES } from './support/fixtures.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const MODEL = `${FIXTURES}/models/cnn.onnx`;
const IDX = `${FM}/train-images-idx3-ubyte.gz`;
const TRAIN = `${IDX}@0:6000`;
const FORGET = `${TRAIN}@${FIXTURES}/scenarios/class0.json`;
const OPTS = ['--mean', '0.286', '--std', '0.353', '--threads', '1', '--quiet'];
const tmp = () => mkdtempSync(join(tmpdir(), 'scrub-shard-'));

async function ok(...argv: string[]): Promise<string> {
  const r = await run(...argv);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

/** Part k/n of the pass over `train`, written to `${dir}/${name}${k}of${n}.fisher`; returns its path. */
async function part(
  dir: string,
  name: string,
  train: string,
  k: number,
  n: number,
  extra: string[] = [],
  model = MODEL,
): Promise<string> {
  const path = join(dir, `${name}${k}of${n}.fisher`);
  await ok('fisher', model, train, '--shard', `${k}/${n}`, '-o', path, ...extra, ...OPTS);
  return path;
}

async function parts(dir: string, train: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let k = 0; k < n; k++) paths.push(await part(dir, 'part', train, k, n));
  return paths;
}

describe('shard ranges', () => {
  it('cover every minibatch once, in K order, sizes within one', () => {
    for (const [count, batchSize, n] of [
      [6000, 64, 7],
      [55000, 64, 2],
      [100, 64, 3],
      [640, 64, 10],
    ]) {
      const batches = Math.ceil(count / batchSize);
      const ranges = Array.from({ length: n }, (_, index) => shardRange(count, batchSize, { index, of: n }));
      let at = 0;
      for (const r of ranges) {
        expect(r.batches[0]).toBe(at);
        expect(r.examples).toEqual([
          Math.min(r.batches[0] * batchSize, count),
          Math.min(r.batches[1] * batchSize, count),
        ]);
        at = r.batches[1];
      }
      expect(at).toBe(batches);
      const sizes = ranges.map((r) => r.batches[1] - r.batches[0]);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('IndexSet.slice takes positions within the set', () => {
    const members = [1, 2, 3, 7, 9, 10, 11, 20];
    const set = IndexSet.fromSorted(members);
    for (let start = 0; start <= members.length; start++)
      for (let end = start; end <= members.length; end++)
        expect([...set.slice(start, end)]).toEqual(members.slice(start, end));
  });
});

describe.skipIf(noFashionMnist)('sharded and merged Fisher files give the single pass', () => {
  const dir = tmp();
  const single = join(dir, 'single.fisher');
  let reference: { selected: number[]; model: Buffer };

  beforeAll(async () => {
    await ok('fisher', MODEL, TRAIN, '-o', single, ...OPTS);
    const out = join(dir, 'single.onnx');
    const report = JSON.parse(await ok(MODEL, FORGET, '--fisher', single, '-o', out, '--json', ...OPTS));
    reference = { selected: report.parameters.map((p: { selected: number }) => p.selected), model: readFileSync(out) };
    expect(report.selected).toBeGreaterThan(0);
  });

  it.each([1, 3, 7])(
    'N = %i: same header, sums within 1e-12 relative, identical SSD selection and weights',
    async (n) => {
      const merged = join(dir, `merged${n}.fisher`);
      const paths = await parts(dir, TRAIN, n);
      await ok('fisher', 'merge', ...paths.reverse(), '-o', merged);

      const a = readFisher(single);
      const b = readFisher(merged);
      expect(b.header).toEqual(a.header);
      let worst = 0;
      for (const [name, s] of a.sums) {
        const m = b.sums.get(name)!;
        for (let i = 0; i < s.length; i++) {
          if (s[i] === 0) expect(m[i]).toBe(0);
          else worst = Math.max(worst, Math.abs(m[i] - s[i]) / Math.abs(s[i]));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-12);

      const out = join(dir, `merged${n}.onnx`);
      const report = JSON.parse(await ok(MODEL, FORGET, '--fisher', merged, '-o', out, '--json', ...OPTS));
      expect(report.parameters.map((p: { selected: number }) => p.selected)).toEqual(reference.selected);
      expect(readFileSync(out).equals(reference.model)).toBe(true);
    },
  );
});

describe.skipIf(noFashionMnist)('shard and merge bad input: a clear error, exit 2, nothing written', () => {
  const dir = tmp();
  const small = `${IDX}@0:640`;
  let three: string[];
  const made: Record<string, string> = {};

  beforeAll(async () => {
    three = await parts(dir, small, 3);
    made.two = await part(dir, 'half', small, 0, 2);
    made.otherModel = await part(dir, 'mlp', small, 1, 3, [], `${FIXTURES}/models/mlp.onnx`);
    made.otherData = await part(dir, 'shifted', `${IDX}@1:641`, 1, 3);
    made.otherBatch = await part(dir, 'b32', small, 1, 3, ['--batch-size', '32']);
    made.otherMethod = await part(dir, 'lf', small, 1, 3, ['--method', 'lf-ssd']);
    made.otherParams = await part(dir, 'fc', small, 1, 3, ['--params', '^fc']);
    made.whole = join(dir, 'whole.fisher');
    await ok('fisher', MODEL, small, '-o', made.whole, ...OPTS);
    made.copy = join(dir, 'copy.fisher');
    copyFileSync(three[1], made.copy);
    // part 1/3 as another scrub version would have made it (same header length, so the layout holds)
    const bytes = readFileSync(three[1]).toString('latin1');
    const version = /"createdBy":"scrub ([^"]+)"/.exec(bytes)![1];
    const other = version.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    made.otherScrub = join(dir, 'other-scrub.fisher');
    writeFileSync(
      made.otherScrub,
      Buffer.from(bytes.replace(`"createdBy":"scrub ${version}"`, `"createdBy":"scrub ${other}"`), 'latin1'),
    );
  });

  /** Runs the command with -o OUT and checks: exit 2, the message, no OUT, no temporary file. */
  async function refused(args: string[], message: RegExp): Promise<void> {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.fisher`);
    const r = await run(...args, '-o', out, ...OPTS.slice(-1));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('out-') || f.includes('.tmp-'))).toEqual([]);
  }

  const shardCases: [string, string, RegExp][] = [
    ['not K/N', 'abc', /--shard abc: expected K\/N with 0 ≤ K < N, K 0-based/],
    ['K = N (K is 0-based)', '3/3', /--shard 3\/3: K must be between 0 and 2 \(K is 0-based\)/],
    ['a negative K', '-1/3', /--shard -1\/3: expected K\/N/],
    ['N = 0', '0/0', /--shard 0\/0: N must be a positive number of parts/],
    ['a fraction', '1.5/3', /--shard 1\.5\/3: expected K\/N/],
  ];
  it.each(shardCases)('--shard %s', async (_, shard, message) => {
    await refused(['fisher', MODEL, small, `--shard=${shard}`], message);
  });

  it('--shard with --on-bad-input skip', async () => {
    await refused(
      ['fisher', MODEL, small, '--shard', '0/2', '--on-bad-input', 'skip'],
      /--shard cannot be combined with --on-bad-input skip/,
    );
  });

  it('a gap: a part missing', async () => {
    await refused(['fisher', 'merge', three[0], three[2]], /batches 3–5 of 10 are in no part \(missing: part 1\/3\)/);
  });

  it('a gap at the end', async () => {
    await refused(['fisher', 'merge', three[0], three[1]], /batches 6–9 of 10 are in no part \(missing: part 2\/3\)/);
  });

  it('an overlap: parts of different splits', async () => {
    await refused(
      ['fisher', 'merge', made.two, three[1], three[2]],
      /part 1\/3, batches 3–5\) overlaps .*part 0\/2, batches 0–4\) in batches 3–4/,
    );
  });

  it('a part given twice', async () => {
    await refused(['fisher', 'merge', three[0], three[1], three[1], three[2]], /part1of3\.fisher: given twice/);
  });

  it('a duplicate part under another name', async () => {
    await refused(
      ['fisher', 'merge', three[0], three[1], made.copy, three[2]],
      /copy\.fisher: part 1\/3 again \(also .*part1of3\.fisher\)/,
    );
  });

  const origins: [string, keyof typeof made, RegExp][] = [
    ['another model', 'otherModel', /computed for another model than .*part0of3\.fisher \(.*mlp\.onnx/],
    ['other data', 'otherData', /computed on other data than .*part0of3\.fisher \(.*@1:641.*; .*@0:640/],
    [
      'another batch size',
      'otherBatch',
      /batch size 32, .*part0of3\.fisher: 64; compute every part with the same --batch-size/,
    ],
    [
      'another method',
      'otherMethod',
      /holds lf-ssd-importance, .*part0of3\.fisher holds ssd-importance: parts of different methods/,
    ],
    [
      'another scrub version',
      'otherScrub',
      /made by scrub [^,]+, .*part0of3\.fisher by scrub .*; compute every part with the same scrub version/,
    ],
    [
      'other parameters',
      'otherParams',
      /covers other parameters than .*part0of3\.fisher; compute every part with the same --params/,
    ],
  ];
  it.each(origins)('a part from %s', async (_, key, message) => {
    await refused(['fisher', 'merge', three[0], made[key], three[2]], message);
  });

  it('a whole Fisher file given as a part', async () => {
    await refused(['fisher', 'merge', made.whole], /whole\.fisher: a whole Fisher file, not a part/);
  });

  it('no parts', async () => {
    await refused(['fisher', 'merge'], /expected the parts and -o FILE/);
  });

  it('a part used as a Fisher file for SSD', async () => {
    const out = join(dir, 'ssd.onnx');
    const r = await run(MODEL, `${small}@0:64`, '--fisher', three[0], '-o', out, ...OPTS);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /part 0\/3 of a sharded Fisher file, not a whole one; combine all 3 parts with `scrub fisher merge/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
