// The report's charts: Vega-Lite specs compiled by vega-lite and rendered to SVG by vega's Node API
// (no browser, no canvas), so that the page holds finished SVG and needs no script. vega and
// vega-lite are loaded on first use: the other commands never pay for them.
import type { TopLevelSpec } from 'vega-lite';
import type { Histogram } from './distributions.js';

/** One series of an overlay: its label, colour and histogram. */
export interface Series {
  label: string;
  color: string;
  histogram: Histogram;
  /** Drawn dashed (the retrained model's series). */
  dashed?: boolean;
}

/** A chart: its title, what it shows in words, and its SVG. */
export interface Chart {
  title: string;
  caption: string;
  svg: string;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'top', symbolStrokeWidth: 2, symbolOpacity: 0.8 },
  title: { fontSize: 13, fontWeight: 'bold', anchor: 'start' },
} as const;

/**
 * Whether edges are those of a log-spaced histogram (to 1%) with a first bin from 0 (the loss's: 0, then
 * geometric from edges[1]): then the chart's x axis is logarithmic and the first bin is drawn one
 * ratio to the left of edges[1].
 */
export function isLogSpaced(edges: readonly number[]): boolean {
  if (edges.length < 4 || edges[0] !== 0 || !(edges[1] > 0)) return false;
  const ratio = edges[2] / edges[1];
  // edges rounded to a few significant digits (scrub's are to 4) still count as geometric
  return ratio > 1 && edges.slice(2).every((e, i) => Math.abs(e / edges[i + 1] / ratio - 1) < 1e-2);
}

/**
 * The rows a histogram overlay draws: per series, one row per bin with its left and right edge (on a
 * log axis the [0, edges[1]) bin becomes [edges[1]/ratio, edges[1])) and its share of the series'
 * examples (non-finite ones included in the total), so that sets of different sizes compare.
 */
export function histogramRows(
  series: readonly Series[],
  log: boolean,
): { label: string; x0: number; x1: number; share: number }[] {
  return series.flatMap((s) => {
    const { edges, counts } = s.histogram;
    const total = counts.reduce((a, c) => a + c, 0) + s.histogram.nonFinite;
    const left = (i: number) => (log && i === 0 ? edges[1] / (edges[2] / edges[1]) : edges[i]);
    return counts.map((c, i) => ({ label: s.label, x0: left(i), x1: edges[i + 1], share: total > 0 ? c / total : 0 }));
  });
}

/** The powers of ten from the second edge to the last of the series' histograms: a log axis's ticks. */
function powersOfTen(series: readonly Series[]): number[] {
  const lo = Math.min(...series.map((s) => s.histogram.edges[1]));
  const hi = Math.max(...series.map((s) => s.histogram.edges[s.histogram.edges.length - 1]));
  const out: number[] = [];
  for (let k = Math.ceil(Math.log10(lo) - 1e-9); k <= Math.floor(Math.log10(hi) + 1e-9); k++) out.push(10 ** k);
  return out;
}

/** The Vega-Lite spec of a histogram overlay: translucent bars and a step outline per series. */
export function histogramSpec(title: string, axis: string, series: readonly Series[]): TopLevelSpec {
  const log = series.every((s) => isLogSpaced(s.histogram.edges));
  const rows = histogramRows(series, log);
  // the outline: a step-after line through each bin's left edge, closed at the last right edge
  const steps = series.flatMap((s) => {
    const own = rows.filter((r) => r.label === s.label);
    const last = own[own.length - 1];
    return [
      ...own.map((r) => ({ label: r.label, x: r.x0, share: r.share })),
      { label: s.label, x: last.x1, share: last.share },
    ];
  });
  const color = {
    field: 'label',
    type: 'nominal',
    title: null,
    scale: { domain: series.map((s) => s.label), range: series.map((s) => s.color) },
  } as const;
  const x = {
    type: 'quantitative',
    title: axis,
    scale: log ? ({ type: 'log' } as const) : ({ zero: false, nice: false } as const),
    axis: log
      ? {
          values: powersOfTen(series),
          grid: false,
          // 1e-4 rather than 0.0001: the small powers' labels would overlap
          labelExpr: "datum.value < 0.001 ? format(datum.value, '.0e') : format(datum.value, '~g')",
        }
      : { tickCount: 6 },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 280,
    height: 150,
    config: CONFIG,
    datasets: { bins: rows, steps },
    layer: [
      {
        data: { name: 'bins' },
        mark: { type: 'rect', opacity: 0.18 },
        encoding: {
          x: { ...x, field: 'x0' },
          x2: { field: 'x1' },
          y: { field: 'share', type: 'quantitative', title: 'share of the set' },
          color,
        },
      },
      {
        data: { name: 'steps' },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x: { ...x, field: 'x' },
          y: { field: 'share', type: 'quantitative' },
          color,
          ...(series.some((s) => s.dashed) && {
            strokeDash: {
              field: 'label',
              type: 'nominal',
              title: null,
              scale: { domain: series.map((s) => s.label), range: series.map((s) => (s.dashed ? [5, 3] : [1, 0])) },
            },
          }),
        },
      },
    ],
  };
}

/** The Vega-Lite spec of the per-tensor relative L2 change: one horizontal bar per tensor. */
export function changeSpec(rows: readonly { tensor: string; change: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Relative L2 change per tensor',
    width: 420,
    height: { step: 16 },
    config: CONFIG,
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      y: { field: 'tensor', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } },
      x: { field: 'change', type: 'quantitative', title: '‖after − before‖ / ‖before‖', axis: { format: '~g' } },
      tooltip: [{ field: 'tensor' }, { field: 'change', format: '.4g' }],
    },
  };
}

let libraries: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;

/** Compiles a Vega-Lite spec and renders it to an SVG string with vega's headless view. */
export async function renderSvg(spec: TopLevelSpec, id: string): Promise<string> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vl] = await libraries;
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // ids (clip paths, gradients) are per renderer; the page holds many SVGs, so each gets its own
    return svg.replace(/\bid="([^"]+)"/g, `id="${id}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${id}-$1)`);
  } finally {
    view.finalize();
  }
}
