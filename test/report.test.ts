// scrub report RECORD.json [-o REPORT.html] and --report: the page's content from a real record (with
// histograms added, and without them, as an old record), and a damaged or altered record refused
// with exit 2, nothing written. The page in a real browser: report.browser.test.ts.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UnlearningRecord } from '../src/record/record.js';
import { consistencyProblems, reportPathFor, schemaProblems } from '../src/report/index.js';
import { isLogSpaced, histogramRows } from '../src/report/charts.js';
import { run } from './support/cli.js';
import {
  binCounts,
  ENTROPY_EDGES,
  LOSS_EDGES,
  resigned,
  withDistributions,
  withoutDistributions,
} from './support/report.js';

const dir = mkdtempSync(join(tmpdir(), 'scrub-report-'));
let record: UnlearningRecord;
const recordPath = join(dir, 'cnn.record.json');

beforeAll(async () => {
  const r = await run('models/cnn.onnx', 'models/forget/', '-o', join(dir, 'cnn.onnx'), '--quiet', '--report');
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/report\s+.*cnn\.report\.html$/m);
  record = JSON.parse(readFileSync(recordPath, 'utf8'));
});

/** Writes `r` as a record file in a fresh folder and runs `scrub report` on it. */
async function report(r: unknown, ...args: string[]) {
  const at = mkdtempSync(join(dir, 'case-'));
  const path = join(at, 'x.record.json');
  writeFileSync(path, typeof r === 'string' ? r : JSON.stringify(r));
  const result = await run('report', path, ...args);
  return {
    ...result,
    at,
    path,
    html: existsSync(reportPathFor(path)) ? readFileSync(reportPathFor(path), 'utf8') : '',
  };
}

/** The SVG of each <figure class="chart"> in a page. */
const figures = (html: string) => [...html.matchAll(/<figure class="chart">([\s\S]*?)<\/figure>/g)].map((m) => m[1]);

describe('scrub report', () => {
  it('--report on the main command writes the page beside the record, self-contained', () => {
    const html = readFileSync(join(dir, 'cnn.report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // nothing to fetch: no script, no stylesheet link, no image source, no URL but SVG's namespaces
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|@import/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html).toContain("default-src 'none'");
    // the verdict, the method and its settings, the hashes
    expect(html).toContain('class="verdict no-gates"');
    expect(html).toContain(record.input.model.sha256);
    expect(html).toContain(record.output!.model.sha256);
    expect(html).toContain(record.forgetSet!.merkleRoot);
    for (const c of record.changes) expect(html).toContain(c.sha256After);
    expect(html).toContain(`<th>alpha</th><td>${record.method!.hyperparameters.alpha.toString().slice(0, 4)}`);
  });

  it('shows how α was chosen, when the record says (adaptive SSD)', () => {
    expect(record.method!.hyperparameters.alphaFrom).toBe('assd');
    const html = readFileSync(join(dir, 'cnn.report.html'), 'utf8');
    expect(html).toContain('chosen by adaptive SSD');
    const assd = (record.method!.details as { assd: { ratios: number } }).assd;
    expect(html).toContain(assd.ratios.toLocaleString('en-US'));
  });

  it('draws every histogram of a record with distributions, and the change per tensor', async () => {
    const r = await report(resigned(withDistributions(record)));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^report: .*x\.report\.html \(\d+\.\d\d s\)$/);
    expect(r.html).not.toContain('id="no-distributions"');
    // before and after: one chart per model and feature, and the forget set model by model
    const charts = figures(r.html);
    expect(charts).toHaveLength(2 * 3 + 1);
    for (const svg of charts) {
      expect(svg).toMatch(/^<svg /);
      expect(svg).toMatch(/class="mark-(rect|line|area)[^"]*"[^>]*>(<path|<g)/);
    }
    // one legend entry per set drawn (forget only: the run had no retain or test set)
    expect(r.html).toContain('Loss: before');
    expect(r.html).toContain('Entropy: forget set by model');
    // ids are unique across the page's SVGs
    const ids = [...r.html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('renders a record written before distributions, with a note in place of the histograms', async () => {
    const r = await report(withoutDistributions(record), '-o', join(dir, 'old.html'));
    expect(r.code, r.err).toBe(0);
    expect(r.html).toBe(''); // -o: nothing at the default path
    const html = readFileSync(join(dir, 'old.html'), 'utf8');
    expect(html).toContain('id="no-distributions"');
    expect(html).toContain('written by a version of scrub that did not record them');
    // the only chart left is the change per tensor
    expect(figures(html)).toHaveLength(1);
    expect(html).toContain('Relative L2 change per tensor');
  });

  it("says why no attack was run: an unlabelled forget set's record has no metrics, whatever was given", async () => {
    // an LF-SSD run on a forget set without labels writes metrics {} (record/unlearning.ts)
    const unlabelled = resigned({ ...withoutDistributions(record), metrics: {} });
    const r = await report(unlabelled);
    expect(r.code, r.err).toBe(0);
    expect(r.html).toContain('No attack was run: the forget set has no labels');
    expect(r.html).not.toContain('needs <code>--retain</code>');
    // a labelled run without --retain/--test keeps the flags' reason (the fixture's run had neither)
    expect(readFileSync(reportPathFor(recordPath), 'utf8')).toContain('needs <code>--retain</code>');
  });

  it('refuses a record that does not validate: exit 2, one line naming scrub verify, nothing written', async () => {
    const bad = structuredClone(record) as unknown as { metrics: { after: { values: Record<string, unknown> } } };
    bad.metrics.after.values.forget_acc = 'low';
    const r = await report(bad);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain('/metrics/after/values/forget_acc: must be number');
    expect(r.err).toContain('scrub verify');
    expect(readdirSync(r.at)).toEqual(['x.record.json']);
  });

  it('refuses an altered record: verdict, gates, manifest, tensor hashes, histograms', async () => {
    const gated = structuredClone(record);
    const actual = gated.metrics.after!.values.forget_acc;
    gated.acceptance = {
      verdict: 'accepted',
      gates: [{ metric: 'forget_acc', op: '<=', value: 0.9, text: 'forget_acc<=0.9', actual, passed: true }],
    };
    gated.digest = resigned(gated).digest;
    expect(consistencyProblems(gated)).toEqual([]); // a record as scrub would write it
    const alter = (f: (r: UnlearningRecord) => void) => {
      const r = structuredClone(gated);
      f(r);
      // as if scrub had written it so: the content checks are what is tested, not the digest
      return resigned(r);
    };
    const cases: [UnlearningRecord, RegExp][] = [
      [alter((r) => (r.acceptance.verdict = 'no gates')), /verdict: is no gates but its gates say accepted/],
      [alter((r) => (r.metrics.after!.values.forget_acc = 0.95)), /forget_acc<=0\.9 records forget_acc = /],
      [
        alter((r) => (r.acceptance.gates[0].value = 0.01)),
        /its text forget_acc<=0\.9 is not forget_acc<=0\.01; .*forget_acc<=0\.9 is marked passed/,
      ],
      [alter((r) => (r.forgetSet!.exampleHashes[3] = 'f'.repeat(64))), /merkleRoot: is not the Merkle root/],
      [alter((r) => r.forgetSet!.exampleHashes.pop()), /count is 256 but it lists 255/],
      [alter((r) => (r.changes[0].sha256After = r.changes[0].sha256Before)), /SHA-256 after differs/],
      [
        alter((r) => {
          const d = withDistributions(r).metrics.after as unknown as {
            distributions: { forget: { loss: { edges: number[] } } };
          };
          d.distributions.forget.loss.edges = d.distributions.forget.loss.edges.slice(1);
          r.metrics.after = d as unknown as UnlearningRecord['metrics']['after'];
        }),
        /49 counts need 50 edges, not 49/,
      ],
    ];
    for (const [r, why] of cases) {
      const out = await report(r);
      expect(out.code, out.err).toBe(2);
      expect(out.err).toMatch(why);
      expect(out.err).toMatch(/disagrees with itself .* altered or damaged.*scrub verify .*cnn\.onnx/);
      expect(readdirSync(out.at)).toEqual(['x.record.json']);
    }
  });

  it('refuses a record edited by hand after scrub wrote it (its digest), as verify does', async () => {
    const edited = structuredClone(record);
    edited.metrics.after!.values.forget_acc = 0.05;
    const out = await report(edited);
    expect(out.code, out.err).toBe(2);
    expect(out.err).toMatch(/\/digest: the record is not the content scrub wrote .*scrub verify/);
    expect(readdirSync(out.at)).toEqual(['x.record.json']);
    const v = await run('verify', record.output!.model.path, out.path);
    expect(v.code).toBe(1);
    expect(v.out + v.err).toMatch(/edited after it was written/);
  });
  it('refuses a file that is not a record, or not JSON, or missing: exit 2, nothing written', async () => {
    for (const [text, why] of [
      ['{"schema": "scrub.report/1"}', /not a scrub record/],
      ['{"schema": "scrub.record/1"', /does not parse as JSON/],
      ['{"schema": "scrub.record/1"}', /\/createdAt: is required/],
    ] as const) {
      const r = await report(text);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(why);
      expect(readdirSync(r.at)).toEqual(['x.record.json']);
    }
    expect((await run('report', join(dir, 'nothing.record.json'))).code).toBe(2);
    expect((await run('report')).code).toBe(2);
    expect((await run('report', recordPath, '--json')).err).toMatch(/unknown option --json/);
    const help = await run('report', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('scrub report RECORD.json [-o REPORT.html]');
  });

  it('--report on eval (its record and page are an evaluation) and with --json (the path on stderr)', async () => {
    const out = join(dir, 'eval', 'cnn.eval.record.json');
    const r = await run(
      'eval',
      'models/cnn.onnx',
      '--forget',
      'models/forget/',
      '-o',
      out,
      '--quiet',
      '--json',
      '--report',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).kind).toBe('eval');
    expect(r.err).toContain(`report: ${join(dir, 'eval', 'cnn.eval.report.html')}`);
    const html = readFileSync(join(dir, 'eval', 'cnn.eval.report.html'), 'utf8');
    expect(html).toContain('scrub report · Evaluation');
    expect(html).toContain('An evaluation: no unlearning method ran.');
  });

  it('--report on a rejected run: the page beside the rejected record says so', async () => {
    const r = await run(
      'models/cnn.onnx',
      'models/forget/',
      '-o',
      join(dir, 'rej', 'cnn.onnx'),
      '--quiet',
      '--require',
      'forget_acc<=0',
      '--report',
    );
    expect(r.code).toBe(1);
    const html = readFileSync(join(dir, 'rej', 'cnn.rejected.report.html'), 'utf8');
    expect(html).toContain('class="verdict rejected"');
    expect(html).toContain('no model was written');
    expect(html).toMatch(/<tr class="fail"><td><code>forget_acc&#60;=0<\/code>/);
  });

  it('--report on request writes the page beside the request’s record', async () => {
    const at = mkdtempSync(join(dir, 'request-'));
    mkdirSync(join(at, 'v1'));
    cpSync('models/cnn.onnx', join(at, 'v1', 'model.onnx'));
    cpSync('models/cnn.fisher', join(at, 'v1', 'model.fisher'));
    const request = {
      model: 'v1/model.onnx',
      out: 'v2/model.onnx',
      forget: join(process.cwd(), 'models/forget'),
      gates: ['forget_acc<=0.9'],
    };
    writeFileSync(join(at, 'request.json'), JSON.stringify(request));
    const r = await run('request', join(at, 'request.json'), '--quiet', '--report');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[1]).toBe(`report: ${join(at, 'v2', 'model.report.html')}`);
    expect(readFileSync(join(at, 'v2', 'model.report.html'), 'utf8')).toContain('class="verdict accepted"');
  });
});

describe('the record check and the histogram rows', () => {
  it('a real record validates and agrees with itself; with histograms too', () => {
    expect(schemaProblems(record)).toEqual([]);
    expect(consistencyProblems(record)).toEqual([]);
    expect(schemaProblems(withDistributions(record))).toEqual([]);
    expect(consistencyProblems(resigned(withDistributions(record)))).toEqual([]);
  });

  it('a negative count or an unknown set is a schema problem', () => {
    const r = withDistributions(record) as unknown as {
      metrics: { after: { distributions: Record<string, { loss: { counts: number[] } }> } };
    };
    r.metrics.after.distributions.forget.loss.counts[0] = -1;
    r.metrics.after.distributions.train = r.metrics.after.distributions.forget;
    const problems = schemaProblems(r);
    expect(problems).toContain('/metrics/after/distributions/forget/loss/counts/0: must be >= 0');
    expect(problems).toContain('/metrics/after/distributions/train: is not a known field');
  });

  it('loss edges are drawn on a log axis, the [0, 1e-4) bin one ratio to the left; entropy on a linear one', () => {
    expect(isLogSpaced(LOSS_EDGES)).toBe(true);
    expect(isLogSpaced(ENTROPY_EDGES)).toBe(false);
    const counts = binCounts([0, 5e-5, 1e-4, 0.5, 1e9], LOSS_EDGES);
    expect(counts[0]).toBe(2);
    expect(counts[counts.length - 1]).toBe(1);
    const rows = histogramRows(
      [{ label: 'forget', color: 'red', histogram: { edges: LOSS_EDGES, counts, nonFinite: 3 } }],
      true,
    );
    expect(rows[0].x0).toBeCloseTo(1e-4 / 10 ** (1 / 8), 12);
    expect(rows[0].x1).toBe(1e-4);
    expect(rows[0].share).toBeCloseTo(2 / 8, 12); // the non-finite count in the total
    expect(rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(5 / 8, 12);
    const linear = histogramRows(
      [{ label: 'x', color: 'red', histogram: { edges: [0, 1, 2], counts: [1, 3], nonFinite: 0 } }],
      false,
    );
    expect(linear.map((r) => [r.x0, r.x1, r.share])).toEqual([
      [0, 1, 0.25],
      [1, 2, 0.75],
    ]);
  });
});
