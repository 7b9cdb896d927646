// scrub eval: forward passes over forget, retain and test for a model (and a retrained one).
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { findHead, type Head, type HeadChoice } from '../graph/head.js';
import { loadModel } from '../graph/load.js';
import { ForwardModel, openOnUse } from '../runtime/forward.js';
import { measurementOf, type FormMemo, type ParallelChoice } from '../runtime/parallel.js';
import { modelInputs, type InputSpec } from '../runtime/gradient.js';
import { probeModel } from '../runtime/shapes.js';
import { datasetOptions, headChoice, openSet, type CommonOptions } from '../context/index.js';
import { everyExampleSkipped, requireLabels, type Batch, type Dataset, type DatasetOptions } from '../data/dataset.js';
import type { Model } from '../graph/ir.js';
import { computeMetrics, gaps, type Metrics } from './evaluate.js';
import { runSet, type SetOutputs } from './pass.js';

export interface EvalOptions extends Omit<CommonOptions, 'params' | 'batchSize'> {
  model: string;
  forget: string;
  retain?: string;
  test?: string;
  retrain?: string;
  seed?: number;
}

export interface EvalReport {
  model: string;
  sets: {
    forget: { source: string; count: number };
    retain?: { source: string; count: number };
    test?: { source: string; count: number };
  };
  metrics: Metrics;
  retrain?: { model: string; metrics: Metrics; gap: Record<string, number> };
  /** As ModelsEvaluation.parallel gives it. */
  parallel?: ParallelChoice;
  seconds: number;
}

/** A model as evaluation reads it: its inputs (the first as `input`), head and class count. */
export interface Described {
  model: Model;
  input: InputSpec;
  inputs: InputSpec[];
  classes: number;
  head: Head;
}

/**
 * A model's input spec, its head (graph/head.ts: which output holds the class scores, and the logits
 * the metrics are computed from) and class count. `output` chooses the head's output (--output).
 */
export async function describeModel(path: string, output?: string | HeadChoice): Promise<Described> {
  return describeLoaded(loadModel(path), output, path);
}

/** describeModel of a model already loaded (`path` names it in messages). */
export async function describeLoaded(
  model: Model,
  output?: string | HeadChoice,
  path = model.path,
): Promise<Described> {
  let inputs = modelInputs(model);
  if (inputs.length === 0) throw new UnsupportedModelError(`${path}: the model has no data input.`);
  // a batch declared free that runs at one size only (traced: runtime/shapes.ts) is fixed at that size
  if (inputs.some((i) => typeof i.dims[0] !== 'number')) {
    const { traced } = await probeModel(model);
    if (traced) inputs = inputs.map((i) => ({ ...i, dims: [traced.batch, ...i.dims.slice(1)] }));
  }
  const input = inputs[0];
  // the declared output shapes where they say enough, else the probed ones (a Softmax's input, …)
  const declared = new Map(
    model.graph.outputs
      .filter((o) => o.shape?.length === 2 && typeof o.shape[1] === 'number')
      .map((o) => [o.name, { dtype: o.elemType, dims: o.shape! }]),
  );
  let head: Head;
  try {
    head = findHead(model, (name) => declared.get(name), output);
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    const { shapes } = await probeModel(model);
    head = findHead(model, (name) => shapes.get(name), output);
  }
  return { model, input, inputs, classes: head.classes, head };
}

/** What a caller may hook into a pass over the sets. */
export interface PassHooks {
  /** The run's forward forms so far (RunContext.forwardForms), taken and added to; default: this evaluation's own. */
  forms?: FormMemo;
  /** Every batch of the forget set, as read (the record's manifest). */
  onForgetBatch?: (b: Batch) => void;
  /** The forget set once read whole (the record's manifest names the examples it skipped). */
  onForgetSet?: (data: Dataset) => void;
  /**
   * The main model's head (and the model as loaded), once found and before any pass: a caller's check of
   * what it allows (the gates), and what its record says it measured.
   */
  onHead?: (head: Head, model: Model) => void;
  /**
   * How a set is opened (default: context/options.ts openSet, from its source): a run context's openAs
   * reads the batches a pass of the run kept in memory instead.
   */
  openSet?: (spec: string, what: string, opts: DatasetOptions) => Promise<Dataset>;
  /**
   * Logits a forward pass already computed for the model file `path`, its `head` and this batch object
   * (the run context's logitsOf: SSD's check of the edited model); undefined where none (then computed).
   */
  logitsOf?: (path: string, head: Head, batch: Batch) => Float32Array | undefined;
  /**
   * Models already loaded, by the path given for them: read instead of loading the file again, with
   * their probes (runtime/shapes.ts, cached per model object: 0.7 s on resnet18) where already run.
   */
  models?: ReadonlyMap<string, Model>;
}

export interface ModelsEvaluation {
  sets: EvalReport['sets'];
  /** Per model, in the order given. */
  metrics: Metrics[];
  /**
   * The threads the forward passes ran with where they were chosen by measurement (neither threads nor
   * a device given: ForwardModel.plan), the first model's that was, else undefined.
   */
  parallel?: ParallelChoice;
}

/**
 * Forward passes of several models over the same sets, each batch decoded once. With `retrain`,
 * the last model is the retrained one: the others get their distances to it.
 */
export async function evaluateModels(paths: readonly string[], o: EvalOptions & PassHooks): Promise<ModelsEvaluation> {
  const load = (p: string) => o.models?.get(p) ?? loadModel(p);
  const described = [await describeLoaded(load(paths[0]), headChoice(o), paths[0])];
  const main = described[0];
  o.onHead?.(main.head, main.model);
  for (const p of paths.slice(1)) {
    // --output names the head of the edited model (the input's graph) and of a retrained one that has it
    const model = load(p);
    const output = model.graph.outputs.some((v) => v.name === o.output) ? o.output : undefined;
    const r = await describeLoaded(model, { output, multiLabel: o.multiLabel }, p);
    described.push(r);
    if (JSON.stringify(r.inputs) !== JSON.stringify(main.inputs) || r.classes !== main.classes)
      throw new BadInputError(
        `${p}: takes ${r.input.name} [${r.input.dims}] → ${r.classes} classes, ` +
          `${paths[0]} takes ${main.input.name} [${main.input.dims}] → ${main.classes} classes; they must match.`,
      );
  }
  const dopts = datasetOptions(main, main.model, o);
  // each session opened at the first batch whose logits are not known (logitsOf): never, for the edited
  // model evaluated on the forget set alone after SSD's check computed them
  const opened: ForwardModel[] = [];
  const onNote = (message: string) => o.onNote?.({ kind: 'note', message });
  const memo = o.forms ?? new Map();
  const models = paths.map((p, k) =>
    openOnUse(
      () =>
        ForwardModel.open(p, main.inputs, {
          device: o.device,
          threads: o.threads,
          head: described[k].head,
          onNote,
          memo,
        }).then((m) => (opened.push(m), m)),
      main.inputs,
    ),
  );
  try {
    const sets: Partial<Record<'forget' | 'retain' | 'test', { spec: string; out: SetOutputs[] }>> = {};
    for (const [name, spec] of [
      ['forget', o.forget],
      ['retain', o.retain],
      ['test', o.test],
    ] as const) {
      if (!spec) continue;
      const data = await (o.openSet ?? openSet)(spec, name, dopts);
      requireLabels(
        data,
        spec,
        'evaluation',
        'Give labelled examples (y.npy beside x.npy, class folders, "y" in JSON Lines, a label column).',
      );
      const out = await runSet(models, data, main.classes, {
        multiLabel: main.head.kind === 'multi-label',
        keepProbs: name === 'forget' && !!o.retrain,
        signal: o.signal,
        onProgress: (d, t) => o.onProgress?.(name, d, t),
        onBatch: name === 'forget' ? o.onForgetBatch : undefined,
        known: o.logitsOf && ((m, batch) => o.logitsOf!(paths[m], described[m].head, batch)),
      });
      if (out[0].count === 0) throw everyExampleSkipped(spec, name, 'evaluate');
      if (name === 'forget') o.onForgetSet?.(data);
      sets[name] = { spec, out };
    }
    const retrainAt = o.retrain ? paths.length - 1 : -1;
    const metrics = paths.map((_, m) =>
      computeMetrics(
        { forget: sets.forget!.out[m], retain: sets.retain?.out[m], test: sets.test?.out[m] },
        {
          seed: o.seed,
          retrainForget: m !== retrainAt && retrainAt >= 0 ? sets.forget!.out[retrainAt] : undefined,
          classes: main.classes,
        },
      ),
    );
    return {
      sets: Object.fromEntries(
        Object.entries(sets).map(([k, v]) => [k, { source: v.spec, count: v.out[0].count }]),
      ) as EvalReport['sets'],
      metrics,
      parallel: opened.map((m) => m.parallel).find((p) => measurementOf(p)),
    };
  } finally {
    await Promise.all(models.map((m) => m.release()));
  }
}

export async function evaluate(o: EvalOptions & PassHooks): Promise<EvalReport> {
  const t0 = performance.now();
  const e = await evaluateModels(o.retrain ? [o.model, o.retrain] : [o.model], o);
  const report: EvalReport = {
    model: o.model,
    sets: e.sets,
    metrics: e.metrics[0],
    ...(e.parallel && { parallel: e.parallel }),
    seconds: 0,
  };
  if (o.retrain) report.retrain = { model: o.retrain, metrics: e.metrics[1], gap: gaps(e.metrics[0], e.metrics[1]) };
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}
