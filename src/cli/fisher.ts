import { BadInputError } from '../core/errors.js';
import { fisher, mergeFisher } from '../api/fisher.js';
import type { FisherReport } from '../api/report.js';
import { batchSpan, variantSpec } from '../methods/table.js';
import { commonOptions, DATA_OPTIONS, ranOn } from './options.js';
import { parseCommand, type Io } from './io.js';

const USAGE =
  'scrub fisher MODEL TRAIN -o FILE [--shard K/N] [--method ssd|lf-ssd] [--batch-size N] [--params REGEX] ' +
  '[--mean M] [--std S] [--threads N] [--json], ' +
  'or scrub fisher merge PART... -o FILE [--json] (PART: written with --shard K/N, K 0-based from 0 to N-1)';

export async function fisherCommand(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'merge') return mergeCommand(argv.slice(1), io);
  const { values, positionals } = parseCommand({
    args: argv,
    options: {
      ...DATA_OPTIONS,
      out: { type: 'string', short: 'o' },
      method: { type: 'string' },
      shard: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 2 || !values.out)
    throw new BadInputError(`expected MODEL, TRAIN and -o FILE; usage: ${USAGE}`);
  const method = variantSpec(values.method);
  if (!method)
    throw new BadInputError(
      `--method ${values.method}: expected ssd (squared gradients of the cross-entropy) or ` +
        'lf-ssd (|gradients| of the logit norm, no labels needed).',
    );
  const [model, train] = positionals;
  const r = await fisher({
    ...commonOptions(values, io),
    model,
    train,
    method: method.name,
    out: values.out,
    shard: values.shard,
  });
  if (values.json) io.out(JSON.stringify(r));
  else if (r.shard)
    io.out(
      `wrote ${values.out}: part ${r.shard.index}/${r.shard.of} of the ${method.title} importance ` +
        `over ${describe(r)}, ${batchSpan(r.shard.batches)}; ` +
        `merge all ${r.shard.of} parts with \`scrub fisher merge\``,
    );
  else {
    const form = r.parallel ? ` (${ranOn({ device: 'cpu', ...r.parallel, parallel: r.parallel })})` : '';
    io.out(
      `wrote ${values.out}: ${method.title} importance of ${r.params.length} parameters over ${describe(r)}${form}`,
    );
  }
  return 0;
}

async function mergeCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    allowPositionals: true,
  });
  if (positionals.length === 0 || !values.out)
    throw new BadInputError(`expected the parts and -o FILE; usage: ${USAGE}`);
  const r = await mergeFisher({ parts: positionals, out: values.out });
  if (values.json) io.out(JSON.stringify(r));
  else
    io.out(
      `wrote ${values.out}: ${positionals.length} parts merged, ` +
        `the importance of ${r.params.length} parameters over ${describe(r)}`,
    );
  return 0;
}

const describe = (r: FisherReport) =>
  `${r.data.count.toLocaleString('en-US')} examples (${r.data.batches} batch${r.data.batches === 1 ? '' : 'es'} of ` +
  `${r.data.batchSize})`;
