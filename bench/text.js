// Tokenization throughput in npm run bench (section 'text'): GoEmotions' 43,410 train texts through
// src/data/tokenizer.ts (the fixture tokenizer, 48 ids, @huggingface/tokenizers 0.2.0), examples/s:
// the library's encode() alone (raw ids), encode() per text (truncated, padded, int64 arrays) and
// encodeBatch() in batches of 64 (pad 'max'). Best of ROUNDS passes, as the host may be shared.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../dist/data/tokenizer.js';
import { loadModel } from '../dist/graph/load.js';
import { GradientModel } from '../dist/runtime/gradient.js';
import { Session } from '../dist/runtime/session.js';
import { samplesPerSecond, torchPeerJson } from './measure.js';

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

/**
 * Gradient-pass and forward throughput of the text fixture's bert.onnx (three int64 inputs, multi-label
 * head) at batch 64 × 48 tokens, 1 and 2 threads, beside PyTorch's with reference_text.py's model class
 * measured in the same run (bench/torch_text.py) and report.json's.
 */
export async function benchBert(root) {
  const dir = join(root, 'test/fixtures/text');
  const model = loadModel(join(dir, 'models/bert.onnx'));
  const [B, L, C] = [64, 48, 28];
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const ids = BigInt64Array.from({ length: B * L }, () => BigInt(4 + Math.floor(rand() * 8000)));
  const feeds = {
    input_ids: { data: ids, dims: [B, L] },
    attention_mask: { data: new BigInt64Array(B * L).fill(1n), dims: [B, L] },
    token_type_ids: { data: new BigInt64Array(B * L), dims: [B, L] },
  };
  const targets = Float32Array.from({ length: B * C }, () => (rand() < 0.1 ? 1 : 0));
  const rate = (step) => samplesPerSecond(step, { batch: B, seconds: 3 });
  const r = {};
  for (const threads of [1, 2]) {
    const gm = await GradientModel.open(model, { threads, multiLabel: true });
    const fwd = await Session.create(model.bytes, { threads });
    r[`threads${threads}`] = {
      grad_samples_per_s: await rate(() => gm.run(feeds, { targets })),
      forward_samples_per_s: await rate(() => fwd.run(feeds)),
    };
    await gm.release();
    await fwd.release();
  }
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).throughput;
  const text = join(root, '../shared/text');
  const peer =
    !process.env.SCRUB_BENCH_NO_TORCH && existsSync(join(text, 'reference_text.py'))
      ? torchPeerJson(join(root, 'bench/torch_text.py'), [text], 600_000)?.bert
      : undefined;
  const f = (v) => (v === undefined ? '—' : v.toFixed(0));
  console.log(`\nbert.onnx (text fixture), batch ${B} × ${L} tokens, samples/s`);
  console.log('thr  forward    grad  grad/fwd time | PyTorch grad: report.json  this run | scrub / torch (this run)');
  for (const t of [1, 2]) {
    const m = r[`threads${t}`];
    const p = peer?.[`threads${t}`];
    console.log(
      [
        String(t).padStart(3),
        f(m.forward_samples_per_s).padStart(8),
        f(m.grad_samples_per_s).padStart(7),
        `${(m.forward_samples_per_s / m.grad_samples_per_s).toFixed(2)}x`.padStart(14),
        '|',
        f(report?.[`threads${t}`]?.grad_samples_per_s).padStart(24),
        f(p?.grad_samples_per_s).padStart(9),
        '|',
        p ? `${(m.grad_samples_per_s / p.grad_samples_per_s).toFixed(2)}x` : '—',
      ].join(' '),
    );
    if (p) m.torch = p;
  }
  return r;
}

/**
 * ∇τ's default schedule on both GoEmotions scenarios, from the raw TSVs with the tokenizer, wall-clock
 * beside report.json's retraining time (the cost ∇τ saves) and its gradtau time.
 */
export async function benchTextGradtau(root) {
  const { runMethod } = await import('./method.js');
  const T = join(root, 'test/fixtures/text');
  const report = JSON.parse(readFileSync(join(T, 'report.json'), 'utf8')).scenarios;
  const out = {};
  console.log('\n∇τ default on GoEmotions (bert.onnx, raw TSVs, 1 thread), seconds');
  console.log('scenario   ∇τ default | PyTorch: retrain  gradtau reference');
  for (const scenario of ['label18', 'random10']) {
    const list = join(T, `scenarios/${scenario}.json`);
    const t0 = performance.now();
    await runMethod('gradtau', {
      model: join(T, 'models/bert.onnx'),
      forget: `${join(T, 'data/train.tsv')}@${list}`,
      retain: `${join(T, 'data/train.tsv')}@~${list}`,
      val: join(T, 'data/dev.tsv'),
      tokenizer: join(T, 'tokenizer'),
      multiLabel: true,
      threads: 1,
      out: join(root, `tmp/bench-text-${scenario}.onnx`),
    });
    const seconds = (performance.now() - t0) / 1000;
    const ref = report[scenario];
    out[scenario] = { seconds, retrain_seconds: ref.retrain_seconds, gradtau_seconds: ref.gradtau_seconds };
    const col = (v, w) => String(Math.round(v)).padStart(w);
    console.log(
      `${scenario.padEnd(10)} ${col(seconds, 10)} | ${col(ref.retrain_seconds, 16)}  ${col(ref.gradtau_seconds, 17)}`,
    );
  }
  return out;
}
