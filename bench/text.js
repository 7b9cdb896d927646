// Tokenization throughput in npm run bench (section 'text'): GoEmotions' 43,410 train texts through
// src/data/tokenizer.ts (the fixture tokenizer, 48 ids, @huggingface/tokenizers 0.2.0), examples/s:
// the library's encode() alone (raw ids), encode() per text (truncated, padded, int64 arrays) and
// encodeBatch() in batches of 64 (pad 'max'). Best of ROUNDS passes, as the host may be shared.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../dist/data/tokenizer.js';

const ROUNDS = 3;
const BATCH = 64;

export async function benchTokenizer(root) {
  const dir = join(root, 'test/fixtures/text');
  const tok = loadTokenizer(join(dir, 'tokenizer'));
  const lines = readFileSync(join(dir, 'data/train.tsv'), 'utf8').split('\n');
  const texts = lines.filter((l) => l !== '').map((l) => l.split('\t')[0]);
  const rate = (pass) => {
    pass(); // warm-up
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      pass();
      best = Math.max(best, texts.length / ((performance.now() - t0) / 1000));
    }
    return best;
  };
  const r = {
    examples: texts.length,
    max_length: tok.maxLength,
    ids_examples_per_s: rate(() => texts.forEach((t) => tok.ids(t))),
    encode_examples_per_s: rate(() => texts.forEach((t) => tok.encode(t))),
    encode_batch64_examples_per_s: rate(() => {
      for (let s = 0; s < texts.length; s += BATCH) tok.encodeBatch(texts.slice(s, s + BATCH));
    }),
  };
  const k = (v) => `${(v / 1000).toFixed(1)}k`;
  console.log(
    `text: tokenization of ${r.examples} GoEmotions train texts to ${r.max_length} ids, examples/s (1 thread): ` +
      `library ids ${k(r.ids_examples_per_s)}, encode ${k(r.encode_examples_per_s)}, ` +
      `encodeBatch(${BATCH}) ${k(r.encode_batch64_examples_per_s)}`,
  );
  return r;
}
