// The main command's text summary says what happened: per set evaluated, accuracy before → after →
// retrained, and the attacks, in one table whose numbers are the run's own (its record, which holds the
// metrics the --json report prints). The record carries the loss and entropy histograms of every set
// and model, validates against the report schema with and without them, and `scrub verify` accepts it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, validateReport } from '../src/index.js';
import { recordJson, type UnlearningRecord } from '../src/record/record.js';
import { evaluationTable } from '../src/cli/summary.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';
import { FIXTURES } from './support/fixtures.js';

const noFashionMnist = withoutFashionMnist();

const MODEL = `${FIXTURES}/models/mlp.onnx`;
const FORGET = `${FM}/train-images-idx3-ubyte.gz@0:64`;
const RETAIN = `${FM}/train-images-idx3-ubyte.gz@64:1088`;
const TEST = `${FM}/t10k-images-idx3-ubyte.gz@0:512`;
const NORM = ['--mean', '0.286', '--std', '0.353'];
// finetune with every set and the input model standing in for a retrained one (the column is what is checked)
const RUN = [MODEL, FORGET, '--method', 'finetune', '--retain', RETAIN, '--test', TEST, '--retrain', MODEL, ...NORM];

interface Block {
  values: Record<string, number>;
  distributions?: Record<string, Record<'loss' | 'entropy', { edges: number[]; counts: number[]; nonFinite: number }>>;
}

describe.skipIf(noFashionMnist)('the summary table of scrub MODEL FORGET', () => {
  let dir: string;
  let cli: { code: number; out: string; err: string };
  let record: { metrics: { before: Block; after: Block; retrain: Block } };
  let out: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scrub-summary-'));
    out = join(dir, 'mlp.onnx');
    // the input model stands in for a retrained one: the column is what is checked
    cli = await run(...RUN, '--threads', '1', '-o', out);
    record = JSON.parse(readFileSync(join(dir, 'mlp.record.json'), 'utf8'));
  }, 300_000);

  it('prints accuracy per set and the attacks, before, after and retrained, with the run’s numbers', () => {
    expect(cli.code, cli.err).toBe(0);
    const lines = cli.out.split('\n');
    const header = lines.findIndex((l) => /^\s+evaluation\s/.test(l));
    expect(header, cli.out).toBeGreaterThanOrEqual(0);
    expect(lines[header].trim().split(/\s+/)).toEqual(['evaluation', 'before', 'after', 'retrained']);
    const { before, after, retrain } = record.metrics;
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    const rows: [string, string, (v: number) => string][] = [
      ['forget acc', 'forget_acc', pct],
      ['retain acc', 'retain_acc', pct],
      ['test acc', 'test_acc', pct],
      ['mia (entropy)', 'mia', (v) => v.toFixed(3)],
      ['mia_loss', 'mia_loss', (v) => v.toFixed(3)],
    ];
    const table = lines.slice(header + 1, header + 1 + rows.length);
    for (const [i, [label, metric, format]] of rows.entries()) {
      const line = table[i];
      expect(line.startsWith(`    ${label} `), line).toBe(true);
      const cells = line
        .slice(4 + label.length)
        .trim()
        .split(/\s+/);
      for (const [k, block] of [before, after, retrain].entries()) {
        expect(typeof block.values[metric], metric).toBe('number');
        expect(cells[k], `${label}, column ${k}`).toBe(format(block.values[metric]));
      }
    }
    expect(table[4]).toMatch(/0\.5 = cannot tell/);
    // the columns line up: every value starts where its model's name does in the header
    const starts = [...lines[header].matchAll(/\S+/g)].slice(1).map((m) => m.index);
    expect(starts).toHaveLength(3);
    for (const line of table)
      for (const c of starts) expect(line[c - 1] === ' ' && line[c] !== ' ', `${line} at ${c}`).toBe(true);
  });

  it('records the loss and entropy histograms of every set under every model, counting every example', () => {
    const counts = { forget: 64, retain: 1024, test: 512 };
    for (const block of Object.values(record.metrics)) {
      expect(Object.keys(block.distributions!)).toEqual(['forget', 'retain', 'test']);
      for (const [set, n] of Object.entries(counts))
        for (const h of Object.values(block.distributions![set])) {
          expect(h.edges).toHaveLength(26);
          expect(h.counts).toHaveLength(25);
          expect(h.counts.reduce((a, b) => a + b, 0) + h.nonFinite).toBe(n);
        }
      expect(block.distributions!.test.entropy.edges.at(-1)).toBeCloseTo(Math.log(10), 12);
    }
    // the before and the retrained model are one model here: the same histograms
    expect(record.metrics.retrain.distributions).toEqual(record.metrics.before.distributions);
    // a few KB in all
    const size = readFileSync(join(dir, 'mlp.record.json'), 'utf8').length;
    const without = recordJson({
      ...record,
      metrics: Object.fromEntries(
        Object.entries(record.metrics).map(([k, b]) => [k, { ...b, distributions: undefined }]),
      ),
    } as unknown as UnlearningRecord).length;
    expect(size - without).toBeGreaterThan(0);
    expect(size - without).toBeLessThan(7000);
  });

  it('the --json report of the same run holds the same metrics, and validates with its distributions', async () => {
    const j = await run(...RUN, '--threads', '1', '-o', join(dir, 'json', 'mlp.onnx'), '--json');
    expect(j.code, j.err).toBe(0);
    const report = JSON.parse(j.out);
    for (const k of ['before', 'after', 'retrain'] as const) {
      expect(report.metrics[k].values).toEqual(record.metrics[k].values);
      expect(report.metrics[k].distributions).toEqual(record.metrics[k].distributions);
    }
    expect(validateReport(report)).toEqual([]);
  });

  it('scrub verify accepts the fresh record', async () => {
    const v = await run('verify', out, join(dir, 'mlp.record.json'), '--json');
    expect(v.code, v.err + v.out).toBe(0);
    expect(JSON.parse(v.out).ok).toBe(true);
  });

  it('an eval report validates with its distributions, and without them (written before they were kept)', async () => {
    const r = await evaluate({
      model: MODEL,
      forget: FORGET,
      test: TEST,
      mean: [0.286],
      std: [0.353],
      out: join(dir, 'eval.record.json'),
    });
    expect(Object.keys(r.metrics.distributions!)).toEqual(['forget', 'test']);
    expect(validateReport(r)).toEqual([]);
    expect(validateReport({ ...r, metrics: { ...r.metrics, distributions: undefined } })).toEqual([]);
    const bad = structuredClone(r);
    bad.metrics.distributions!.forget.loss.counts[0] = -1;
    expect(validateReport(bad).join('\n')).toMatch(/distributions\/forget\/loss\/counts\/0/);
  });
});

describe('a row the run could not compute', () => {
  const block = (values: Record<string, number>, notComputable: Record<string, string> = {}) => ({
    values,
    notComputable,
    definitions: { forget_acc: '', mia: '', mia_loss: '' },
  });
  it('reads n/a under every model and says why instead of what the value means', () => {
    const why = 'the entropy attack is fit on the retain set against the test set; give --retain too';
    const lines = evaluationTable({
      before: block({ forget_acc: 0.9, mia_loss: 0.6 }, { mia: why }),
      after: block({ forget_acc: 0.1, mia_loss: 0.5 }, { mia: why }),
    });
    const mia = lines.find((l) => l.trimStart().startsWith('mia (entropy)'))!;
    expect(mia.split(/\s{2,}/).slice(2)).toEqual(['n/a', 'n/a', `not computed: ${why}`]);
    // a computed row keeps its meaning
    expect(lines.find((l) => l.trimStart().startsWith('mia_loss'))).toMatch(/0\.5 = cannot tell$/);
  });
});
