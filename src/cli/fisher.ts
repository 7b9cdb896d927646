import { parseArgs } from 'node:util';
import { ScrubError } from '../errors.js';
import { writeFisher } from '../ssd/fisher-file.js';
import { methodSpec } from '../ssd/method.js';
import { computeFisher } from '../ssd/run.js';
import { commonOptions, DATA_OPTIONS } from './options.js';
import type { Io } from './io.js';

const USAGE = 'scrub fisher MODEL TRAIN -o FILE [--method ssd|lf-ssd] [--batch-size N] [--params REGEX] [--mean M] [--std S] [--threads N] [--json]';

export async function fisherCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...DATA_OPTIONS, out: { type: 'string', short: 'o' }, method: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 2 || !values.out) throw new ScrubError(`expected MODEL, TRAIN and -o FILE; usage: ${USAGE}`);
  const method = methodSpec(values.method);
  if (!method) throw new ScrubError(`--method ${values.method}: expected ssd (squared gradients of the cross-entropy) or lf-ssd (|gradients| of the logit norm, no labels needed).`);
  const [model, train] = positionals;
  const f = await computeFisher({ ...commonOptions(values, io), model, train, method: method.name });
  writeFisher(values.out, f);
  const d = f.header.data;
  if (values.json) io.out(JSON.stringify({ fisher: values.out, ...f.header }));
  else io.out(`wrote ${values.out}: ${method.title} importance of ${f.header.params.length} parameters over ${d.count.toLocaleString('en-US')} examples (${d.batches} batches of ${d.batchSize})`);
  return 0;
}
