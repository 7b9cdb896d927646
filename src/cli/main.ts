import { BadInputError, ScrubError } from '../core/errors.js';
import { version } from '../core/version.js';
import { evalCommand } from './eval.js';
import { fisherCommand } from './fisher.js';
import { verifyCommand } from './verify.js';
import { gradCommand } from './grad.js';
import { forgetCommand, FORGET_USAGE } from './ssd.js';
import { inspectCommand } from './inspect.js';
import { requestCommand, REQUEST_USAGE } from './request.js';
import { consoleIo, type Io } from './io.js';

const HELP = `scrub: make a deployed ONNX model forget data

usage:
  ${FORGET_USAGE}
                                               forget: edit the weights with SSD, write OUT
                                               (default MODEL.unlearned.onnx); lf-ssd needs no
                                               labels (importance from the logits' norm)
  scrub MODEL FORGET --method gradtau --retain R --val V [--schedule default|reference] [--seed S] [...]
                                               ∇τ: ascent on the forget set, descent on the retain
                                               set, targets from the held-out set V; for random subsets
  ${REQUEST_USAGE}
                                               an erasure request (model, forget set, method, gates):
                                               writes the edited model only if every gate passes
  scrub fisher MODEL TRAIN -o FILE [--method ssd|lf-ssd] [--batch-size N] [--shard K/N]
                                               the full-data importance, computed once; with
                                               --shard, the K-th of N parts (K from 0) for:
  scrub fisher merge PART... -o FILE           the parts added up into the single pass's file
  scrub eval MODEL --forget F [--retain R] [--test T] [--retrain M] [--require 'test_acc>=0.9']... [--json]
                                               accuracy, loss, membership-inference attacks; writes a record
  scrub verify OUT.onnx OUT.record.json        re-hash the model and its tensors against the record
  scrub inspect MODEL [--json]                 opset, ops, trainable parameters, gradient coverage
  scrub grad MODEL --x X.npy --y Y.npy --out DIR [--params REGEX] [--batch-size N]
             [--threads N] [--device cpu|cuda|wasm] [--json]
                                               gradient of the mean cross-entropy per parameter

data: an image folder DIR/<class>/*.png|jpg|webp (--labels labels.txt for class names), x.npy+y.npy,
IDX files (MNIST family, .gz or not), JSON Lines {"x": [...], "y": k}; without labels (lf-ssd): images
directly in DIR, x.npy alone, JSON Lines {"x": [...]}; select with SPEC@A:B, SPEC@list.json,
SPEC@~list.json (complement), e.g. train-images-idx3-ubyte.gz@0:55000@~forget.json.
Pixels become (p/255 - mean)/std: --mean/--std per channel, else the model's scrub.mean/scrub.std
metadata, else 0 and 1.

exit codes: 0 success, 1 failure (a gate failed: no model written; an op without a gradient rule), 2 bad input`;

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inspect':
        return await inspectCommand(rest, io);
      case 'grad':
        return await gradCommand(rest, io);
      case 'fisher':
        return await fisherCommand(rest, io);
      case 'eval':
        return await evalCommand(rest, io);
      case 'verify':
        return await verifyCommand(rest, io);
      case 'request':
        return await requestCommand(rest, io);
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
        if (command.startsWith('-') || !/\.onnx$|[/\\]/.test(command))
          throw new BadInputError(`unknown command ${command}; run scrub --help`);
        return await forgetCommand(argv, io);
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
