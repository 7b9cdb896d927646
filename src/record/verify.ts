// scrub verify: re-hash a model and its tensors and compare them with its record.
import { digestProblem, sha256, readRecord, type UnlearningRecord } from './record.js';
import { loadModel } from '../graph/load.js';
import { BadInputError } from '../core/errors.js';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Verification {
  ok: boolean;
  problems: string[];
  checked: { files: number; tensors: number };
  verdict: UnlearningRecord['acceptance']['verdict'];
}

export function verify(modelPath: string, recordPath: string): Verification {
  const record = readRecord(recordPath);
  if (!record.output)
    throw new BadInputError(
      `${recordPath}: this record describes no output model ` +
        `(an evaluation record, or a run whose gates failed and wrote no model); ` +
        `nothing to verify against ${modelPath}.`,
    );
  const problems: string[] = [];
  const edited = digestProblem(record);
  if (edited) problems.push(`${recordPath}: ${edited}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(modelPath);
  } catch {
    throw new BadInputError(`${modelPath}: no such model file.`);
  }
  let files = 1;
  if (sha256(bytes) !== record.output.model.sha256)
    problems.push(`${modelPath}: file SHA-256 differs from the record's`);
  for (const d of record.output.dataFiles) {
    files++;
    const path = join(dirname(modelPath), basename(d.path));
    try {
      if (sha256(readFileSync(path)) !== d.sha256)
        problems.push(`${path}: external data SHA-256 differs from the record's`);
    } catch {
      problems.push(`${path}: external data file named in the record is missing`);
    }
  }
  let tensors = 0;
  let model;
  try {
    model = loadModel(modelPath);
  } catch (e) {
    problems.push(`${modelPath}: does not load any more: ${(e as Error).message}`);
  }
  if (model) {
    for (const [name, want] of Object.entries(record.output.tensors)) {
      tensors++;
      const t = model.graph.initializers.get(name);
      if (!t) problems.push(`tensor ${name}: missing from the model`);
      else if (sha256(t.bytes) !== want) problems.push(`tensor ${name}: SHA-256 differs from the record's`);
    }
    for (const name of model.graph.initializers.keys())
      if (!(name in record.output.tensors)) problems.push(`tensor ${name}: not in the record`);
    if (problems.length === 1 && problems[0].includes('file SHA-256'))
      problems.push('every tensor matches: the change is in the graph, metadata or framing, not in the weights');
  }
  return { ok: problems.length === 0, problems, checked: { files, tensors }, verdict: record.acceptance.verdict };
}
