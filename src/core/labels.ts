// The one check that a batch's labels fit a classifier: one label per input, each a class index.
import { BadInputError } from './errors.js';

/**
 * Throws a BadInputError unless `labels` holds exactly `n` labels, each in 0 … classes − 1.
 * `source` names the data (or the model) in the message. `index`, when given, maps a label's
 * position in this batch to the example's position in its data set, and the message names that
 * example; without it the message names the label's index in `labels`.
 */
export function checkLabels(
  source: string,
  labels: BigInt64Array,
  n: number,
  classes: number,
  index?: readonly number[],
): void {
  if (labels.length !== n)
    throw new BadInputError(`${source}: ${labels.length} labels for ${n} inputs; they must match one to one.`);
  const top = BigInt(classes);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0n || labels[i] >= top) {
      const which = index
        ? `example ${index[i]} ${labelOutside(labels[i], classes)}`
        : `label ${labels[i]} at index ${i} is outside ${theClasses(classes)}`;
      throw new BadInputError(`${source}: ${which}. Check that the data belongs to this model.`);
    }
}

/** `has label L, outside the model's C classes (0 to C − 1)` where `label` is no class index of `classes`. */
export function labelOutside(label: bigint, classes: number): string | undefined {
  return label < 0n || label >= BigInt(classes) ? `has label ${label}, outside ${theClasses(classes)}` : undefined;
}

const theClasses = (classes: number) => `the model's ${classes} classes (0 to ${classes - 1})`;
