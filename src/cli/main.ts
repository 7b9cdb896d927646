import { existsSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';
import { version } from '../core/version.js';
import { evalCommand } from './eval.js';
import { fisherCommand } from './fisher.js';
import { verifyCommand } from './verify.js';
import { gradCommand } from './grad.js';
import { forgetCommand, FORGET_USAGE, methodsHelp } from './forget.js';
import { inspectCommand } from './inspect.js';
import { requestCommand, REQUEST_USAGE } from './request.js';
import { reportCommand, REPORT_USAGE } from './report.js';
import { cancellable, errorReport, exitFor, type Exit } from './exit.js';
import { consoleIo, type Io } from './io.js';

const HELP = `scrub: make a deployed ONNX model forget data

usage:
  ${FORGET_USAGE}
                                               forget: edit the weights with the method, write OUT
                                               (default MODEL.unlearned.onnx) and its record; --retain,
                                               --test and --retrain add metrics to the record
methods (--method NAME):
${methodsHelp(6).join('\n')}
  common: --seed S (every random draw: batch order, the attacks' splits; default 0), --test T and
      --retrain M (more metrics in the record), --require GATE (write the model only if it passes),
      --params REGEX, --output NAME (the logits output), --multi-label (a sigmoid per label),
      --device cpu|cuda|wasm, --threads N, --workers N (data-parallel gradient passes),
      --batch-size N (importance passes), --mean M[,M,M] --std S[,S,S],
      --labels labels.txt, --tokenizer PATH (tokenizer.json or its folder: text data),
      --on-bad-input stop|skip, --report (the record as HTML beside it), --quiet, --json
  ${REQUEST_USAGE}
                                               an erasure request (model, forget set, method, gates):
                                               writes the edited model only if every gate passes
  scrub fisher MODEL TRAIN -o FILE [--method ssd|lf-ssd] [--batch-size N] [--shard K/N]
                                               the full-data importance, computed once; with
                                               --shard, the K-th of N parts (K from 0) for:
  scrub fisher merge PART... -o FILE           the parts added up into the single pass's file
  scrub eval MODEL --forget F [--retain R] [--test T] [--retrain M] [--require 'test_acc>=0.9']... [-o RECORD] [--json]
                                               accuracy, loss, membership-inference attacks; writes a record
  scrub verify OUT.onnx OUT.record.json        re-hash the model and its tensors against the record
  ${REPORT_USAGE}
                                               the record as one HTML page that opens offline (default
                                               RECORD with .report.html for .record.json); --report on
                                               the main command, eval and request writes it beside
  scrub inspect MODEL [--output NAME] [--multi-label] [--json]
                                               opset, ops, trainable parameters, gradient coverage
  scrub grad MODEL --x X.npy --y Y.npy --out DIR [--params REGEX] [--output NAME] [--multi-label]
             [--batch-size N] [--threads N] [--workers N] [--device cpu|cuda|wasm] [--quiet] [--json]
                                               gradient of the mean cross-entropy per parameter

data: an image folder DIR/<class>/*.png|jpg|webp (--labels labels.txt for class names), x.npy+y.npy,
IDX files (MNIST family, .gz or not), JSON Lines {"x": [...], "y": k}; without labels (lf-ssd): images
directly in DIR, x.npy alone, JSON Lines {"x": [...]}; select with SPEC@A:B, SPEC@list.json,
SPEC@~list.json (complement), SPEC@label=K, e.g. train-images-idx3-ubyte.gz@0:55000@~forget.json.
Text, with --tokenizer PATH: GoEmotions .tsv (text<TAB>label ids), .csv/.tsv with a header naming text and
label (a class index) or labels (comma-separated label indices), JSON Lines {"text": ..., "label": k} or
{"text": ..., "labels": [i, j]}; JSON Lines {"input_ids": [...], "attention_mask": [...], "labels": [...]}
(rows keyed by the model's inputs) need no tokenizer.
Pixels become (p/255 - mean)/std: --mean/--std per channel, else the model's scrub.mean/scrub.std
metadata, else 0 and 1.

exit codes: 0 success, 1 the run finished but its result was not accepted (a gate failed: no model written;
∇τ diverged; verify found a mismatch), 2 bad input, 3 unsupported model (scrub cannot compute it exactly;
the line says what to do), 130 cancelled (Ctrl-C or SIGTERM; nothing written)`;

/**
 * Runs one command; resolves to its exit code (src/cli/exit.ts). Ctrl-C cancels it: it stops at its
 * next check, writes nothing and exits 130 (a second Ctrl-C exits at once); so does `io.signal`.
 */
export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  // `scrub eval --help` (any command's --help) prints the one help page, which covers them all
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  // whether the command printed its report before it failed (then stdout holds that JSON document alone)
  let printed = false;
  // a pipeline that reads --json's stdout gets a failure there too, as its one JSON document
  const json = (exit: Exit) => {
    if (argv.includes('--json') && !printed) io.out(JSON.stringify(errorReport(exit)));
  };
  const cancellation = cancellable(io, json);
  const out = cancellation.io.out;
  io = { ...cancellation.io, out: (line) => ((printed = true), out(line)) };
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
      case 'report':
        return await reportCommand(rest, io);
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
        // the main command: a model path first (or its options first: `scrub --method finetune M F`)
        if (!/\.onnx$|[/\\]/i.test(command) && !existsSync(command) && !command.startsWith('--'))
          throw new BadInputError(`unknown command ${command}; run scrub --help`);
        return await forgetCommand(argv, io);
    }
  } catch (e) {
    const exit = exitFor(e);
    io.err(exit.line);
    json(exit);
    return exit.code;
  } finally {
    cancellation.dispose();
  }
}
