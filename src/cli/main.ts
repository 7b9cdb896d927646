import { readFileSync } from 'node:fs';
import { ScrubError } from '../errors.js';
import { gradCommand } from './grad.js';
import { inspectCommand } from './inspect.js';
import { consoleIo, type Io } from './io.js';

const HELP = `scrub: make a deployed ONNX model forget data

usage:
  scrub inspect MODEL [--json]                 opset, ops, trainable parameters, gradient coverage
  scrub grad MODEL --x X.npy --y Y.npy --out DIR [--params REGEX] [--batch-size N]
             [--threads N] [--device cpu|cuda|wasm] [--json]
                                               gradient of the mean cross-entropy per parameter

exit codes: 0 success, 1 failure (e.g. an op without a gradient rule), 2 bad input`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inspect':
        return await inspectCommand(rest, io);
      case 'grad':
        return await gradCommand(rest, io);
      case '--version':
        io.out(version());
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(HELP);
        return 0;
      default:
        throw new ScrubError(`unknown command ${command}; run scrub --help`);
    }
  } catch (e) {
    if (e instanceof ScrubError) {
      io.err(`scrub: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`scrub: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
