// mia_loss averaged over evaluation seeds. One seed's value moves with its subsampling and splits:
// on a 1,000-example unseen set (one class of Fashion-MNIST's test set) by ±0.03 for the same model,
// as much as the differences worth measuring. Comparing two models on the mean over the same seeds
// compares the models.
import { openDataset, type DatasetOptions } from '../data/dataset.js';
import { ForwardModel } from '../runtime/forward.js';
import type { Device } from '../runtime/session.js';
import { miaLoss } from './metrics.js';
import { runSet } from './pass.js';
import { describeModel } from './run.js';

export interface SeedMeanOptions extends Pick<DatasetOptions, 'mean' | 'std'> {
  /** The unseen set: every example of `test`, or with `unseenClass` only that class's. */
  test: string;
  unseenClass?: number;
  seeds?: readonly number[];
  device?: Device;
  threads?: number;
}

export async function miaLossSeedMean(model: string, forget: string, o: SeedMeanOptions): Promise<number> {
  const { input, classes, head } = await describeModel(model);
  const fm = await ForwardModel.open(model, input, { device: o.device, threads: o.threads, head });
  try {
    const opts = { input, mean: o.mean, std: o.std };
    const [f] = await runSet([fm], await openDataset(forget, opts), classes);
    const [t] = await runSet([fm], await openDataset(o.test, opts), classes);
    const unseen = o.unseenClass === undefined ? t.losses : t.losses.filter((_, i) => t.labels[i] === o.unseenClass);
    const seeds = o.seeds ?? [0, 1, 2, 3, 4];
    let sum = 0;
    for (const seed of seeds) {
      const r = miaLoss(f.losses, unseen, seed);
      if (!r.ok) throw new Error(`mia_loss of ${model}: ${r.reason}`);
      sum += r.value;
    }
    return sum / seeds.length;
  } finally {
    await fm.release();
  }
}
