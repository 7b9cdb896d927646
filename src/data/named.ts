// Sets for models with several inputs (a Hugging Face text classifier's input_ids, attention_mask,
// token_type_ids): a folder holding one NAME.npy per graph input and, for labels, y.npy (class
// indices [N] or multi-hot [N, C]), as `scrub grad --x DIR` takes them. Each input is read as a set
// of its own with the same selection, and their batches are zipped: every batch carries all of them
// (Batch.inputs), the first as x, with the labels of y.npy. JSON Lines rows keyed by the input names and
// text with a tokenizer are text.ts's (dataset.ts sends them there first).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import type { Batch, Dataset, DatasetOptions } from './types.js';

type Open = (spec: string, opts: DatasetOptions) => Promise<Dataset>;

/**
 * The set `spec` (DIR, with selection terms: `DIR@0:100`) for the named inputs of `opts.inputs`.
 * Throws BadInputError for a spec that is not such a folder, a missing NAME.npy, inputs whose example
 * counts differ, or `--on-bad-input skip` (a skipped example of one input would misalign the others).
 */
export async function openNamedDataset(spec: string, opts: DatasetOptions, open: Open): Promise<Dataset> {
  const inputs = opts.inputs!;
  const names = inputs.map((i) => i.name);
  const at = spec.indexOf('@');
  const [dir, terms] = at < 0 || existsSync(spec) ? [spec, ''] : [spec.slice(0, at), spec.slice(at)];
  const folder = `a folder holding ${names.map((n) => `${n}.npy`).join(', ')} (and y.npy for labels)`;
  const want =
    `${folder}, JSON Lines rows keyed by those names, or text (.tsv, .csv, JSON Lines "text") with ` + '--tokenizer';
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new BadInputError(`${dir}: the model takes ${inputs.length} inputs (${names.join(', ')}); give ${want}.`);
  for (const n of names)
    if (!existsSync(join(dir, `${n}.npy`))) throw new BadInputError(`${dir}: no ${n}.npy; give ${folder}.`);
  if (opts.onBadInput === 'skip')
    throw new BadInputError(
      `${dir}: --on-bad-input skip cannot be used with several inputs (a skipped example of one would shift the ` +
        'others); fix or remove the bad examples.',
    );
  const labels = existsSync(join(dir, 'y.npy')) ? join(dir, 'y.npy') : null;
  const parts: Dataset[] = [];
  for (const [k, input] of inputs.entries()) {
    const { inputs: _all, ...single } = opts;
    // the first input carries the labels; the others are read without
    parts.push(
      await open(`${join(dir, `${input.name}.npy`)}${terms}`, { ...single, input, npyLabels: k === 0 ? labels : null }),
    );
  }
  const first = parts[0];
  for (const [k, p] of parts.entries())
    if (p.count !== first.count)
      throw new BadInputError(
        `${dir}: ${names[k]}.npy selects ${p.count} examples and ${names[0]}.npy ${first.count}; every input ` +
          'holds the same examples.',
      );
  return {
    count: first.count,
    labelled: first.labelled,
    ...(first.labelWidth === undefined ? {} : { labelWidth: first.labelWidth }),
    classes: first.classes,
    description: `${dir} (${names.join(', ')})${terms}: ${first.count} examples`,
    exampleDims: first.exampleDims,
    get skipped() {
      return 0;
    },
    skippedExamples: [],
    async *batches(batchSize: number, positions?: { start: number; end: number }): AsyncGenerator<Batch> {
      const its = parts.map((p) => p.batches(batchSize, positions)[Symbol.asyncIterator]());
      for (;;) {
        const steps = await Promise.all(its.map((it) => it.next()));
        if (steps.every((s) => s.done)) return;
        if (steps.some((s) => s.done)) throw new Error(`${dir}: the inputs' batches ran out unevenly`);
        const batches = steps.map((s) => s.value as Batch);
        const lead = batches[0];
        yield { ...lead, inputs: Object.fromEntries(batches.map((b, k) => [names[k], b.x])) };
      }
    },
  };
}
