// A set whose batches one pass kept in memory, read again without decoding its source: a run's
// forget set is read by the method's pass, by the edited model's check and by the record's evaluation,
// and decoding it can cost a good part of that pass (a selection of a gzipped file gunzips all of it:
// Fashion-MNIST's 5,479 class-0 images, 0.13 to 0.24 s on 2 vCPUs, against a 1.1 s importance pass).
import type { Batch, Dataset, DatasetOptions } from './types.js';

/**
 * `data` with `batches`, every batch one whole pass over it yielded at `batchSize` in order, kept in
 * memory: a pass over the whole set at that batch size yields them again (the same objects: callers
 * must not write into them); any other pass (another size, `positions`) reads `data`. `skipped` is
 * `data`'s. The batches must be every batch of one whole pass, as given by `data.batches(batchSize)`.
 */
export function keptDataset(data: Dataset, batches: readonly Batch[], batchSize: number): Dataset {
  const { count, labelled, labelWidth, classes, description, exampleDims, normalisation } = data;
  return {
    count,
    labelled,
    ...(labelWidth === undefined ? {} : { labelWidth }),
    ...(classes === undefined ? {} : { classes }),
    description,
    exampleDims,
    ...(normalisation === undefined ? {} : { normalisation }),
    get skipped() {
      return data.skipped;
    },
    get skippedExamples() {
      return data.skippedExamples;
    },
    batches(size: number, positions?: { start: number; end: number }): AsyncIterable<Batch> {
      if (size !== batchSize || positions) return data.batches(size, positions);
      return (async function* () {
        yield* batches;
      })();
    },
  };
}

/**
 * Whether a set opened with options `a` decodes into the same batches as with `b`: the same inputs
 * (dtypes, dims, token-id bounds), normalisation, labels, tokenizer (the same file or object) and
 * bad-input policy. Notes and roles are ignored.
 */
export function sameDecoding(a: DatasetOptions, b: DatasetOptions): boolean {
  const decoding = (o: DatasetOptions) =>
    JSON.stringify([o.input, o.inputs, o.labelWidth, o.npyLabels, o.mean, o.std, o.labels, o.onBadInput ?? 'stop']);
  return a.tokenizer === b.tokenizer && decoding(a) === decoding(b);
}
