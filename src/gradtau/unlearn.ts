// ∇τ end to end: the sets, the checks the issue asks for (forget larger than retain, val
// overlapping forget, divergence), the run, and the edited model staged and committed.
import { exampleDigest, hex } from '../data/digest.js';
import { BadInputError, DivergedError } from '../core/errors.js';
import { loadModel } from '../graph/load.js';
import { settle, stageModel, type ModelOutput } from '../graph/write.js';
import { GradientModel, modelHash } from '../runtime/gradient.js';
import { datasetOptions, openSet, type CommonOptions } from '../ssd/run.js';
import { evaluateSet, initialWeights, loadExamples, runGradTau, type ExampleSet, type GradTauEpoch } from './run.js';
import { runGradTauDefault } from './default.js';
import { forgottenClasses } from './targets.js';

export type Schedule = 'default' | 'reference';
export const SCHEDULES: readonly Schedule[] = ['default', 'reference'];

export interface GradTauUnlearnOptions extends CommonOptions {
  model: string;
  forget: string;
  retain?: string;
  val?: string;
  schedule?: string;
  seed?: number;
  out?: string;
}

export interface GradTauReport {
  method: 'gradtau';
  schedule: Schedule;
  model: { path: string; sha256: string };
  output: ModelOutput;
  forget: { source: string; count: number; labelled: true };
  retain: { source: string; count: number };
  val: { source: string; count: number; overlapWithForget: number };
  hyperparameters: {
    epochs: number;
    alpha0: number;
    lr: number;
    weightDecay: number;
    batch: number;
    retainBatch: number;
    seed: number;
  };
  trace: GradTauEpoch[];
  steps: number;
  forgetAccuracy: { before: number; after: number };
  retainAccuracy: { before: number; after: number };
  parameters: { name: string; torchName?: string }[];
  seconds: number;
}

export async function runGradTauUnlearning(o: GradTauUnlearnOptions): Promise<GradTauReport> {
  const t0 = performance.now();
  if (!o.retain)
    throw new BadInputError(
      '∇τ descends on the retain set: pass --retain DATA (the training data minus the forget set).',
    );
  if (!o.val)
    throw new BadInputError(
      '∇τ needs a held-out set the model never trained on: pass --val DATA. The ascent on the forget set stops at the loss of unseen data (L_val), so without it scrub cannot tell when the forget set looks unseen.',
    );
  const schedule = (o.schedule ?? 'default') as Schedule;
  if (!SCHEDULES.includes(schedule))
    throw new BadInputError(
      `--schedule ${o.schedule}: expected default (targets from the held-out losses; see README) or reference (Trippa et al.'s schedule as published).`,
    );
  const seed = o.seed ?? 0;
  const model = loadModel(o.model);
  const opened = { params: o.params, device: o.device, threads: o.threads };
  const gm =
    schedule === 'default'
      ? await GradientModel.open(model, { ...opened, loss: 'matched' })
      : await GradientModel.open(model, opened);
  try {
    const dopts = datasetOptions(gm, model, o);
    const load = async (spec: string, what: string) => {
      const ds = await openSet(spec, what, dopts);
      if (!ds.labelled) throw new BadInputError(`${spec}: the ${what} set has no labels; ∇τ needs them.`);
      return loadExamples(ds, { signal: o.signal });
    };
    const forget = await load(o.forget, 'forget');
    const retain = await load(o.retain, 'retain');
    const val = await load(o.val, 'val');
    if (forget.count > retain.count)
      throw new BadInputError(
        `${o.forget}: the forget set (${forget.count} examples) is larger than the retain set (${retain.count}); ∇τ's schedule assumes forgetting a minority. Retrain from scratch instead.`,
      );
    const overlap = countOverlap(forget, val);
    if (overlap > 0)
      o.onNote?.({
        kind: 'note',
        message: `${overlap} example(s) of --val ${o.val} are also in the forget set: L_val (and the default schedule's held-out targets) are then lower than unseen data's, and ∇τ forgets less. Use a held-out set disjoint from the training data.`,
      });

    const removed = schedule === 'default' ? forgottenClasses(forget.y, retain.y, gm.classes) : [];
    if (removed.length)
      o.onNote?.({
        kind: 'note',
        message: `class(es) ${removed.join(', ')} of the forget set have no retain examples: ∇τ forgets them as classes (their examples are steered to the model's other classes).`,
      });

    const w0 = initialWeights(model, gm);
    const before = { forget: await evaluateSet(gm, forget, w0), retain: await evaluateSet(gm, retain, w0) };
    const chance = Math.log(gm.classes);
    const run = gm.loss === 'matched' ? runGradTauDefault.bind(null, gm) : runGradTau.bind(null, gm);
    const result = await run(
      w0,
      { forget, retain, val },
      {
        seed,
        signal: o.signal,
        onStep: (p) => {
          if (!Number.isFinite(p.lForget) || !Number.isFinite(p.lRetain))
            throw new DivergedError(
              `∇τ diverged at epoch ${p.epoch}, step ${p.step}: the forget loss is ${p.lForget} and the retain loss ${p.lRetain}. The input model is untouched; nothing was written.`,
            );
          o.onProgress?.('gradtau', p.done, p.total);
        },
        onEpoch: (e) => {
          if (e.lRetain > chance)
            throw new DivergedError(
              `∇τ diverged at epoch ${e.epoch}: the mean retain loss ${e.lRetain.toFixed(3)} is above chance level (ln ${gm.classes} = ${chance.toFixed(3)}); retain accuracy has collapsed. The input model is untouched; nothing was written.`,
            );
        },
      },
    );
    const after = {
      forget: await evaluateSet(gm, forget, result.weights),
      retain: await evaluateSet(gm, retain, result.weights),
    };
    const out = o.out ?? o.model.replace(/(\.onnx)?$/, '.unlearned.onnx');
    const output = settle(stageModel(model, out, result.weights), o.keepStaged);
    return {
      method: 'gradtau',
      schedule,
      model: { path: o.model, sha256: modelHash(model) },
      output,
      forget: { source: o.forget, count: forget.count, labelled: true },
      retain: { source: o.retain, count: retain.count },
      val: { source: o.val, count: val.count, overlapWithForget: overlap },
      hyperparameters: {
        epochs: result.schedule.epochs,
        alpha0: result.schedule.alpha0,
        lr: 1e-3,
        weightDecay: 0.01,
        batch: result.schedule.batch,
        retainBatch: result.schedule.retainBatch,
        seed,
      },
      trace: result.trace,
      steps: result.steps,
      forgetAccuracy: { before: before.forget.accuracy, after: after.forget.accuracy },
      retainAccuracy: { before: before.retain.accuracy, after: after.retain.accuracy },
      parameters: gm.params.map((p) => ({ name: p.name, torchName: p.torchName })),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await gm.release();
  }
}

function digests(set: ExampleSet): Set<string> {
  const per = set.x.length / Math.max(1, set.count);
  const out = new Set<string>();
  for (let i = 0; i < set.count; i++) out.add(hex(exampleDigest(set.x.subarray(i * per, (i + 1) * per), set.y[i])));
  return out;
}

function countOverlap(forget: ExampleSet, val: ExampleSet): number {
  const f = digests(forget);
  let n = 0;
  for (const d of digests(val)) if (f.has(d)) n++;
  return n;
}
