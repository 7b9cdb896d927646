import { parseArgs } from 'node:util';
import { ScrubError } from '../errors.js';
import { writeFisher, writeFisherPart, type FisherHeader, type FisherPartHeader } from '../ssd/fisher-file.js';
import { mergeFisherParts } from '../ssd/fisher-merge.js';
import { batchSpan, parseShard } from '../ssd/fisher-shard.js';
import { methodSpec } from '../ssd/method.js';
import { computeFisher, computeFisherPart } from '../ssd/run.js';
import { commonOptions, DATA_OPTIONS } from './options.js';
import type { Io } from './io.js';

const USAGE =
  'scrub fisher MODEL TRAIN -o FILE [--shard K/N] [--method ssd|lf-ssd] [--batch-size N] [--params REGEX] [--mean M] [--std S] [--threads N] [--json], ' +
  'or scrub fisher merge PART... -o FILE [--json] (PART: written with --shard K/N, K 0-based from 0 to N-1)';

export async function fisherCommand(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'merge') return mergeCommand(argv.slice(1), io);
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...DATA_OPTIONS, out: { type: 'string', short: 'o' }, method: { type: 'string' }, shard: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 2 || !values.out) throw new ScrubError(`expected MODEL, TRAIN and -o FILE; usage: ${USAGE}`);
  const method = methodSpec(values.method);
  if (!method) throw new ScrubError(`--method ${values.method}: expected ssd (squared gradients of the cross-entropy) or lf-ssd (|gradients| of the logit norm, no labels needed).`);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const [model, train] = positionals;
  const o = { ...commonOptions(values, io), model, train, method: method.name };
  if (shard) {
    const part = await computeFisherPart({ ...o, shard });
    writeFisherPart(values.out, part);
    const s = part.header.shard;
    if (values.json) io.out(JSON.stringify({ fisher: values.out, ...part.header }));
    else io.out(`wrote ${values.out}: part ${s.index}/${s.of} of the ${method.title} importance over ${describe(part.header)}, ${batchSpan(s.batches)}; merge all ${s.of} parts with \`scrub fisher merge\``);
    return 0;
  }
  const f = await computeFisher(o);
  writeFisher(values.out, f);
  if (values.json) io.out(JSON.stringify({ fisher: values.out, ...f.header }));
  else io.out(`wrote ${values.out}: ${method.title} importance of ${f.header.params.length} parameters over ${describe(f.header)}`);
  return 0;
}

async function mergeCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } }, allowPositionals: true });
  if (positionals.length === 0 || !values.out) throw new ScrubError(`expected the parts and -o FILE; usage: ${USAGE}`);
  const f = mergeFisherParts(positionals);
  writeFisher(values.out, f);
  if (values.json) io.out(JSON.stringify({ fisher: values.out, parts: positionals, ...f.header }));
  else io.out(`wrote ${values.out}: ${positionals.length} parts merged, the importance of ${f.header.params.length} parameters over ${describe(f.header)}`);
  return 0;
}

const describe = (h: FisherHeader | FisherPartHeader) => `${h.data.count.toLocaleString('en-US')} examples (${h.data.batches} batches of ${h.data.batchSize})`;
