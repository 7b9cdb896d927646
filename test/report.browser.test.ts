// The report of the embedded default's run (models/cnn.onnx, models/forget/, a small retain and test
// set), opened in a real headless browser (Debian's chromium, driven by puppeteer-core): it loads
// with no console error and no network request, every chart has drawn marks, and a screenshot is
// written to test-artifacts/. Skipped when chromium or Fashion-MNIST is missing, unless
// SCRUB_REQUIRE_DATASETS=1 (.ci/run), which makes that a failure.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlearningRecord } from '../src/record/record.js';
import { run } from './support/cli.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';
import { CHROMIUM, resigned, withoutChromium, withoutDistributions } from './support/report.js';

const noFashionMnist = withoutFashionMnist();
const noChromium = withoutChromium();
/** Where the screenshots go (gitignored); CI keeps the folder as the run's artifacts. */
const ARTIFACTS = 'test-artifacts';

describe.skipIf(noFashionMnist || noChromium)('the report in a headless browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scrub-report-browser-'));
  let browser: Browser;
  let record: UnlearningRecord;

  beforeAll(async () => {
    const r = await run(
      'models/cnn.onnx',
      'models/forget/',
      '-o',
      join(dir, 'cnn.onnx'),
      '--retain',
      `${FM}/train-images-idx3-ubyte.gz@30000:31000`,
      '--test',
      `${FM}/t10k-images-idx3-ubyte.gz@0:1000`,
      '--require',
      'test_acc>=0.8',
      '--quiet',
      '--report',
    );
    expect(r.code, r.err).toBe(0);
    record = JSON.parse(readFileSync(join(dir, 'cnn.record.json'), 'utf8'));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Opens a page file in a fresh tab, with every request but the page itself refused and recorded;
   * returns the console errors, the refused requests and, per chart, how many marks it drew with a
   * non-empty box. Writes a full-page screenshot to test-artifacts/NAME.png.
   */
  async function open(path: string, name: string) {
    const page = await browser.newPage();
    const url = pathToFileURL(path).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (q) => {
      if (q.url() !== url) errors.push(`failed: ${q.url()}`);
    });
    await page.setRequestInterception(true);
    page.on('request', (q) => {
      if (q.url() === url) return void q.continue();
      requests.push(q.url());
      void q.abort();
    });
    await page.setViewport({ width: 1240, height: 900 });
    const response = await page.goto(url, { waitUntil: 'networkidle0' });
    expect(response?.ok() ?? true).toBe(true);
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => {
        const title = f.querySelector('svg .role-title-text')?.textContent ?? '';
        const marks = [...f.querySelectorAll('svg g.mark-rect path, svg g.mark-line path, svg g.mark-area path')];
        const drawn = marks.filter((m) => {
          const b = (m as SVGGraphicsElement).getBBox();
          return b.width > 0 || b.height > 0;
        });
        return { title, marks: drawn.length, width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0 };
      }),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}/${name}.png`, await page.screenshot({ fullPage: true }));
    const text = await page.$eval('body', (b) => b.innerText);
    const dashed = await page.$$eval('figure.chart svg g.mark-line path[stroke-dasharray="5,3"]', (p) => p.length);
    await page.close();
    return { requests, errors, charts, text, dashed };
  }

  it("the default run's report loads offline, with no console error, every chart drawn", async () => {
    const r = await open(join(dir, 'cnn.report.html'), 'report');
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
    // the record's histograms: before and after, loss and entropy, forget, retain and test overlaid;
    // the forget set model by model; then the change per tensor
    expect(r.charts.map((c) => c.title)).toEqual([
      'Loss: before',
      'Loss: after',
      'Loss: forget set by model',
      'Entropy: before',
      'Entropy: after',
      'Entropy: forget set by model',
      'Relative L2 change per tensor',
    ]);
    for (const c of r.charts) {
      expect(c.marks, c.title).toBeGreaterThan(0);
      expect(c.width, c.title).toBeGreaterThan(100);
    }
    // three sets: a bar per bin and an outline for each
    const bins = (record.metrics.after as { distributions: { forget: { loss: { counts: number[] } } } }).distributions
      .forget.loss.counts.length;
    for (const c of r.charts.filter((c) => /: (before|after)$/.test(c.title)))
      expect(c.marks, c.title).toBe(3 * bins + 3);
    expect(r.text).toContain('ACCEPTED');
    expect(r.text).toContain('test_acc>=0.8');
    expect(r.text).toContain('0.5 means the attacker cannot tell them apart');
    expect(r.text).toContain('chosen by adaptive SSD');
  });

  it("with a retrained model's metrics, its histograms are drawn too, its forget set dashed", async () => {
    // the run's record with a retrained model's block: here the input model's own (a stand-in)
    const r0 = structuredClone(record);
    r0.metrics.retrain = { ...structuredClone(record.metrics.before!), model: record.input.model };
    const path = join(dir, 'retrain.record.json');
    writeFileSync(path, JSON.stringify(resigned(r0)));
    expect((await run('report', path)).code).toBe(0);
    const r = await open(join(dir, 'retrain.report.html'), 'report-retrain');
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.charts.map((c) => c.title)).toContain('Loss: retrained model');
    expect(r.charts.map((c) => c.title)).toContain('Entropy: retrained model');
    for (const c of r.charts) expect(c.marks, c.title).toBeGreaterThan(0);
    expect(r.dashed).toBe(2); // the forget set's outline under the retrained model, loss and entropy
    expect(r.text).toContain('after − retrained');
  });

  it('an old record (no distributions) loads too, with the note in place of the histograms', async () => {
    const path = join(dir, 'old.record.json');
    writeFileSync(path, JSON.stringify(withoutDistributions(record)));
    expect((await run('report', path)).code).toBe(0);
    const r = await open(join(dir, 'old.report.html'), 'report-old');
    expect(r.errors).toEqual([]);
    expect(r.requests).toEqual([]);
    expect(r.text).toContain('This record holds no loss or entropy distributions');
    expect(r.charts.map((c) => c.title)).toEqual(['Relative L2 change per tensor']);
  });
});
