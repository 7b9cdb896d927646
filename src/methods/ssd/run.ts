// SSD and LF-SSD on a run context: the full-data importance (from a Fisher file or a pass over the
// train set), one pass over the forget set, dampening (dampen.ts), and, once the edit is staged, the
// forget set's outcome on the staged file. Also the importance pass that `scrub fisher` writes.
import { existsSync } from 'node:fs';
import { BadInputError } from '../../core/errors.js';
import { version } from '../../core/version.js';
import { RunContext, type CommonOptions } from '../../context/index.js';
import { everyExampleSkipped, requireLabels, withoutLabels, type Batch, type Dataset } from '../../data/dataset.js';
import { exampleDigests, hex, SetDigest } from '../../data/digest.js';
import { numElements, tensorToFloat32 } from '../../graph/ir.js';
import type { StagedModel } from '../../graph/write.js';
import { ForwardModel } from '../../runtime/forward.js';
import type { GradientModel } from '../../runtime/gradient.js';
import { measurementOf, type ParallelChoice } from '../../runtime/parallel.js';
import type { MethodInputs, MethodRun } from '../types.js';
import { ASSD_LAMBDA, assdAlpha, type AutoAlpha } from './auto.js';
import { dampen } from './dampen.js';
import {
  checkFisher,
  checkFisherNormalisation,
  fisherFromSums,
  readFisher,
  type FisherFile,
  type FisherPart,
  type FisherShard,
} from './fisher-file.js';
import { shardRange, type ShardSpec } from './fisher-shard.js';
import { countCorrect, importanceMeans, importanceSums, topClasses, type ImportanceSums } from './importance.js';
import { fisherBeside, NO_LABELS_REMEDY, VARIANTS, type Variant, type VariantSpec } from './variants.js';

/** SSD's minibatch for both importance passes (the paper's and the reference's). */
export const SSD_BATCH = 64;

/** The SSD and LF-SSD options (besides the run context's). */
export interface DampeningOptions {
  /** A Fisher file of the full-data importance (`scrub fisher`); default MODEL.fisher when it exists. */
  fisher?: string;
  /** The training data, for an importance pass instead of a Fisher file. */
  train?: string;
  /** Selection threshold α, or 'auto' (the default): chosen by ASSD's rule (auto.ts). */
  alpha?: number | 'auto';
  /** Dampening constant λ, or 'auto' (the default): ASSD's 1. */
  lambda?: number | 'auto';
  /** Minibatch of the importance passes (default 64). */
  batchSize?: number;
}

export interface SsdParameterReport {
  name: string;
  torchName?: string;
  transposed: boolean;
  shape: number[];
  elements: number;
  selected: number;
}

export interface DampeningReport {
  method: Variant;
  model: { path: string; sha256: string };
  hyperparameters: { alpha: number; lambda: number; batchSize: number };
  /** How α and λ were chosen: given, or by ASSD's rule and the statistic it read. */
  selection: DampeningSelection;
  full: {
    source: 'fisher' | 'train';
    path: string;
    count: number;
    batches: number;
    digest: string;
    seconds: number;
  };
  forget: { source: string; count: number; labelled: boolean; batches: number; digest: string; seconds: number };
  parameters: SsdParameterReport[];
  selected: number;
  /** Selected elements whose value the dampening changed. */
  changed: number;
  elements: number;
  /** What forgetAccuracy counts: top-1, or for a multi-label head exact match of every label at 0.5. */
  accuracy: 'top-1' | 'exact match';
  /** Top-1 accuracy on the forget set; null for a forget set without labels. */
  forgetAccuracy: { before: number; after: number } | null;
  /** Share of forget examples whose top-1 class the edit changed (needs no labels). */
  forgetPredictionsChanged: number;
  seconds: number;
}

/** How α and λ were chosen ('given': the request's numbers; 'assd': auto.ts). */
export interface DampeningSelection {
  alpha: 'given' | 'assd';
  /** 'paper': not given with a given α, the paper's 1. */
  lambda: 'given' | 'assd' | 'paper';
  /** ASSD's statistic, when α was chosen by it. */
  assd?: Omit<AutoAlpha, 'alpha' | 'lambda'>;
}

export interface SsdReport extends DampeningReport {
  method: 'ssd';
  forgetAccuracy: { before: number; after: number };
}

export interface LfSsdReport extends DampeningReport {
  method: 'lf-ssd';
}

/**
 * SSD (Foster et al., AAAI 2024) or LF-SSD on `ctx`: dampens every parameter element whose forget-set
 * importance exceeds α times its full-data importance. Throws BadInputError without a Fisher file or
 * train set, for a Fisher file of another model, data or kind, for bad α/λ, and for a forget set that
 * is the whole training set.
 */
export async function runDampening(
  variant: VariantSpec,
  ctx: RunContext,
  o: MethodInputs & DampeningOptions,
): Promise<MethodRun<DampeningReport>> {
  const t0 = performance.now();
  const autoAlpha = (o.alpha ?? 'auto') === 'auto';
  const autoLambda = (o.lambda ?? 'auto') === 'auto';
  const batchSize = o.batchSize ?? SSD_BATCH;
  for (const [flag, v] of [
    ['alpha', o.alpha],
    ['lambda', o.lambda],
  ] as const)
    if (v !== undefined && v !== 'auto' && !(typeof v === 'number' && v > 0))
      throw new BadInputError(`--${flag} must be a positive number or auto (got ${String(v)}).`);
  let fisherPath = o.fisher;
  const beside = fisherBeside(ctx.modelPath, variant);
  if (!fisherPath && !o.train && existsSync(beside)) {
    fisherPath = beside;
    ctx.note(`using the Fisher file beside the model: ${beside}`);
  }
  if (!fisherPath && !o.train)
    throw new BadInputError(
      `${variant.title} compares the forget set with the full training data: pass --fisher FILE (made once with ` +
        `\`scrub fisher MODEL TRAIN${variant.fisherFlags} -o FILE\`) or --train DATA` +
        `${variant.name === 'lf-ssd' ? ' (labels not needed)' : ''}.`,
    );
  const gm = await ctx.gradientModel(variant.loss, { frozen: true });
  const needLabels = (data: Dataset, spec: string) => {
    if (variant.name === 'ssd') requireLabels(data, spec, 'SSD', NO_LABELS_REMEDY);
  };
  let fisher: FisherFile | undefined;
  if (fisherPath) {
    fisher = readFisher(fisherPath);
    checkFisher(fisherPath, fisher, ctx.sha256, gm.params, batchSize, variant.fisherKind);
  }
  if (fisher && o.train) {
    const train = await ctx.openSet(o.train, 'train');
    needLabels(train, o.train);
    checkFisherNormalisation(fisherPath!, fisher, train, o.train);
    await checkFisherData(fisherPath!, fisher, train, batchSize, gm);
  }
  const forgetSet = await ctx.openSet(o.forget, 'forget');
  needLabels(forgetSet, o.forget);
  if (fisher) checkFisherNormalisation(fisherPath!, fisher, forgetSet, o.forget);
  let full: ImportanceSums;
  if (fisher) {
    const d = fisher.header.data;
    full = {
      sums: fisher.sums,
      batches: d.batches,
      count: d.count,
      batchSize: d.batchSize,
      digest: d.digest,
      correct: 0,
      seconds: 0,
    };
  } else {
    const train = await ctx.openSet(o.train!, 'train');
    needLabels(train, o.train!);
    full = await importanceSums(gm, train, batchSize, {
      signal: ctx.signal,
      onProgress: (d, t) => ctx.progress('full', d, t),
    });
  }
  if (autoAlpha && forgetSet.count >= full.count)
    throw wholeTrainingSet(o.forget, variant, forgetSet.count, full.count);
  const forget = await importanceSums(gm, forgetSet, batchSize, {
    keepPredictions: true,
    // the edited model's check (forgetOutcome) and the record's evaluation read them again
    keepBatches: KEEP_FORGET_BYTES,
    signal: ctx.signal,
    onProgress: (d, t) => ctx.progress('forget', d, t),
  });
  if (forget.count === 0) throw everyExampleSkipped(o.forget, 'forget', 'forget');
  // the record's evaluation reads the forget set again: from memory
  if (forget.kept) ctx.keep(o.forget, forgetSet, forget.kept, batchSize);
  if (forget.digest === full.digest || (autoAlpha && forget.count >= full.count))
    throw wholeTrainingSet(o.forget, variant, forget.count, full.count);

  const fullMean = importanceMeans(full);
  const forgetMean = importanceMeans(forget);
  let chosen: AutoAlpha | undefined;
  if (autoAlpha) {
    try {
      chosen = assdAlpha(
        gm.params.map((p) => [fullMean.get(p.name)!, forgetMean.get(p.name)!] as const),
        forget.count,
        full.count,
      );
    } catch (e) {
      throw new BadInputError(
        `--alpha auto cannot choose α here: ${(e as Error).message}. Give --alpha A (the paper's is 10).`,
      );
    }
  }
  const alpha = autoAlpha ? chosen!.alpha : (o.alpha as number);
  const lambda = autoLambda ? ASSD_LAMBDA : (o.lambda as number);
  const selection: DampeningSelection = {
    alpha: autoAlpha ? 'assd' : 'given',
    lambda: !autoLambda ? 'given' : autoAlpha ? 'assd' : 'paper',
    ...(chosen && {
      assd: {
        percentile: chosen.percentile,
        forgetFraction: chosen.forgetFraction,
        ratios: chosen.ratios,
        skipped: chosen.skipped,
      },
    }),
  };
  const weights = new Map<string, Float32Array>();
  const parameters: SsdParameterReport[] = [];
  let changed = 0;
  for (const p of gm.params) {
    const w = tensorToFloat32(ctx.model.graph.initializers.get(p.name)!);
    const r = dampen(w, fullMean.get(p.name)!, forgetMean.get(p.name)!, { alpha, lambda });
    if (r.selected > 0) weights.set(p.name, r.weights);
    changed += r.changed;
    parameters.push({
      name: p.name,
      torchName: p.torchName,
      transposed: p.transposed,
      shape: p.shape,
      elements: numElements(p.shape),
      selected: r.selected,
    });
  }

  return {
    weights,
    async finish(staged: StagedModel): Promise<DampeningReport> {
      const after = await forgetOutcome(staged.path, gm, forgetSet, forget.predictions!, batchSize, ctx, forget.kept);
      return {
        method: variant.name,
        model: { path: ctx.modelPath, sha256: ctx.sha256 },
        hyperparameters: { alpha, lambda, batchSize },
        selection,
        full: {
          source: fisher ? 'fisher' : 'train',
          path: (fisherPath ?? o.train)!,
          count: full.count,
          batches: full.batches,
          digest: full.digest,
          seconds: full.seconds,
        },
        forget: {
          source: o.forget,
          count: forget.count,
          labelled: forgetSet.labelled,
          batches: forget.batches,
          digest: forget.digest,
          seconds: forget.seconds,
        },
        parameters,
        selected: parameters.reduce((a, p) => a + p.selected, 0),
        changed,
        elements: parameters.reduce((a, p) => a + p.elements, 0),
        accuracy: gm.head.kind === 'multi-label' ? 'exact match' : 'top-1',
        forgetAccuracy:
          after.accuracy === null ? null : { before: forget.correct / forget.count, after: after.accuracy },
        forgetPredictionsChanged: after.changed,
        seconds: (performance.now() - t0) / 1000,
      };
    },
  };
}

/** The forget set is the training data (by digest), or as large as it where α is chosen from their ratio. */
function wholeTrainingSet(spec: string, variant: VariantSpec, forgetCount: number, fullCount: number): BadInputError {
  if (forgetCount > fullCount)
    return new BadInputError(
      `${spec}: the forget set (${forgetCount} examples) is larger than the training data the full importance ` +
        `was taken over (${fullCount}); --alpha auto chooses α from their ratio. Give the full importance of the ` +
        'whole training data (--fisher FILE or --train DATA), or --alpha A.',
    );
  return new BadInputError(
    `${spec}: the forget set is the whole training set (${forgetCount} examples, the full data ${fullCount}); ` +
      `${variant.title} would dampen by comparison with itself. Retrain from scratch instead, or forget a subset.`,
  );
}

/** Refuses a Fisher file computed on other data than the given train set (hashes only, no gradients). */
async function checkFisherData(
  path: string,
  f: FisherFile,
  train: Dataset,
  batchSize: number,
  gm: GradientModel,
): Promise<void> {
  const digest = new SetDigest();
  for await (const batch of train.batches(Math.max(batchSize, 1024)))
    for (const d of exampleDigests(gm.loss === 'logit-norm' ? withoutLabels(batch) : batch)) digest.add(d);
  const d = f.header.data;
  if (digest.count !== d.count || hex(digest.digest()) !== d.digest)
    throw new BadInputError(
      `${path}: this Fisher file was computed on another data set (${d.description}, ${d.count} examples) than ` +
        `--train ${train.description} (${digest.count} examples). Compute it again with \`scrub fisher\`.`,
    );
}

export interface ForgetOutcome {
  /** Top-1 accuracy of the edited model; null for a set without labels. */
  accuracy: number | null;
  /** Share of examples whose top-1 class differs from `before` (per position in the set). */
  changed: number;
}

/** The forget set's batches kept from its importance pass for the edited model's check, up to this many bytes. */
const KEEP_FORGET_BYTES = 256 * 2 ** 20;

/** How the edited model file does on the forget set (forward passes only), over `kept` batches of it where given. */
export async function forgetOutcome(
  path: string,
  gm: GradientModel,
  data: Dataset,
  before: Int32Array,
  batchSize: number,
  ctx: RunContext,
  kept?: readonly Batch[],
): Promise<ForgetOutcome> {
  const { device, threads } = ctx.options;
  const fm = await ForwardModel.open(path, gm.inputs, {
    device,
    threads,
    head: gm.head,
    onNote: (m) => ctx.note(m),
    memo: ctx.forwardForms,
  });
  try {
    const size = Math.max(batchSize, 256);
    fm.plan(kept?.length ?? Math.ceil(data.count / size), ctx.signal);
    let correct = 0;
    let changed = 0;
    let n = 0;
    for await (const batch of kept ?? data.batches(size)) {
      ctx.throwIfAborted();
      const logits = await fm.logits(batch.inputs ?? batch.x);
      // the record's evaluation of the edited model reads the same batches (RunContext.keep): not run twice
      ctx.rememberLogits(path, gm.head, batch, logits);
      correct += countCorrect(logits, batch, gm.classes);
      topClasses(logits, gm.classes).forEach((c, i) => {
        if (c !== before[batch.index[i]]) changed++;
      });
      n += batch.y.length;
      ctx.progress('evaluate', n, data.count);
    }
    return { accuracy: data.labelled ? (n ? correct / n : 0) : null, changed: n ? changed / n : 0 };
  } finally {
    await fm.release();
  }
}

export type FisherPassOptions = CommonOptions & { model: string; train: string; method?: Variant };

/** The full-data importance written to a Fisher file. */
/**
 * The full-data importance as a Fisher file; `parallel`: the form its pass ran in where it was chosen by
 * measurement (not part of the file).
 */
export async function computeFisher(o: FisherPassOptions): Promise<FisherFile & { parallel?: ParallelChoice }> {
  const { header, sums, parallel } = await importancePass(o);
  return { header, sums: sums.sums, parallel };
}

/** Shard K/N of the full-data importance: the sums over its range of minibatches (see fisher-shard.ts). */
export async function computeFisherPart(
  o: FisherPassOptions & { shard: ShardSpec },
): Promise<FisherPart & { parallel?: ParallelChoice }> {
  if (o.onBadInput === 'skip')
    throw new BadInputError(
      '--shard cannot be combined with --on-bad-input skip: a skipped example shifts every later minibatch, so ' +
        'the parts would not add up to the single pass. Fix or remove the bad examples instead.',
    );
  const { header, sums, shard, parallel } = await importancePass(o, o.shard);
  const { digest: _rangeDigest, ...data } = header.data;
  const part = { header: { ...header, data, shard: shard! }, sums: sums.sums, exampleDigests: sums.exampleDigests! };
  return { ...part, parallel };
}

async function importancePass(
  o: FisherPassOptions,
  shardSpec?: ShardSpec,
): Promise<{ header: FisherFile['header']; sums: ImportanceSums; shard?: FisherShard; parallel?: ParallelChoice }> {
  const variant = VARIANTS[o.method ?? 'ssd'];
  const batchSize = o.batchSize ?? SSD_BATCH;
  const ctx = RunContext.open(o);
  try {
    const gm = await ctx.gradientModel(variant.loss, { frozen: true });
    const train = await ctx.openSet(o.train, 'train');
    if (variant.name === 'ssd') requireLabels(train, o.train, 'SSD', NO_LABELS_REMEDY);
    const shard = shardSpec && shardRange(train.count, batchSize, shardSpec);
    const positions = shard && { start: shard.examples[0], end: shard.examples[1] };
    const sums = await importanceSums(gm, train, batchSize, {
      positions,
      keepDigests: !!shard,
      signal: o.signal,
      onProgress: (d, t) => o.onProgress?.('full', d, t),
    });
    const description =
      variant.name === 'lf-ssd' && train.labelled ? `${train.description} (labels ignored)` : train.description;
    // A part's header describes the whole set (its count and minibatches), the shard its range.
    const whole = shard ? { ...sums, count: train.count, batches: Math.ceil(train.count / batchSize) } : sums;
    const f = fisherFromSums(
      whole,
      { sha256: ctx.sha256, source: o.model },
      description,
      gm.params,
      `scrub ${version()}`,
      variant.fisherKind,
      train.normalisation,
    );
    // the parallel form the pass ran in, where it was chosen by measurement (runtime/parallel.ts)
    const parallel = measurementOf(gm.parallel) && gm.parallel;
    return { header: f.header, sums, shard, parallel };
  } finally {
    await ctx.release();
  }
}
