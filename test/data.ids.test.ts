// Token ids outside the model's embedding table are bad input (issue 17): named in one line (file,
// row or example, field, the id and the table's size), exit 2, nothing written; --on-bad-input skip
// leaves such examples out. Before, ONNX Runtime's Gather failed and scrub blamed the model.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { run } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const BERT = `${FIXTURES}/text/models/bert.onnx`;
const LSTM = `${FIXTURES}/zoo/text_lstm.onnx`;

describe('token ids outside the embedding table', () => {
  it('a JSON Lines row of named inputs: exit 2 naming the line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-ids-'));
    const row = (ids: number[]) => ({
      input_ids: ids,
      attention_mask: ids.map(() => 1),
      token_type_ids: ids.map(() => 0),
      labels: [1],
    });
    writeFileSync(
      join(dir, 'rows.jsonl'),
      [row([2, 5, 3]), row([2, 9000, 3])].map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    const out = join(dir, 'out');
    const r = await run('eval', BERT, '--forget', join(dir, 'rows.jsonl'), '--multi-label', '-o', join(out, 'e.json'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /rows\.jsonl:2: field "input_ids": id 9000 at element 1 is outside the model's embedding table of 8004 rows/,
    );
    const skip = await run(
      'eval',
      BERT,
      '--forget',
      join(dir, 'rows.jsonl'),
      '--multi-label',
      '--on-bad-input',
      'skip',
      '--json',
      '-o',
      join(dir, 's.json'),
    );
    expect(skip.code, skip.err).toBe(0);
    expect(JSON.parse(skip.out).sets.forget.count).toBe(1);
    // the evaluation record names the row left out
    expect(JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).forgetSet.skipped).toEqual([
      { position: 1, reason: expect.stringMatching(/rows\.jsonl:2: field "input_ids": id 9000/) },
    ]);
  });

  it('an npy set and scrub grad: exit 2 naming the example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-ids-'));
    const x = readNpy(`${FIXTURES}/zoo/text_lstm/x.npy`);
    const ids = (x.data as BigInt64Array).slice();
    ids[2 * 12 + 3] = 5000n;
    writeFileSync(join(dir, 'x.npy'), encodeNpy(ids, x.shape));
    copyFileSync(`${FIXTURES}/zoo/text_lstm/y.npy`, join(dir, 'y.npy'));
    const e = await run('eval', LSTM, '--forget', join(dir, 'x.npy'), '-o', join(dir, 'e.json'));
    expect(e.code).toBe(2);
    expect(e.err).toMatch(
      /example 2: id 5000 at element 3 is outside the model's embedding table of 1000 rows \(ids 0 to 999\)/,
    );
    const g = await run('grad', LSTM, '--x', join(dir, 'x.npy'), '--y', join(dir, 'y.npy'), '--out', join(dir, 'g'));
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/input input, example 2: id 5000 at element 3 is outside the model's embedding table/);
    expect(readdirSync(dir).sort()).toEqual(['x.npy', 'y.npy']);
  });

  it('a tokenizer given to a model that takes no token ids: exit 2 in one line, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrub-ids-'));
    const tokenizer = `${FIXTURES}/text/tokenizer`;
    const e = await run(
      'eval',
      'models/cnn.onnx',
      '--forget',
      'models/forget/',
      '--tokenizer',
      tokenizer,
      '-o',
      join(dir, 'e.json'),
    );
    const u = await run('models/cnn.onnx', 'models/forget/', '--tokenizer', tokenizer, '-o', join(dir, 'cnn.onnx'));
    for (const r of [e, u]) {
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(
        /--tokenizer .*tokenizer: models\/cnn\.onnx takes no token ids \(its input 'input' is float32 \[/,
      );
      expect(r.err).toContain('Remove --tokenizer.');
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
