// The report page: one self-contained HTML file. Styles are inlined, charts are finished SVG
// (charts.ts), there is no script, and a Content-Security-Policy forbids every fetch, so the page
// opens offline and shows the same thing in every browser. Every value from the record is escaped.
import { version } from '../core/version.js';
import type { UnlearningRecord } from '../record/record.js';
import { changeSpec, histogramSpec, renderSvg, type Chart, type Series } from './charts.js';
import {
  distributionsOf,
  FEATURES,
  hasDistributions,
  MODELS,
  SETS,
  type Feature,
  type ModelKey,
} from './distributions.js';

const SET_COLORS: Record<string, string> = { forget: '#d62728', retain: '#1f77b4', test: '#2ca02c', val: '#9467bd' };
const MODEL_COLORS: Record<ModelKey, string> = { before: '#7f7f7f', after: '#ff7f0e', retrain: '#1f77b4' };
/** The tensors the change chart shows at most (the largest changes); the table lists all. */
const MAX_CHART_TENSORS = 40;

const FEATURE_AXIS: Record<Feature, string> = {
  loss: 'per-example loss (log scale)',
  entropy: 'entropy of the prediction (nats)',
};

/** What a record is: an unlearning run (accepted, or rejected and never written) or an evaluation. */
function kindOf(r: UnlearningRecord): { title: string; models: Record<ModelKey, string> } {
  if (!r.method) return { title: 'Evaluation', models: { before: 'before', after: 'model', retrain: 'retrained' } };
  return {
    title: r.output ? 'Unlearning run' : 'Unlearning run (rejected: no model written)',
    models: { before: 'before', after: 'after', retrain: 'retrained' },
  };
}

/** A value as HTML text: & < > " ' escaped (safe in element content and in quoted attributes). */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number as people read it: integers with separators, others to 4 significant decimals. */
export function num(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(3);
  return v.toFixed(4);
}

/** Any JSON value as HTML: a table for objects and for arrays of objects, a list for others. */
export function value(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return esc(num(v));
  if (typeof v !== 'object') return esc(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x as object)))];
      const rows = v.slice(0, 100) as Record<string, unknown>[];
      return (
        `<table class="grid"><tr>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>` +
        rows.map((x) => `<tr>${keys.map((k) => `<td>${value(x[k], depth + 1)}</td>`).join('')}</tr>`).join('') +
        `</table>${v.length > 100 ? `<p class="muted">the first 100 of ${v.length}</p>` : ''}`
      );
    }
    const shown = v.slice(0, 20).map((x) => value(x, depth + 1));
    return `${shown.join(', ')}${v.length > 20 ? ` … (${v.length} in all)` : ''}`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return kv(entries.map(([k, x]) => [k, value(x, depth + 1)]));
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function figure(c: Chart): string {
  return `<figure class="chart">${c.svg}<figcaption>${c.caption}</figcaption></figure>`;
}

function verdictBanner(r: UnlearningRecord): string {
  const v = r.acceptance.verdict;
  const failed = r.acceptance.gates.filter((g) => !g.passed).length;
  const says =
    v === 'accepted'
      ? `every gate passed (${r.acceptance.gates.length})`
      : v === 'rejected'
        ? `${failed} of ${r.acceptance.gates.length} gates failed${r.method ? ': no model was written' : ''}`
        : 'no acceptance gates were given (--require)';
  return `<div class="verdict ${v.replace(' ', '-')}"><strong>${esc(v)}</strong> ${esc(says)}</div>`;
}

function gatesTable(r: UnlearningRecord): string {
  if (r.acceptance.gates.length === 0)
    return '<p class="muted">No gates. <code>--require METRIC&lt;=VALUE</code> makes the run answer to one.</p>';
  const rows = r.acceptance.gates.map(
    (g) =>
      `<tr class="${g.passed ? 'pass' : 'fail'}"><td><code>${esc(g.text)}</code></td><td>${esc(num(g.actual))}</td>` +
      `<td>${g.passed ? '✓ passed' : '✗ failed'}</td><td>${esc(g.reason ?? '')}</td></tr>`,
  );
  const head = '<tr><th>gate</th><th>value</th><th>outcome</th><th>note</th></tr>';
  return `<table class="grid">${head}${rows.join('')}</table>`;
}

function metricsTable(r: UnlearningRecord, labels: Record<ModelKey, string>): string {
  const models = MODELS.filter((m) => r.metrics[m]);
  if (models.length === 0)
    return '<p class="note">No metrics: the forget set has no labels, so nothing label-based could be computed.</p>';
  const names = [...new Set(models.flatMap((m) => Object.keys(r.metrics[m]!.definitions)))];
  const gap = r.metrics.retrain && r.metrics.after;
  const head = models.map((m) => `<th>${esc(labels[m])}</th>`).join('') + (gap ? '<th>after − retrained</th>' : '');
  const rows = names.map((n) => {
    const cells = models.map((m) => {
      const b = r.metrics[m]!;
      const v = b.values[n];
      return v === undefined
        ? `<td class="muted" title="${esc(b.notComputable[n] ?? '')}">n/a</td>`
        : `<td>${num(v)}</td>`;
    });
    const a = r.metrics.after?.values[n];
    const t = r.metrics.retrain?.values[n];
    const g = gap ? `<td>${a === undefined || t === undefined ? '—' : num(a - t)}</td>` : '';
    const def = models.map((m) => r.metrics[m]!.definitions[n]).find((d) => d);
    const title = def ? `${def.name} v${def.version} ${JSON.stringify(def.params ?? {})}` : '';
    return `<tr><th title="${esc(title)}"><code>${esc(n)}</code></th>${cells.join('')}${g}</tr>`;
  });
  const why = models.flatMap((m) =>
    Object.entries(r.metrics[m]!.notComputable).map(
      ([n, w]) => `<li><code>${esc(n)}</code> (${esc(labels[m])}): ${esc(w)}</li>`,
    ),
  );
  return (
    `<table class="grid metrics"><tr><th>metric</th>${head}</tr>${rows.join('')}</table>` +
    (why.length ? `<p>Not computable:</p><ul>${why.join('')}</ul>` : '') +
    '<p class="muted">Hover a metric for its exact definition (name, version, parameters).</p>'
  );
}

function miaSection(r: UnlearningRecord, labels: Record<ModelKey, string>): string {
  const models = MODELS.filter((m) => r.metrics[m]);
  const row = (n: string) =>
    `<tr><th><code>${n}</code></th>${models.map((m) => `<td>${num(r.metrics[m]!.values[n])}</td>`).join('')}</tr>`;
  const present = ['mia', 'mia_loss'].filter((n) => models.some((m) => n in r.metrics[m]!.values));
  const table = present.length
    ? `<table class="grid"><tr><th>attack</th>${models.map((m) => `<th>${esc(labels[m])}</th>`).join('')}</tr>` +
      `${present.map(row).join('')}</table>`
    : !r.metrics.after
      ? // an unlabelled forget set (LF-SSD): the record's evaluation, attacks included, reads its labels
        '<p class="note">No attack was run: the forget set has no labels, and the record’s evaluation ' +
        '(both attacks with it) is computed with them. Evaluate the edited model with <code>scrub eval</code> ' +
        'on the forget set with its labels.</p>'
      : '<p class="note">No attack was run: <code>mia</code> needs <code>--retain</code> and <code>--test</code>, ' +
        '<code>mia_loss</code> needs <code>--test</code>.</p>';
  return (
    table +
    '<dl class="explain">' +
    '<dt><code>mia_loss</code>: can an attacker tell the forget set from unseen data by its loss?</dt>' +
    '<dd>The mean held-out accuracy of a logistic regression on the per-example loss, forget set against unseen ' +
    'examples (the test set, or its examples of the forgotten class), over 10 stratified shuffle splits. ' +
    '<strong>0.5 means the attacker cannot tell them apart</strong>: the forget set looks unseen. Above 0.5 its ' +
    'losses still stand out, lower than unseen data’s (still remembered) or higher (over-forgotten, which an ' +
    'attacker can also see). Compare with the retrained model’s value when there is one.</dd>' +
    '<dt><code>mia</code>: the share of the forget set an entropy attack calls members</dt>' +
    '<dd>A logistic regression on the prediction’s entropy, fit on retain (members) against test (non-members), ' +
    'then applied to the forget set. Here 0.5 is not the target: a model that never saw the forget set still ' +
    'calls some of it members. The reference is the retrained model’s value; before unlearning it is usually ' +
    'higher.</dd></dl>'
  );
}

async function distributionCharts(r: UnlearningRecord, labels: Record<ModelKey, string>): Promise<string> {
  if (!hasDistributions(r)) {
    const why = !r.metrics.after
      ? 'its forget set has no labels, so no losses were computed'
      : 'it was written by a version of scrub that did not record them';
    return (
      `<p class="note" id="no-distributions">This record holds no loss or entropy distributions: ${esc(why)}. ` +
      'The metrics above are complete; run the command again with this version of scrub to draw the histograms.</p>'
    );
  }
  const specs: { title: string; caption: string; series: Series[]; feature: Feature }[] = [];
  for (const feature of FEATURES) {
    for (const m of MODELS) {
      const d = distributionsOf(r, m);
      const series = SETS.flatMap((set) => {
        const h = d?.[set]?.[feature];
        return h ? [{ label: set, color: SET_COLORS[set], histogram: h }] : [];
      });
      if (series.length)
        specs.push({
          feature,
          title: `${feature === 'loss' ? 'Loss' : 'Entropy'}: ${labels[m]}${m === 'retrain' ? ' model' : ''}`,
          caption: `Each set’s ${feature} under the ${labels[m]} model${m === 'after' ? ' (the edited one)' : ''}.`,
          series,
        });
    }
    const forget = MODELS.flatMap((m) => {
      const h = distributionsOf(r, m)?.forget?.[feature];
      return h ? [{ label: labels[m], color: MODEL_COLORS[m], histogram: h, dashed: m === 'retrain' }] : [];
    });
    if (forget.length > 1)
      specs.push({
        feature,
        title: `${feature === 'loss' ? 'Loss' : 'Entropy'}: forget set by model`,
        caption:
          'The forget set under each model' +
          (r.metrics.retrain ? '; the retrained model (dashed) is what unlearning aims at.' : '.'),
        series: forget,
      });
  }
  const charts = await Promise.all(
    specs.map(async (s, i) => {
      const nonFinite = s.series.filter((x) => x.histogram.nonFinite > 0);
      const note = nonFinite.length
        ? ` Not drawn, as not finite: ${nonFinite.map((x) => `${x.histogram.nonFinite} of ${x.label}`).join(', ')}.`
        : '';
      const svg = await renderSvg(histogramSpec(s.title, FEATURE_AXIS[s.feature], s.series), `h${i}`);
      return { feature: s.feature, html: figure({ title: s.title, caption: esc(s.caption + note), svg }) };
    }),
  );
  const rows = FEATURES.filter((f) => charts.some((c) => c.feature === f)).map(
    (f) =>
      `<h3>${f === 'loss' ? 'Loss' : 'Entropy'}</h3><div class="charts">` +
      `${charts
        .filter((c) => c.feature === f)
        .map((c) => c.html)
        .join('')}</div>`,
  );
  return (
    '<p class="muted">Share of each set’s examples per bin. The loss axis is logarithmic: its leftmost bin holds ' +
    'losses below its right edge (down to 0), its rightmost bin everything above its left edge. Forgetting ' +
    'moves the forget set (red) away from retain (blue) towards the unseen test set (green).</p>' +
    rows.join('')
  );
}

async function changesSection(r: UnlearningRecord): Promise<string> {
  if (r.changes.length === 0)
    return r.method
      ? '<p class="note">No tensor changed: the model written is the model as it was. The method found nothing ' +
          'in the weights particular to the forget set; <code>--method gradtau</code> forgets such sets.</p>'
      : '<p class="muted">An evaluation changes no tensor.</p>';
  const details = (r.method?.details ?? {}) as Record<string, unknown>;
  const perTensor = new Map<string, number>();
  if (Array.isArray(details.parameters))
    for (const p of details.parameters as { name?: unknown; selected?: unknown }[])
      if (typeof p?.name === 'string' && typeof p.selected === 'number') perTensor.set(p.name, p.selected);
  const ssd = typeof details.selected === 'number';
  const label = (c: UnlearningRecord['changes'][number]) =>
    c.torchName && c.torchName !== c.name ? `${c.torchName} (${c.name})` : c.name;
  const rows = r.changes.map(
    (c) =>
      `<tr><th><code>${esc(label(c))}</code></th><td>${num(c.elements)}</td>` +
      (perTensor.size ? `<td>${esc(num(perTensor.get(c.name)))}</td>` : '') +
      `<td>${num(c.elementsChanged)}</td>` +
      `<td>${((100 * c.elementsChanged) / Math.max(1, c.elements)).toFixed(3)}%</td>` +
      `<td>${num(c.relativeL2Change)}</td></tr>`,
  );
  const top = [...r.changes].sort((a, b) => b.relativeL2Change - a.relativeL2Change).slice(0, MAX_CHART_TENSORS);
  const chart = await renderSvg(
    changeSpec(top.map((c) => ({ tensor: c.torchName ?? c.name, change: c.relativeL2Change }))),
    'c',
  );
  const selected = ssd
    ? `<p>${esc(r.method!.name.toUpperCase())} selected <strong>${num(details.selected as number)}</strong> ` +
      `of ${esc(num(details.elements as number))} ` +
      'weights. A selected weight is multiplied by min(λ·full/forget, 1): it changes unless it is 0 or that factor ' +
      `is 1${perTensor.size ? '' : ', so per tensor “changed” counts the selected weights that moved'}.</p>`
    : '';
  return (
    selected +
    figure({
      title: 'Relative L2 change per tensor',
      caption:
        r.changes.length > MAX_CHART_TENSORS
          ? `The ${MAX_CHART_TENSORS} largest changes of ${r.changes.length}.`
          : 'Every tensor the run changed.',
      svg: chart,
    }) +
    `<table class="grid"><tr><th>tensor</th><th>elements</th>${perTensor.size ? '<th>selected</th>' : ''}` +
    `<th>changed</th><th>share changed</th><th>relative L2 change</th></tr>${rows.join('')}</table>`
  );
}

function methodSection(r: UnlearningRecord): string {
  const m = r.method;
  if (!m) return '<p class="muted">An evaluation: no unlearning method ran.</p>';
  const h = m.hyperparameters;
  const details = (m.details ?? {}) as Record<string, unknown>;
  const assd = details.assd as
    { percentile?: number; forgetFraction?: number; ratios?: number; skipped?: number } | undefined;
  let alpha = '';
  if (h.alphaFrom === 'assd')
    alpha =
      `<p>α = ${esc(num(h.alpha as number))} was <strong>chosen by adaptive SSD</strong> (Schoepf et al. 2024)` +
      (assd
        ? `: percentile ${esc(num(assd.percentile))} of ${esc(num(assd.ratios))} forget/full importance ` +
          `ratios, |D<sub>f</sub>|/|D| = ${esc(fraction(assd.forgetFraction))}` +
          (assd.skipped ? `; ${esc(num(assd.skipped))} weights of zero full-data importance left out` : '')
        : '') +
      '.</p>';
  else if (h.alphaFrom === 'given') alpha = `<p>α = ${esc(num(h.alpha as number))} was given (--alpha).</p>`;
  const settings: Record<string, unknown> = { method: m.name, ...h };
  if (m.batchSize !== undefined) settings.batchSize = m.batchSize;
  if (m.seed !== undefined) settings.seed = m.seed;
  return (
    alpha +
    `<h3>Settings</h3>${value(settings)}` +
    (Object.keys(details).length ? `<h3>Details</h3>${value(details)}` : '') +
    (r.settings ? `<h3>Data and model settings</h3>${value(r.settings)}` : '')
  );
}

function hashesSection(r: UnlearningRecord): string {
  const files: [string, { path: string; sha256: string; bytes: number }][] = [
    ['input model', r.input.model],
    ...r.input.dataFiles.map((f): [string, typeof f] => ['input data', f]),
    ...(r.output
      ? [
          ['output model', r.output.model] as [string, typeof r.input.model],
          ...r.output.dataFiles.map((f): [string, typeof f] => ['output data', f]),
        ]
      : []),
    ...(r.metrics.retrain ? [['retrained model', r.metrics.retrain.model] as [string, typeof r.input.model]] : []),
  ];
  const s = r.software;
  const f = r.forgetSet;
  const tensors = r.output ? Object.entries(r.output.tensors) : [];
  const code = (t: string) => `<code>${esc(t)}</code>`;
  return (
    kv([
      ['scrub', esc(s.scrub)],
      ['Node.js', esc(s.node)],
      ['ONNX Runtime', `${esc(s.onnxruntime)} (${esc(s.executionProvider)})`],
      ['record written', esc(r.createdAt)],
      ['wall clock', `${r.resources.wallSeconds.toFixed(2)} s`],
      ['peak memory', `${(r.resources.peakRssBytes / 2 ** 20).toFixed(0)} MiB`],
    ]) +
    '<h3>Files (SHA-256)</h3><table class="grid"><tr><th>file</th><th>path</th><th>bytes</th><th>SHA-256</th></tr>' +
    files.map(([what, h]) => tr(what, `<td>${code(h.path)}</td><td>${num(h.bytes)}</td>`, hash(h.sha256))).join('') +
    '</table>' +
    (f
      ? '<h3>Forget set manifest</h3>' +
        kv([
          ['source', code(f.source)],
          ['examples', num(f.count)],
          ...(f.skipped?.length
            ? [
                [
                  'left out',
                  `<details><summary>${num(f.skipped.length)} example${f.skipped.length === 1 ? '' : 's'} of the ` +
                    'set could not be read (--on-bad-input skip): not forgotten</summary><ul>' +
                    f.skipped.map((s) => `<li>position ${num(s.position)}: ${esc(s.reason)}</li>`).join('') +
                    '</ul></details>',
                ] as [string, string],
              ]
            : []),
          ['Merkle root', `<span class="hash">${esc(f.merkleRoot)}</span>`],
          ['salt', `<span class="hash">${esc(f.salt)}</span>`],
          ['hashing', esc(f.hashing)],
        ])
      : '') +
    (tensors.length
      ? `<details><summary>Output tensors (${tensors.length}, SHA-256 of their bytes)</summary><table class="grid">` +
        tensors.map(([n, h]) => tr(code(n), hash(h))).join('') +
        '</table></details>'
      : '') +
    (r.changes.length
      ? `<details><summary>Changed tensors before and after (SHA-256)</summary><table class="grid">` +
        '<tr><th>tensor</th><th>before</th><th>after</th></tr>' +
        r.changes.map((c) => tr(code(c.name), hash(c.sha256Before), hash(c.sha256After))).join('') +
        '</table></details>'
      : '')
  );
}

/** A table row: a header cell, then cells given as HTML (`<td>…</td>`). */
function tr(head: string, ...cells: string[]): string {
  return `<tr><th>${head}</th>${cells.join('')}</tr>`;
}

/** A cell holding a hash. */
function hash(h: string): string {
  return `<td class="hash">${esc(h)}</td>`;
}

/** A two-column table of names and values (HTML). */
function kv(rows: readonly [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => tr(esc(k), `<td>${v}</td>`)).join('')}</table>`;
}

function headline(r: UnlearningRecord, labels: Record<ModelKey, string>): string {
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
  const parts: string[] = [];
  for (const set of ['forget', 'test', 'retain']) {
    // a multi-label head: exact match (every label right), what a forgotten example shows; its
    // per-label accuracy stays near 1 whatever happens to one label
    const exact = MODELS.some((m) => r.metrics[m]?.values[`${set}_exact_acc`] !== undefined);
    const k = exact ? `${set}_exact_acc` : `${set}_acc`;
    const vals = MODELS.filter((m) => r.metrics[m]?.values[k] !== undefined).map(
      (m) => `${pct(r.metrics[m]!.values[k])} ${esc(labels[m])}`,
    );
    if (vals.length) parts.push(`<li>${set} ${exact ? 'exact match' : 'accuracy'}: ${vals.join(' → ')}</li>`);
  }
  return parts.length ? `<ul class="headline">${parts.join('')}</ul>` : '';
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222;
  margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 30px 0 10px; border-bottom: 1px solid #ddd;
  padding-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 6px; }
code, .hash { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.hash { word-break: break-all; color: #555; }
.muted { color: #666; } .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; }
.verdict { margin: 14px 0; padding: 10px 14px; border-radius: 6px; font-size: 15px; }
.verdict strong { text-transform: uppercase; margin-right: 8px; letter-spacing: .04em; }
.verdict.accepted { background: #e6f4ea; border: 1px solid #34a853; }
.verdict.rejected { background: #fce8e6; border: 1px solid #d93025; }
.verdict.no-gates { background: #f1f3f4; border: 1px solid #9aa0a6; }
table { border-collapse: collapse; margin: 6px 0 10px; } th, td { text-align: left; padding: 3px 10px 3px 0;
  vertical-align: top; } table.grid th, table.grid td { border-bottom: 1px solid #eee; padding: 3px 12px 3px 4px; }
table.grid tr:first-child th { border-bottom: 2px solid #ccc; } table.metrics td { text-align: right;
  font-variant-numeric: tabular-nums; } table.kv th { font-weight: 600; color: #444; padding-right: 14px; }
tr.pass td:nth-child(3) { color: #188038; } tr.fail td:nth-child(3) { color: #c5221f; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 10px 20px; }
figure.chart { margin: 8px 0; } figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 12px; max-width: 360px; }
.headline { margin: 6px 0; padding-left: 18px; } dl.explain dt { font-weight: 600; margin-top: 8px; }
dl.explain dd { margin: 2px 0 6px 18px; max-width: 900px; } details { margin: 8px 0; } summary { cursor: pointer; }
footer { margin-top: 36px; color: #666; font-size: 12px; }
`;

/**
 * The report page of a record that readCheckedRecord accepted: the verdict and gates, the metrics of
 * every model side by side, the loss and entropy histograms (or a note where the record has none), the
 * membership-inference results, the per-tensor change, the method with every setting, hashes and
 * versions. `source` names the record file in the footer.
 */
export async function reportHtml(r: UnlearningRecord, source: string): Promise<string> {
  const { title, models: labels } = kindOf(r);
  const model = r.input.model.path;
  const heading = r.method ? `${r.method.name} on ${model}` : model;
  const out = r.output ? ` → <code>${esc(r.output.model.path)}</code>` : '';
  const forget = r.forgetSet
    ? `; forget set <code>${esc(r.forgetSet.source)}</code>, ${num(r.forgetSet.count)} examples`
    : '';
  const [distributions, changes] = await Promise.all([distributionCharts(r, labels), changesSection(r)]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scrub report: ${esc(heading)}</title><style>${STYLE}</style></head>
<body>
<header><p class="muted">scrub report · ${esc(title)} · ${esc(r.createdAt)}</p>
<h1>${esc(heading)}</h1><p><code>${esc(model)}</code>${out}${forget}</p>
${verdictBanner(r)}${headline(r, labels)}</header>
${section('gates', 'Acceptance gates', gatesTable(r))}
${section('metrics', 'Metrics', metricsTable(r, labels))}
${section('distributions', 'Loss and entropy distributions', distributions)}
${section('mia', 'Membership inference', miaSection(r, labels))}
${section('changes', 'What changed, per tensor', changes)}
${section('method', 'Method and settings', methodSection(r))}
${section('hashes', 'Hashes and versions', hashesSection(r))}
${section('guarantee', 'What this guarantees', `<p>${esc(r.guarantee)}</p>`)}
<footer>Drawn from <code>${esc(source)}</code> (written by scrub ${esc(r.software.scrub)}) by scrub ${esc(version())}.
Check the model against the record with
<code>scrub verify ${esc(r.output?.model.path ?? 'MODEL')} ${esc(source)}</code>.</footer>
</body></html>
`;
}

/** |Df|/|D| as the command's summary prints it: 3 significant digits. */
function fraction(v: number | undefined): string {
  return v === undefined ? '—' : String(+v.toPrecision(3));
}
