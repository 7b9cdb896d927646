// The dampening methods' rows of the method table: SSD and LF-SSD (variants.ts), their options,
// their record section and their summary. Also the importance tools behind `scrub fisher`.
import { BEFORE_AFTER, BOOLEAN, COUNT, MODEL, NUMBER, object, STRING } from '../common/report-schema.js';
import { SINGLE_LABEL_HEADS, type MethodOption, type ReportSection, type UnlearningMethod } from '../types.js';
import { runDampening, type DampeningOptions, type DampeningReport } from './run.js';
import { VARIANTS, type VariantSpec } from './variants.js';

export { computeFisher, computeFisherPart, SSD_BATCH, type FisherPassOptions } from './run.js';
export { assdAlpha, assdPercentile, percentileOf, percentileOfSorted, type AutoAlpha } from './auto.js';
export type {
  DampeningOptions,
  DampeningReport,
  DampeningSelection,
  LfSsdReport,
  SsdReport,
  SsdParameterReport,
} from './run.js';
export { readFisher, writeFisher, writeFisherPart, type FisherHeader, type FisherShard } from './fisher-file.js';
export { mergeFisherParts } from './fisher-merge.js';
export { batchSpan, parseShard } from './fisher-shard.js';
export { fisherBeside, variantSpec, VARIANTS, type Variant } from './variants.js';

const OPTIONS: readonly MethodOption[] = [
  {
    key: 'fisher',
    flag: 'fisher',
    kind: 'file',
    arg: 'FILE',
    help: 'the full-data importance, made once with `scrub fisher` (default: MODEL.fisher beside the model)',
  },
  {
    key: 'train',
    flag: 'train',
    kind: 'data',
    arg: 'DATA',
    help: 'the training data, for an importance pass instead of a Fisher file',
  },
  {
    key: 'alpha',
    flag: 'alpha',
    kind: 'positive-or-auto',
    arg: 'A',
    default: 'auto',
    help:
      "selection threshold α, or auto: adaptive SSD's percentile of the importance ratios " +
      '(Schoepf et al. 2024); the paper used 10',
  },
  {
    key: 'lambda',
    flag: 'lambda',
    kind: 'positive-or-auto',
    arg: 'L',
    default: 'auto',
    help: "dampening constant λ, or auto: adaptive SSD's 1",
  },
];

const SSD_PROPERTIES: Record<string, unknown> = {
  model: MODEL,
  hyperparameters: object({ alpha: NUMBER, lambda: NUMBER, batchSize: COUNT }),
  selection: object(
    {
      alpha: { enum: ['given', 'assd'] },
      lambda: { enum: ['given', 'assd', 'paper'] },
      assd: object({ percentile: NUMBER, forgetFraction: NUMBER, ratios: COUNT, skipped: COUNT }),
    },
    ['alpha', 'lambda'],
  ),
  full: object({
    source: { enum: ['fisher', 'train'] },
    path: STRING,
    count: COUNT,
    batches: COUNT,
    digest: STRING,
    seconds: NUMBER,
  }),
  forget: object({ source: STRING, count: COUNT, labelled: BOOLEAN, batches: COUNT, digest: STRING, seconds: NUMBER }),
  parameters: {
    type: 'array',
    items: object(
      {
        name: STRING,
        torchName: STRING,
        transposed: BOOLEAN,
        shape: { type: 'array', items: COUNT },
        elements: COUNT,
        selected: COUNT,
      },
      ['name', 'transposed', 'shape', 'elements', 'selected'],
    ),
  },
  selected: COUNT,
  changed: COUNT,
  elements: COUNT,
  accuracy: { enum: ['top-1', 'exact match'] },
  forgetAccuracy: BEFORE_AFTER,
  forgetPredictionsChanged: NUMBER,
  seconds: NUMBER,
};

function reportSection(variant: VariantSpec): ReportSection {
  const properties =
    variant.name === 'lf-ssd'
      ? {
          ...SSD_PROPERTIES,
          forgetAccuracy: { anyOf: [BEFORE_AFTER, { type: 'null' }] },
        }
      : SSD_PROPERTIES;
  return { properties, required: Object.keys(properties) };
}

function summaryLines(r: DampeningReport): string[] {
  const n = (v: number) => v.toLocaleString('en-US');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = [
    `${VARIANTS[r.method].title} (α ${+r.hyperparameters.alpha.toPrecision(4)}, λ ${r.hyperparameters.lambda}) on ` +
      r.model.path,
    `  forget set       ${r.forget.source}: ${n(r.forget.count)} example${r.forget.count === 1 ? '' : 's'}` +
      (r.forget.labelled ? '' : ', no labels'),
    `  full importance  ${r.full.source === 'fisher' ? 'Fisher file' : 'train set'} ${r.full.path}: ` +
      `${n(r.full.count)} examples`,
    `  selected         ${n(r.selected)} of ${n(r.elements)} parameters ` +
      `(${((100 * r.selected) / r.elements).toFixed(3)}%)` +
      (r.changed === r.selected
        ? ''
        : `, ${n(r.changed)} changed (a factor min(λ·full/forget, 1) of 1 where α < λ, or a weight of 0)`),
  ];
  const chosen = selectionLine(r);
  if (chosen) lines.splice(1, 0, chosen);
  const width = Math.max(...r.parameters.map((p) => (p.torchName ?? p.name).length));
  for (const p of r.parameters)
    if (p.selected > 0)
      lines.push(`    ${(p.torchName ?? p.name).padEnd(width)}  [${p.shape.join(', ')}]  ${n(p.selected)}`);
  if (r.forgetAccuracy)
    lines.push(
      `  forget ${r.accuracy === 'exact match' ? 'exact    ' : 'accuracy '} ${pct(r.forgetAccuracy.before)} → ` +
        `${pct(r.forgetAccuracy.after)}${r.accuracy === 'exact match' ? ' (every label right at 0.5)' : ''}`,
    );
  lines.push(`  predictions      ${pct(r.forgetPredictionsChanged)} of the forget set's changed class`);
  const unchanged = unchangedLine(r);
  if (unchanged) lines.push(unchanged);
  return lines;
}

/** The line that says how α (and λ) were chosen, where the rule chose α. */
function selectionLine(r: DampeningReport): string | undefined {
  const a = r.selection.assd;
  if (!a) return undefined;
  return (
    `  chosen           α by adaptive SSD (Schoepf et al. 2024): percentile ${a.percentile.toFixed(3)} of ` +
    `${a.ratios.toLocaleString('en-US')} forget/full importance ratios ` +
    `(|Df|/|D| = ${+a.forgetFraction.toPrecision(3)})` +
    (r.selection.lambda === 'assd' ? "; λ adaptive SSD's 1" : '')
  );
}

/**
 * Said plainly where SSD left the model (almost) as it was: at most 1% of the forget set's predictions
 * changed and its accuracy moved by at most one point. A random subset is no more important to the
 * weights than the training data is, so SSD dampens little that matters for it (Foster et al. 2024;
 * report.json's random scenarios): ∇τ is the method that forgets it.
 */
export function unchangedLine(
  r: Pick<DampeningReport, 'selected' | 'forgetPredictionsChanged' | 'forgetAccuracy'>,
): string | undefined {
  const moved = r.forgetAccuracy ? Math.abs(r.forgetAccuracy.after - r.forgetAccuracy.before) : 0;
  if (r.forgetPredictionsChanged > 0.01 || moved > 0.01) return undefined;
  return (
    `  unchanged        SSD left the model almost as it was on the forget set (${r.selected.toLocaleString('en-US')} ` +
    `weights selected, ${(100 * r.forgetPredictionsChanged).toFixed(1)}% of its predictions changed): the weights ` +
    'hold nothing particular to it beyond what the training data puts there, as with a random subset. To forget ' +
    'it, use --method gradtau.'
  );
}

function dampeningMethod(variant: VariantSpec, summary: string, brief?: string): UnlearningMethod<DampeningReport> {
  return {
    name: variant.name,
    title: variant.title,
    summary,
    brief,
    options: OPTIONS,
    sets: {},
    batchSize: true,
    // the importance is of the head's own loss (a multi-label head's binary cross-entropy), or of the logits
    heads: [...SINGLE_LABEL_HEADS, 'multi-label'],
    run: (ctx, o) => runDampening(variant, ctx, o as typeof o & DampeningOptions),
    record: (r) => ({
      name: r.method,
      hyperparameters: {
        alpha: r.hyperparameters.alpha,
        lambda: r.hyperparameters.lambda,
        alphaFrom: r.selection.alpha,
        lambdaFrom: r.selection.lambda,
      },
      batchSize: r.hyperparameters.batchSize,
      details: {
        ...(r.selection.assd && { assd: r.selection.assd }),
        fullImportance: r.full,
        selected: r.selected,
        changed: r.changed,
        elements: r.elements,
        parameters: r.parameters.map((p) => ({ name: p.name, selected: p.selected })),
        forgetDigest: r.forget.digest,
      },
    }),
    summaryLines,
    reportSchema: reportSection(variant),
  };
}

/** SSD (Foster et al., AAAI 2024): dampens the weights far more important to the forget set than to all data. */
export const ssd = dampeningMethod(
  VARIANTS.ssd,
  'Selective Synaptic Dampening: dampens the weights much more important to the forget set than to the ' +
    'training data (squared gradients of the cross-entropy); one pass over the forget set; needs labels.',
);

/** LF-SSD (Foster et al., 2024): SSD with the importance of the logits' norm; needs no labels. */
export const lfSsd = dampeningMethod(
  VARIANTS['lf-ssd'],
  "label-free SSD: the importance of the logits' squared norm instead of the loss; for a forget set without labels.",
  'label-free SSD, for a forget set without labels',
);
