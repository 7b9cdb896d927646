// `scrub fisher merge`: shard parts into the file the single pass writes. The parts must come from
// one model, method, parameter list, batch size, data set and scrub version, and their ranges of
// minibatches must tile the whole pass: no gap, no overlap, no part twice. The sums are added in
// range order (float64, so the merge differs from the single pass's running sum by rounding only),
// and the set's digest is the running hash over the parts' example digests, in range order: the
// very digest the single pass computes.
import { resolve } from 'node:path';
import { SetDigest, hex } from '../../data/digest.js';
import { BadInputError, ScrubError } from '../../core/errors.js';
import { fisherFromSums, readFisherPart, type FisherFile, type FisherPart } from './fisher-file.js';
import { batchSpan } from './fisher-shard.js';

const DIGEST_BYTES = 32;

interface Named {
  path: string;
  part: FisherPart;
}

export function mergeFisherParts(paths: readonly string[]): FisherFile {
  if (paths.length === 0)
    throw new BadInputError('fisher merge: no parts given; usage: scrub fisher merge PART... -o FILE');
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = resolve(p);
    if (seen.has(key)) throw new BadInputError(`${p}: given twice to fisher merge; give each part once.`);
    seen.set(key, p);
  }
  const parts: Named[] = paths.map((path) => ({ path, part: readFisherPart(path) }));
  for (const b of parts.slice(1)) sameOrigin(parts[0], b);
  const ordered = tile(parts);

  const first = ordered[0].part;
  const sums = new Map([...first.sums].map(([name, v]) => [name, Float64Array.from(v)]));
  for (const { part } of ordered.slice(1))
    for (const [name, acc] of sums) {
      const v = part.sums.get(name)!;
      for (let i = 0; i < acc.length; i++) acc[i] += v[i];
    }
  const digest = new SetDigest();
  for (const { part } of ordered)
    for (let at = 0; at < part.exampleDigests.length; at += DIGEST_BYTES)
      digest.add(part.exampleDigests.subarray(at, at + DIGEST_BYTES));
  const h = first.header;
  return fisherFromSums(
    { sums, count: digest.count, batchSize: h.data.batchSize, batches: h.data.batches, digest: hex(digest.digest()) },
    h.model,
    h.data.description,
    h.params,
    h.createdBy,
    h.kind,
    h.data.normalisation,
  );
}

/** Refuses b unless it was computed like a: same method, model, parameters, batch size, data and scrub. */
function sameOrigin(a: Named, b: Named): void {
  const x = a.part.header;
  const y = b.part.header;
  const refuse = (message: string) => {
    throw new BadInputError(`${b.path}: ${message}. Nothing written.`);
  };
  if (y.kind !== x.kind)
    refuse(
      `holds ${y.kind}, ${a.path} holds ${x.kind}: parts of different methods; ` +
        'compute every part with the same --method',
    );
  if (y.model.sha256 !== x.model.sha256)
    refuse(
      `computed for another model than ${a.path} ` +
        `(${y.model.source}, sha256 ${y.model.sha256.slice(0, 12)}…; ` +
        `${x.model.source}, sha256 ${x.model.sha256.slice(0, 12)}…); compute every part for the same model`,
    );
  const list = (h: typeof x) => h.params.map((p) => `${p.name}[${p.shape}]`).join(',');
  if (list(y) !== list(x)) refuse(`covers other parameters than ${a.path}; compute every part with the same --params`);
  if (y.data.batchSize !== x.data.batchSize)
    refuse(
      `batch size ${y.data.batchSize}, ${a.path}: ${x.data.batchSize}; compute every part with the same --batch-size`,
    );
  if (y.data.description !== x.data.description || y.data.count !== x.data.count || y.data.batches !== x.data.batches)
    refuse(
      `computed on other data than ${a.path} (${y.data.description}; ${x.data.description}); ` +
        'compute every part on the same data set, named the same way',
    );
  if (JSON.stringify(y.data.normalisation) !== JSON.stringify(x.data.normalisation))
    refuse(
      `fed pixels normalised otherwise than ${a.path} (${JSON.stringify(y.data.normalisation ?? 'as stored')}; ` +
        `${JSON.stringify(x.data.normalisation ?? 'as stored')}); compute every part with the same --mean/--std`,
    );
  if (y.createdBy !== x.createdBy)
    refuse(`made by ${y.createdBy}, ${a.path} by ${x.createdBy}; compute every part with the same scrub version`);
}

/** The parts in range order, once it is checked that they cover every minibatch exactly once. */
function tile(parts: Named[]): Named[] {
  const { batches: total, batchSize, count } = parts[0].part.header.data;
  const byShard = new Map<string, string>();
  for (const { path, part } of parts) {
    const s = part.header.shard;
    const key = `${s.index}/${s.of}`;
    if (byShard.has(key))
      throw new BadInputError(
        `${path}: part ${key} again (also ${byShard.get(key)}); give each part once. Nothing written.`,
      );
    byShard.set(key, path);
    const [first, end] = s.batches;
    const examples = [Math.min(first * batchSize, count), Math.min(end * batchSize, count)];
    if (!(first <= end && end <= total) || s.examples[0] !== examples[0] || s.examples[1] !== examples[1])
      throw new BadInputError(`${path}: the part's range is damaged; compute part ${key} again.`);
  }
  const ordered = [...parts].sort(
    (a, b) =>
      a.part.header.shard.batches[0] - b.part.header.shard.batches[0] ||
      a.part.header.shard.batches[1] - b.part.header.shard.batches[1],
  );
  let at = 0;
  let previous: Named | undefined;
  for (const n of ordered) {
    const [first, end] = n.part.header.shard.batches;
    if (end === first) continue; // an empty part (N above the batch count) covers nothing
    if (first > at) throw missing(parts, at, first, total);
    if (first < at)
      throw new BadInputError(
        `${n.path} (part ${shardName(n)}, ${batchSpan([first, end])}) overlaps ${previous!.path} ` +
          `(part ${shardName(previous!)}, ${batchSpan(previous!.part.header.shard.batches)}) ` +
          `in ${batchSpan([first, Math.min(at, end)])}; ` +
          'give parts of one --shard K/N split, each once. Nothing written.',
      );
    at = end;
    previous = n;
  }
  if (at < total) throw missing(parts, at, total, total);
  return ordered;
}

const shardName = (n: Named) => `${n.part.header.shard.index}/${n.part.header.shard.of}`;

/** A gap [from, to): names the missing parts where every part is of one K/N split. */
function missing(parts: Named[], from: number, to: number, total: number): ScrubError {
  const splits = new Set(parts.map((n) => n.part.header.shard.of));
  let which = '';
  if (splits.size === 1) {
    const [of] = splits;
    const have = new Set(parts.map((n) => n.part.header.shard.index));
    const absent = Array.from({ length: of }, (_, k) => k).filter((k) => !have.has(k));
    which = ` (missing: ${absent.map((k) => `part ${k}/${of}`).join(', ')})`;
  }
  return new BadInputError(
    `fisher merge: ${batchSpan([from, to])} of ${total} are in no part${which}; ` +
      'compute them with `scrub fisher MODEL TRAIN --shard K/N` and merge all parts. Nothing written.',
  );
}
