// What a run computes once and reads again: a set kept in memory by one pass (data/kept.ts) and read
// through the run context (openAs): the same batches at the same size, the source otherwise, and only
// for readers that decode alike; logits a pass computed for a model file, head and batch (logitsOf);
// a forward model opened only when a pass needs logits it does not have (openOnUse); and an edited
// model's shapes taken from the model it edits (shareProbe).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunContext } from '../src/context/index.js';
import { keptDataset, sameDecoding } from '../src/data/kept.js';
import type { Batch, Dataset, DatasetOptions } from '../src/data/dataset.js';
import { loadModel } from '../src/graph/load.js';
import { writeModel } from '../src/graph/write.js';
import { openOnUse, type ForwardModel } from '../src/runtime/forward.js';
import { probeModel, shareProbe } from '../src/runtime/shapes.js';
import { FIXTURES } from './support/fixtures.js';

const MODEL = `${FIXTURES}/models/cnn.onnx`;
const DATA = `${FIXTURES}/data/t10k-100-images-idx3-ubyte`;

async function all(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

/** A set of `n` one-value examples whose batches(size) calls are counted. */
function counted(n: number): Dataset & { reads: number } {
  const d = {
    reads: 0,
    count: n,
    labelled: true,
    description: 'counted',
    exampleDims: [1],
    skipped: 0,
    skippedExamples: [],
    async *batches(size: number, positions?: { start: number; end: number }): AsyncGenerator<Batch> {
      d.reads++;
      const [start, end] = [positions?.start ?? 0, positions?.end ?? n];
      for (let i = start; i < end; i += size) {
        const index = Array.from({ length: Math.min(size, end - i) }, (_, k) => i + k);
        yield {
          x: { data: Float32Array.from(index), dims: [index.length, 1] },
          y: BigInt64Array.from(index.map(BigInt)),
          labelled: true,
          index,
        };
      }
    },
  };
  return d;
}

describe('keptDataset', () => {
  it('yields the kept batches again at their size over the whole set, and reads the source otherwise', async () => {
    const source = counted(10);
    const kept = await all(source.batches(4));
    const d = keptDataset(source, kept, 4);
    expect(source.reads).toBe(1);
    expect(d.count).toBe(10);
    expect(d.description).toBe('counted');
    // twice: a pass does not use them up
    for (let pass = 0; pass < 2; pass++) {
      const again = await all(d.batches(4));
      expect(again).toHaveLength(3);
      again.forEach((b, i) => expect(b).toBe(kept[i]));
    }
    expect(source.reads).toBe(1);
    expect((await all(d.batches(3))).map((b) => b.index)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect((await all(d.batches(4, { start: 2, end: 5 }))).map((b) => b.index)).toEqual([[2, 3, 4]]);
    expect(source.reads).toBe(3);
  });
});

describe('sameDecoding', () => {
  const base: DatasetOptions = { input: { dtype: 1, dims: ['batch', 1, 28, 28] }, mean: [0.5], std: [0.25] };
  it('compares what decoding depends on, not notes or roles', () => {
    expect(sameDecoding(base, { ...base, role: 'forget', onNote: () => {} })).toBe(true);
    expect(sameDecoding(base, { ...base, onBadInput: 'stop' })).toBe(true);
    expect(sameDecoding(base, { ...base, mean: [0.4] })).toBe(false);
    expect(sameDecoding(base, { ...base, onBadInput: 'skip' })).toBe(false);
    expect(sameDecoding(base, { ...base, input: { dtype: 1, dims: [1, 1, 28, 28] } })).toBe(false);
    expect(sameDecoding(base, { ...base, labelWidth: 10 })).toBe(false);
    expect(sameDecoding({ ...base, tokenizer: 'a.json' }, { ...base, tokenizer: 'b.json' })).toBe(false);
  });
});

describe('RunContext.openAs', () => {
  it('reads the batches a pass kept where the reader decodes the set as the run does, else the source', async () => {
    const ctx = RunContext.open({ model: MODEL, out: join(mkdtempSync(join(tmpdir(), 'scrub-kept-')), 'o.onnx') });
    try {
      const data = await ctx.openSet(DATA, 'forget');
      const kept = await all(data.batches(64));
      ctx.keep(DATA, data, kept, 64);
      const same = await all((await ctx.openAs(DATA, 'forget', ctx.dataOptions)).batches(64));
      same.forEach((b, i) => expect(b).toBe(kept[i]));
      // other normalisation: decoded from the file, to other values
      const other = await ctx.openAs(DATA, 'forget', { ...ctx.dataOptions, mean: [0.5] });
      const decoded = await all(other.batches(64));
      expect(decoded.map((b) => b.index)).toEqual(kept.map((b) => b.index));
      expect(decoded[0]).not.toBe(kept[0]);
      expect(decoded[0].x.data).not.toEqual(kept[0].x.data);
      // a set no pass kept: from its source
      const test = await ctx.openAs(`${DATA}@0:10`, 'test', ctx.dataOptions);
      expect(test.count).toBe(10);
    } finally {
      await ctx.release();
    }
  });
});

describe('RunContext.rememberLogits and logitsOf', () => {
  it('hold logits per model file, head and batch object', async () => {
    const ctx = RunContext.open({ model: MODEL, out: join(mkdtempSync(join(tmpdir(), 'scrub-kept-')), 'o.onnx') });
    try {
      const [a, b] = await all(counted(8).batches(4));
      const head = { logits: 'logits', kind: 'logits' as const };
      const logits = new Float32Array([1, 2, 3]);
      ctx.rememberLogits('dir/../m.onnx', head, a, logits);
      expect(ctx.logitsOf('m.onnx', head, a)).toBe(logits);
      expect(ctx.logitsOf('m.onnx', head, b)).toBeUndefined();
      // a copy of the batch is another batch: nothing says it holds the same examples
      expect(ctx.logitsOf('m.onnx', head, { ...a })).toBeUndefined();
      expect(ctx.logitsOf('other.onnx', head, a)).toBeUndefined();
      expect(ctx.logitsOf('m.onnx', { logits: 'probs', kind: 'logits' }, a)).toBeUndefined();
      expect(ctx.logitsOf('m.onnx', { logits: 'logits', kind: 'binary' }, a)).toBeUndefined();
    } finally {
      await ctx.release();
    }
  });
});

describe('openOnUse', () => {
  it('opens the model at the first logits call, once, and releases only what it opened', async () => {
    let opened = 0;
    let released = 0;
    const fake = {
      logits: async () => new Float32Array([opened]),
      release: async () => void released++,
    } as unknown as ForwardModel;
    const open = async () => (opened++, fake);
    const unused = openOnUse(open, []);
    await unused.release();
    expect([opened, released]).toEqual([0, 0]);
    const used = openOnUse(open, []);
    expect(await used.logits({})).toEqual(new Float32Array([1]));
    await used.logits({});
    expect(opened).toBe(1);
    await used.release();
    expect(released).toBe(1);
  });
});

describe('shareProbe', () => {
  it("gives a weights-only edit the original's probe, and a different graph its own", async () => {
    const original = loadModel(MODEL);
    const out = join(mkdtempSync(join(tmpdir(), 'scrub-probe-')), 'edited.onnx');
    const w = new Float32Array(16 * 9).fill(0.5);
    writeModel(original, out, new Map([['conv1.weight', w]]));
    const edited = loadModel(out);
    expect(shareProbe(edited, original)).toBe(true);
    expect(probeModel(edited)).toBe(probeModel(original));
    // once shared or probed, kept
    expect(shareProbe(edited, original)).toBe(false);
    const other = loadModel(`${FIXTURES}/models/mlp.onnx`);
    expect(shareProbe(other, original)).toBe(false);
    expect(probeModel(other)).not.toBe(probeModel(original));
    expect((await probeModel(other)).shapes).not.toEqual((await probeModel(original)).shapes);
  });
});
