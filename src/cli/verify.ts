import { BadInputError } from '../core/errors.js';
import { verify } from '../api/verify.js';
import { parseCommand, type Io } from './io.js';

export async function verifyCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand({
    args: argv,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 2)
    throw new BadInputError('expected MODEL and RECORD; usage: scrub verify OUT.onnx OUT.record.json [--json]');
  const v = await verify({ model: positionals[0], record: positionals[1] });
  // Ctrl-C while it hashed: cancelled (it writes nothing), not a verdict
  io.signal?.throwIfAborted();
  if (values.json) io.out(JSON.stringify(v));
  else if (v.ok)
    io.out(
      `verified: ${v.checked.files} file(s) and ${v.checked.tensors} tensors match ${positionals[1]} ` +
        `(verdict: ${v.verdict})`,
    );
  else for (const p of v.problems) io.out(`MISMATCH ${p}`);
  return v.ok ? 0 : 1;
}
