// Text sets (data/text.ts): GoEmotions' TSV, CSV/TSV with a header and JSON Lines text tokenized with
// --tokenizer into the model's named inputs; JSON Lines rows keyed by the input names; selections,
// padding, labels (class indices and multi-hot lists) and bad input named by file, line and field; and
// the command line end to end on the BERT fixture.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetOptions } from '../src/context/options.js';
import { openDataset, selectionOf, type Batch, type DataNote, type DatasetOptions } from '../src/data/dataset.js';
import { exampleDigests, hex } from '../src/data/digest.js';
import { readNpy } from '../src/data/npy.js';
import { splitCsv } from '../src/data/text.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { DataType } from '../src/graph/ir.js';
import { loadModel } from '../src/graph/load.js';
import { modelInputs } from '../src/runtime/gradient.js';
import { run } from './support/cli.js';
import { rejects } from './support/expect-error.js';

const TEXT = join(import.meta.dirname, 'fixtures/text');
const DEV = join(TEXT, 'data/dev.tsv');
const TOKENIZER = join(TEXT, 'tokenizer');
const MODEL = join(TEXT, 'models/bert.onnx');
const L = 48;

const tmp = mkdtempSync(join(tmpdir(), 'scrub-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

const NAMES = ['input_ids', 'attention_mask', 'token_type_ids'];
const inputsOf = (names = NAMES, dims: (string | number)[] = ['batch', 'sequence'], dtype = DataType.INT64) =>
  names.map((name) => ({ name, dtype, dims }));
const BERT: DatasetOptions = { input: inputsOf()[0], inputs: inputsOf(), tokenizer: TOKENIZER, labelWidth: 28 };

/** GoEmotions' dev.tsv as the fixture README describes it: text, comma-separated label ids, comment id. */
const devRows = readFileSync(DEV, 'utf8')
  .split('\n')
  .filter((l) => l)
  .map((l) => {
    const [text, labels] = l.split('\t');
    return { text, labels: labels.split(',').map(Number) };
  });

async function all(spec: string, opts: DatasetOptions, size = 64): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of (await openDataset(spec, opts)).batches(size)) out.push(b);
  return out;
}
const ints = (t: { data: ArrayLike<number | bigint> }) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('GoEmotions dev.tsv with the BERT tokenizer', () => {
  it('gives the fixture ids, masks, zero token types and multi-hot targets of width 28 for every example', async () => {
    const ds = await openDataset(DEV, BERT);
    expect(ds.count).toBe(5426);
    expect(ds.labelled).toBe(true);
    expect(ds.labelWidth).toBe(28);
    expect(ds.exampleDims).toEqual([L]);
    const ref = readNpy(join(TEXT, 'tokens/dev.input_ids.npy'));
    expect(ref.shape).toEqual([5426, L]);
    let n = 0;
    let wrongIds = 0;
    let wrongMask = 0;
    let wrongTargets = 0;
    for await (const b of ds.batches(500)) {
      expect(Object.keys(b.inputs!)).toEqual(NAMES);
      expect(b.x).toBe(b.inputs!.input_ids);
      const m = b.y.length;
      for (const name of NAMES) expect(b.inputs![name].dims).toEqual([m, L]);
      const ids = b.inputs!.input_ids.data as BigInt64Array;
      const mask = b.inputs!.attention_mask.data as BigInt64Array;
      expect((b.inputs!.token_type_ids.data as BigInt64Array).every((v) => v === 0n)).toBe(true);
      for (let i = 0; i < m * L; i++) {
        const want = (ref.data as Int32Array)[n * L + i];
        if (Number(ids[i]) !== want) wrongIds++;
        if (mask[i] !== (want !== 0 ? 1n : 0n)) wrongMask++;
      }
      expect([...b.y].every((y) => y === -1n)).toBe(true);
      for (let i = 0; i < m; i++) {
        const row = Array.from(b.targets!.subarray(i * 28, (i + 1) * 28));
        const want = Array.from({ length: 28 }, (_, k) => (devRows[n + i].labels.includes(k) ? 1 : 0));
        if (row.join() !== want.join()) wrongTargets++;
      }
      expect(b.index[0]).toBe(n);
      n += m;
    }
    expect(n).toBe(5426);
    expect([wrongIds, wrongMask, wrongTargets]).toEqual([0, 0, 0]);
  });

  it('takes the width from the largest label in the file without labelWidth, whatever a selection holds', async () => {
    const { labelWidth: _w, ...opts } = BERT;
    const ds = await openDataset(`${DEV}@label=18`, opts);
    expect(ds.labelWidth).toBe(28);
    expect(ds.description).toMatch(/C=28: the largest label \+ 1/);
  });

  it('selects by range, by label, by complement and by an index file', async () => {
    const first = await all(`${DEV}@0:100`, BERT, 30);
    expect(first.flatMap((b) => b.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const ref = readNpy(join(TEXT, 'tokens/dev.input_ids.npy'));
    expect(first.flatMap((b) => ints(b.x))).toEqual(Array.from((ref.data as Int32Array).subarray(0, 100 * L)));

    const love = devRows.flatMap((r, i) => (r.labels.includes(18) ? [i] : []));
    const ds = await openDataset(`${DEV}@label=18`, BERT);
    expect(ds.count).toBe(love.length);
    const batches = await all(`${DEV}@label=18`, BERT);
    for (const b of batches) for (let i = 0; i < b.y.length; i++) expect(b.targets![i * 28 + 18]).toBe(1);
    const sel = await selectionOf(`${DEV}@label=18`, { input: BERT.input }); // no tokenizer needed to select
    expect([...sel.set]).toEqual(love);
    expect((await openDataset(`${DEV}@~label=18`, BERT)).count).toBe(5426 - love.length);

    const list = write('some.json', JSON.stringify([5, 3, 4000]));
    const [b] = await all(`${DEV}@${list}`, BERT);
    expect(ints({ data: b.x.data.subarray(L, 2 * L) })).toEqual(
      Array.from((ref.data as Int32Array).subarray(5 * L, 6 * L)), // set order: 3, 5, 4000
    );
  });

  it("maps the tokenizer's outputs to the model's input names, in the model's order", async () => {
    const names = ['input_ids:0', 'token_type_ids:0', 'attention_mask:0'];
    const opts = { ...BERT, input: inputsOf(names)[0], inputs: inputsOf(names, ['batch', 64], DataType.INT32) };
    const [b] = await all(`${DEV}@0:2`, opts);
    expect(Object.keys(b.inputs!)).toEqual(names);
    expect(b.inputs!['input_ids:0'].data).toBeInstanceOf(Int32Array);
    expect(b.inputs!['input_ids:0'].dims).toEqual([2, 64]); // the model's fixed length: padded on
    const tok = loadTokenizer(TOKENIZER);
    const want = [...tok.encode(devRows[0].text).attention_mask].map(Number).concat(Array(16).fill(0));
    expect(ints(b.inputs!['attention_mask:0']).slice(0, 64)).toEqual(want);
  });

  it('a model with one input takes input_ids', async () => {
    const [b] = await all(`${DEV}@0:3`, {
      input: { dtype: DataType.INT64, dims: ['batch', 'seq'] },
      tokenizer: TOKENIZER,
    });
    expect(b.inputs).toBeUndefined();
    expect(b.x.dims).toEqual([3, L]);
    expect(Number((b.x.data as BigInt64Array)[0])).toBe(2); // [CLS]
  });

  it('datasetOptions passes the tokenizer and the head width of the model', () => {
    const model = loadModel(MODEL);
    const o = datasetOptions({ inputs: modelInputs(model) }, model, { tokenizer: TOKENIZER, multiLabel: true });
    expect(o.tokenizer).toBe(TOKENIZER);
    expect(o.labelWidth).toBe(28);
    expect(o.inputs!.map((i) => i.name)).toEqual(NAMES);
  });
});

describe('other text layouts', () => {
  const tok = loadTokenizer(TOKENIZER);
  const idsOf = (text: string) => [...tok.encode(text).input_ids].map(Number);

  it('JSON Lines {"text", "label"}: class indices as y', async () => {
    const p = write('a.jsonl', '{"text": "I love it", "label": 2}\n\n{"text": "so sad", "label": 0}\n');
    const [b] = await all(p, BERT);
    expect([...b.y]).toEqual([2n, 0n]);
    expect(b.targets).toBeUndefined();
    expect(ints(b.x).slice(0, L)).toEqual(idsOf('I love it'));
    expect(ints(b.x).slice(L)).toEqual(idsOf('so sad'));
    expect((await openDataset(`${p}@label=2`, BERT)).count).toBe(1);
  });

  it('JSON Lines {"text", "labels": [...]} and rows without labels', async () => {
    const p = write('b.jsonl', '{"text": "a", "labels": [1, 27]}\n{"text": "b", "labels": []}\n');
    const [b] = await all(p, BERT);
    expect(b.targets!.length).toBe(56);
    expect(b.targets![1] + b.targets![27]).toBe(2);
    expect(b.targets!.reduce((a, v) => a + v, 0)).toBe(2);
    const u = write('c.jsonl', '{"text": "a"}\n{"text": "b"}\n');
    const ds = await openDataset(u, BERT);
    expect(ds.labelled).toBe(false);
  });

  it('CSV with a header, quoted fields (commas, quotes, newlines) and a labels column', async () => {
    const p = write('d.csv', 'id,text,labels\r\n7,"Hello, ""world""",3\r\n8,"two\nlines","1,2"\r\n9,plain,0\r\n');
    const batches = await all(p, BERT);
    const [b] = batches;
    expect(b.index).toEqual([0, 1, 2]);
    expect(ints(b.x).slice(0, L)).toEqual(idsOf('Hello, "world"'));
    expect(ints(b.x).slice(L, 2 * L)).toEqual(idsOf('two\nlines'));
    expect([1, 2].map((k) => b.targets![28 + k])).toEqual([1, 1]);
    expect(splitCsv('a,"b')).toBeUndefined();
    expect(splitCsv('"a""b",,c')).toEqual(['a"b', '', 'c']);
  });

  it('TSV with a header and a label column', async () => {
    const p = write('e.tsv', 'label\ttext\n1\tgood\n0\tbad\n');
    const [b] = await all(p, BERT);
    expect([...b.y]).toEqual([1n, 0n]);
    expect(ints(b.x).slice(L)).toEqual(idsOf('bad'));
  });
});

describe('JSON Lines rows keyed by the model inputs (no tokenizer)', () => {
  const rows = [
    '{"input_ids": [2, 10, 3], "attention_mask": [1, 1, 1], "token_type_ids": [0, 0, 0], "labels": [4]}',
    '{"input_ids": [2, 11, 12, 13, 3], "attention_mask": [1, 1, 1, 1, 1], ' +
      '"token_type_ids": [0, 0, 0, 0, 0], "labels": [1, 5]}',
    '{"input_ids": [2, 3], "attention_mask": [1, 1], "token_type_ids": [0, 0], "labels": []}',
  ];
  const { tokenizer: _t, ...noTok } = BERT;

  it('pads rows of different lengths to the longest of the file, the same in every batch', async () => {
    const p = write('n.jsonl', rows.join('\n') + '\n');
    const ds = await openDataset(p, noTok);
    expect(ds.exampleDims).toEqual([5]);
    expect(ds.labelWidth).toBe(28);
    const [b] = await all(p, noTok);
    expect(ints(b.inputs!.input_ids)).toEqual([2, 10, 3, 0, 0, 2, 11, 12, 13, 3, 2, 3, 0, 0, 0]);
    expect(ints(b.inputs!.attention_mask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(b.targets![4] + b.targets![28 + 1] + b.targets![28 + 5]).toBe(3);
    // digests do not depend on the batch an example is read in
    const one = (await all(p, noTok, 1)).flatMap((x) => exampleDigests(x).map(hex));
    expect(exampleDigests(b).map(hex)).toEqual(one);
  });

  it("pads to the tokenizer's length with its pad id when --tokenizer is given", async () => {
    const p = write('n2.jsonl', rows.join('\n') + '\n');
    const [b] = await all(`${p}@1:3`, BERT);
    expect(b.x.dims).toEqual([2, L]);
    expect(ints(b.x).slice(L, L + 3)).toEqual([2, 3, 0]);
  });

  it('without labels, and refusing rows that miss an input or a label', async () => {
    const p = write('n3.jsonl', '{"input_ids": [2, 3], "attention_mask": [1, 1], "token_type_ids": [0, 0]}\n');
    expect((await openDataset(p, noTok)).labelled).toBe(false);
    const q = write('n4.jsonl', `${rows[0]}\n{"input_ids": [2, 3], "token_type_ids": [0, 0], "labels": [1]}\n`);
    await rejects(all(q, noTok), /n4\.jsonl:2: no field "attention_mask"/);
    const r = write('n5.jsonl', '{"input_ids": [2, 3], "labels": [1]}\n');
    await rejects(openDataset(r, noTok), /n5\.jsonl:1: no field "attention_mask".*input_ids, attention_mask/);
  });
});

describe('bad input: one line naming file, line and field', () => {
  it('text without --tokenizer says to pass it', async () => {
    const { tokenizer: _t, ...opts } = BERT;
    await rejects(openDataset(`${DEV}@0:10`, opts), /dev\.tsv: holds text.*Pass --tokenizer PATH/);
  });

  it('a row missing its text or its label', async () => {
    const p = write('m.jsonl', '{"text": "a", "label": 1}\n{"label": 1}\n');
    await rejects(all(p, BERT), /m\.jsonl:2: no field "text"/);
    const q = write('m2.jsonl', '{"text": "a", "label": 1}\n{"text": "b"}\n');
    await rejects(all(q, BERT), /m2\.jsonl:2: no field "label"/);
    const t = write('m.tsv', 'good one\t1\tid1\nno labels here\n');
    await rejects(all(t, BERT), /m\.tsv:2: no field "labels" \(column 2/);
  });

  it("a label index outside the head's classes", async () => {
    const p = write('o.tsv', 'fine\t1,2\tx\nnot fine\t3,30\ty\n');
    const msg = await rejects(all(p, BERT), /o\.tsv:2: field "labels": label 30 is out of range: the model has 28/);
    expect(msg).toMatch(/--on-bad-input skip/);
    const q = write('o.jsonl', '{"text": "a", "label": 28}\n');
    await rejects(all(q, BERT), /o\.jsonl:1: field "label": label 28 is out of range/);
    const r = write('o2.jsonl', '{"text": "a", "label": "joy"}\n');
    await rejects(all(r, BERT), /o2\.jsonl:1: field "label" holds "joy", not a label index/);
  });

  it('--on-bad-input skip leaves bad rows out with a note', async () => {
    const p = write('s.tsv', 'fine\t1\tx\nbad\t99\ty\nalso fine\t2\tz\n');
    const notes: DataNote[] = [];
    const ds = await openDataset(p, { ...BERT, onBadInput: 'skip', onNote: (n) => notes.push(n) });
    const batches: Batch[] = [];
    for await (const b of ds.batches(8)) batches.push(b);
    expect(batches[0].index).toEqual([0, 2]);
    expect(ds.skipped).toBe(1);
    expect(notes.find((n) => n.kind === 'skip')!.message).toMatch(/s\.tsv:2: field "labels"/);
  });

  it("a tokenizer that does not produce the model's inputs", async () => {
    const dir = join(tmp, 'tok2');
    mkdirSync(dir);
    copyFileSync(join(TOKENIZER, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const config = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer_config.json'), 'utf8')) as object;
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ ...config, model_input_names: ['input_ids', 'attention_mask'] }),
    );
    await rejects(
      openDataset(DEV, { ...BERT, tokenizer: dir }),
      /token_type_ids, and the tokenizer produces input_ids, attention_mask \(tokenizer_config.*gives token_type_ids/,
    );
    const pixels = inputsOf(['pixel_values', 'input_ids']);
    await rejects(openDataset(DEV, { ...BERT, input: pixels[0], inputs: pixels }), /nothing gives pixel_values/);
  });

  it('a CSV without a header naming text, and a model fixing fewer tokens than the tokenizer', async () => {
    const p = write('h.csv', 'hello,1\n');
    await rejects(openDataset(p, BERT), /h\.csv:1: a CSV file needs a header row naming a "text" column/);
    const short = inputsOf(NAMES, ['batch', 16]);
    await rejects(openDataset(DEV, { ...BERT, input: short[0], inputs: short }), /take 16 tokens.*truncates to 48/);
  });
});

describe('the command line on the BERT fixture', () => {
  it('scrub eval reads a TSV selection with --tokenizer', async () => {
    const out = join(tmp, 'eval.json');
    const r = await run(
      'eval',
      MODEL,
      '--forget',
      `${DEV}@0:64`,
      '--tokenizer',
      TOKENIZER,
      '--multi-label',
      '--json',
      '-o',
      out,
    );
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { sets: { forget: { count: number } } };
    expect(report.sets.forget.count).toBe(64);
  });

  it('SSD forgets a label of text data', async () => {
    const out = join(tmp, 'ssd.onnx');
    const r = await run(
      MODEL,
      `${DEV}@label=18`,
      '--train',
      `${DEV}@0:512`,
      '--tokenizer',
      TOKENIZER,
      '--multi-label',
      '-o',
      out,
      '-q',
    );
    expect(r.code, r.err).toBe(0);
  });

  it('text without --tokenizer exits 2 saying to pass it', async () => {
    const r = await run('eval', MODEL, '--forget', `${DEV}@0:64`, '--multi-label', '--json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--tokenizer/);
  });
});
