// The text tokenizer (src/data/tokenizer.ts) against ../shared/text/README.md's spec: the ids of every
// GoEmotions example of train, dev and test equal tokens/SPLIT.input_ids.npy (int32 [N,48]), with the
// truncation to 47 + [SEP] and the [PAD] padding; attention mask and token types; pad 'longest';
// bad input. Fixtures copied into test/fixtures/text (tokenizer/, data/, tokens/), so a clone tests the same.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../src/core/errors.js';
import { readNpy } from '../src/data/npy.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { FIXTURES } from './support/fixtures.js';

const TEXT = join(FIXTURES, 'text');
const TOKENIZER = join(TEXT, 'tokenizer');
const L = 48;
const SPLITS = { train: 43410, dev: 5426, test: 5427 } as const;

const tmp = mkdtempSync(join(tmpdir(), 'scrub-tokenizer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The texts of a GoEmotions TSV (`text<TAB>labels<TAB>id`, one a line, no header), in file order. */
function texts(split: string): string[] {
  const lines = readFileSync(join(TEXT, 'data', `${split}.tsv`), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t')[0]);
}

const tok = loadTokenizer(TOKENIZER);

describe('tokenizer: the spec of ../shared/text/README.md', () => {
  it('reads the config: 48 ids, input names, [PAD] 0, [SEP] 3 kept when truncating', () => {
    expect(tok.maxLength).toBe(L);
    expect(tok.inputNames).toEqual(['input_ids', 'token_type_ids', 'attention_mask']);
    expect(tok.padId).toBe(0);
    expect(tok.suffixIds).toEqual([3]);
    // the file or the folder
    expect(loadTokenizer(join(TOKENIZER, 'tokenizer.json')).encode('hi').input_ids).toEqual(tok.encode('hi').input_ids);
  });

  for (const [split, n] of Object.entries(SPLITS))
    it(`gives tokens/${split}.input_ids.npy for every ${split} example (${n})`, () => {
      const lines = texts(split);
      expect(lines.length).toBe(n);
      const want = readNpy(join(TEXT, 'tokens', `${split}.input_ids.npy`));
      expect(want.dtype).toBe('int32');
      expect(want.shape).toEqual([n, L]);
      const ref = want.data as Int32Array;
      let truncated = 0;
      const bad: number[] = [];
      const batch = 512;
      for (let s = 0; s < n; s += batch) {
        const b = tok.encodeBatch(lines.slice(s, s + batch));
        expect(b.dims).toEqual([Math.min(batch, n - s), L]);
        for (let k = 0; k < b.input_ids.length; k++) {
          const id = Number(b.input_ids[k]);
          const at = s * L + k;
          if (id !== ref[at] || b.attention_mask[k] !== (ref[at] !== 0 ? 1n : 0n) || b.token_type_ids[k] !== 0n)
            bad.push(Math.floor(at / L));
        }
      }
      for (let i = 0; i < n; i += 997) {
        const e = tok.encode(lines[i]);
        expect(Array.from(e.input_ids, Number)).toEqual(Array.from(ref.subarray(i * L, (i + 1) * L)));
      }
      for (const t of lines) if (tok.ids(t).length > L) truncated++;
      expect([...new Set(bad)].slice(0, 10)).toEqual([]);
      // tokens/stats.json: longer than 48: train 29, dev 4, test 6
      expect(truncated).toBe({ train: 29, dev: 4, test: 6 }[split]);
    });
});

describe('tokenizer: truncation, padding, batches', () => {
  it('truncates to the first 47 ids and [SEP]; pads with [PAD]; mask 1 on kept ids', () => {
    const long = Array.from({ length: 80 }, (_, i) => `w${i % 7}`).join(' ');
    const raw = tok.ids(long);
    expect(raw.length).toBeGreaterThan(L);
    expect(raw[0]).toBe(2);
    const e = tok.encode(long);
    expect(e.length).toBe(L);
    expect(Array.from(e.input_ids, Number)).toEqual([...raw.slice(0, L - 1), 3]);
    expect(e.attention_mask.every((v) => v === 1n)).toBe(true);

    const short = tok.encode('I love it!');
    const ids = tok.ids('I love it!');
    expect(ids[0]).toBe(2);
    expect(ids[ids.length - 1]).toBe(3);
    expect(short.length).toBe(ids.length);
    expect(Array.from(short.input_ids, Number)).toEqual([...ids, ...new Array<number>(L - ids.length).fill(0)]);
    expect(Array.from(short.attention_mask, Number)).toEqual(
      Array.from({ length: L }, (_, i) => (i < ids.length ? 1 : 0)),
    );
    expect(short.token_type_ids).toEqual(new BigInt64Array(L));
    for (const a of [short.input_ids, short.attention_mask, short.token_type_ids])
      expect(a).toBeInstanceOf(BigInt64Array);

    // exactly 48 ids: kept whole
    const words = (k: number) => Array.from({ length: k }, () => 'love').join(' ');
    const exact = tok.ids(words(46));
    expect(exact.length).toBe(L);
    expect(Array.from(tok.encode(words(46)).input_ids, Number)).toEqual(exact);
  });

  it("pad 'longest' is pad 'max' cut to the batch's longest row", () => {
    const texts = ['I love it!', 'what a [NAME] day, honestly', '', Array(60).fill('ok').join(' ')];
    const max = tok.encodeBatch(texts);
    const longest = tok.encodeBatch(texts.slice(0, 3), { pad: 'longest' });
    const w = Math.max(...texts.slice(0, 3).map((t) => tok.ids(t).length));
    expect(longest.dims).toEqual([3, w]);
    expect(Array.from(longest.lengths)).toEqual(texts.slice(0, 3).map((t) => tok.ids(t).length));
    for (let i = 0; i < 3; i++)
      for (const k of ['input_ids', 'attention_mask', 'token_type_ids'] as const)
        expect(longest[k].subarray(i * w, (i + 1) * w)).toEqual(max[k].subarray(i * L, i * L + w));
    // a truncated row makes 'longest' as wide as 'max'
    expect(tok.encodeBatch(texts, { pad: 'longest' }).input_ids).toEqual(max.input_ids);
    expect(tok.encodeBatch([], { pad: 'longest' }).dims).toEqual([0, 0]);
  });
});

describe('tokenizer: bad input', () => {
  const folder = (name: string, config?: Record<string, unknown>) => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    copyFileSync(join(TOKENIZER, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const base = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer_config.json'), 'utf8')) as object;
    if (config) writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...base, ...config }));
    return dir;
  };
  const fails = (f: () => unknown, pattern: RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(pattern);
  };

  it('a missing or unreadable tokenizer.json names the file and what to pass', () => {
    fails(() => loadTokenizer(join(tmp, 'nowhere')), /nowhere: no such file\. Pass the tokenizer\.json file/);
    fails(() => loadTokenizer(tmp), /tokenizer\.json: no such file\. Pass the tokenizer\.json file/);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"model": ');
    fails(() => loadTokenizer(broken), /broken\.json: the tokenizer is not valid JSON .*Pass the tokenizer\.json/);
  });

  it('refuses left padding or truncation, naming the field', () => {
    fails(
      () => loadTokenizer(folder('left-pad', { padding_side: 'left' })),
      /tokenizer_config\.json: padding_side "left"/,
    );
    fails(
      () => loadTokenizer(folder('left-trunc', { truncation_side: 'left' })),
      /tokenizer_config\.json: truncation_side "left" is not supported/,
    );
    fails(
      () => loadTokenizer(folder('names', { model_input_names: ['input_ids', 'pixel_values'] })),
      /model_input_names/,
    );
  });

  it('without tokenizer_config.json: tokenizer.json truncation and padding settings, default input names', () => {
    const t = loadTokenizer(folder('no-config'));
    expect(t.maxLength).toBe(L);
    expect(t.padId).toBe(0);
    expect(t.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(t.encode('I love it!').input_ids).toEqual(tok.encode('I love it!').input_ids);
  });
});
