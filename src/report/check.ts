// Reading a record for a report: it must parse, validate against the record's schema (scrub.record/1,
// RECORD_SCHEMA below) and agree with itself (the manifest's Merkle root with its example hashes, the
// output's tensor hashes with the change summary, every gate and the verdict with the metrics).
// A record that fails is refused with one BadInputError that points at `scrub verify`; the report of a
// record that was altered would show what the record's writer never measured.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from '../core/schema.js';
import { merkleRoot, hex } from '../data/digest.js';
import { BadInputError } from '../core/errors.js';
import { parseGate, type Gate } from '../record/gates.js';
import {
  digestProblem,
  readRecord,
  RECORD_SCHEMA as RECORD_SCHEMA_NAME,
  type UnlearningRecord,
} from '../record/record.js';
import { distributionsOf, histogramTotal, MODELS } from './distributions.js';

const SHA256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const COUNT = { type: 'integer', minimum: 0 };
const FILE_HASH = {
  type: 'object',
  required: ['path', 'sha256', 'bytes'],
  properties: { path: { type: 'string' }, sha256: SHA256, bytes: COUNT },
};
const HISTOGRAM = {
  type: 'object',
  required: ['edges', 'counts', 'nonFinite'],
  properties: {
    edges: { type: 'array', minItems: 2, items: { type: 'number' } },
    counts: { type: 'array', minItems: 1, items: COUNT },
    nonFinite: COUNT,
  },
};
const SET_DISTRIBUTIONS = {
  type: 'object',
  properties: { loss: HISTOGRAM, entropy: HISTOGRAM },
};
const METRICS = {
  type: 'object',
  required: ['values', 'notComputable', 'definitions'],
  properties: {
    values: { type: 'object', additionalProperties: { type: 'number' } },
    notComputable: { type: 'object', additionalProperties: { type: 'string' } },
    definitions: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['name', 'version'],
        properties: { name: { type: 'string' }, version: COUNT, params: { type: 'object' } },
      },
    },
    distributions: {
      type: 'object',
      properties: {
        forget: SET_DISTRIBUTIONS,
        retain: SET_DISTRIBUTIONS,
        test: SET_DISTRIBUTIONS,
        val: SET_DISTRIBUTIONS,
      },
      additionalProperties: false,
    },
  },
};

/**
 * The JSON Schema of a record (scrub.record/1, src/record/record.ts's UnlearningRecord) as far as the
 * report reads it: every field it shows has its type; fields it does not read may be added.
 */
export const RECORD_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: `scrub record (${RECORD_SCHEMA_NAME})`,
  type: 'object',
  required: ['schema', 'createdAt', 'software', 'input', 'changes', 'metrics', 'resources', 'acceptance', 'guarantee'],
  properties: {
    schema: { const: RECORD_SCHEMA_NAME },
    createdAt: { type: 'string' },
    software: {
      type: 'object',
      required: ['scrub', 'node', 'onnxruntime', 'executionProvider'],
      properties: {
        scrub: { type: 'string' },
        node: { type: 'string' },
        onnxruntime: { type: 'string' },
        executionProvider: { type: 'string' },
      },
    },
    input: {
      type: 'object',
      required: ['model', 'dataFiles'],
      properties: { model: FILE_HASH, dataFiles: { type: 'array', items: FILE_HASH } },
    },
    output: {
      type: 'object',
      required: ['model', 'dataFiles', 'tensors'],
      properties: {
        model: FILE_HASH,
        dataFiles: { type: 'array', items: FILE_HASH },
        tensors: { type: 'object', additionalProperties: SHA256 },
      },
    },
    changes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'elements', 'elementsChanged', 'relativeL2Change', 'sha256Before', 'sha256After'],
        properties: {
          name: { type: 'string' },
          torchName: { type: 'string' },
          elements: COUNT,
          elementsChanged: COUNT,
          relativeL2Change: { type: 'number', minimum: 0 },
          sha256Before: SHA256,
          sha256After: SHA256,
        },
      },
    },
    forgetSet: {
      type: 'object',
      required: ['source', 'count', 'salt', 'exampleHashes', 'merkleRoot', 'hashing'],
      properties: {
        source: { type: 'string' },
        count: COUNT,
        skipped: {
          type: 'array',
          items: {
            type: 'object',
            required: ['position', 'reason'],
            properties: { position: COUNT, reason: { type: 'string' } },
          },
        },
        salt: { type: 'string', pattern: '^[0-9a-f]*$' },
        exampleHashes: { type: 'array', items: SHA256 },
        merkleRoot: SHA256,
        hashing: { type: 'string' },
      },
    },
    settings: { type: 'object' },
    method: {
      type: 'object',
      required: ['name', 'hyperparameters'],
      properties: {
        name: { type: 'string' },
        hyperparameters: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } },
        batchSize: COUNT,
        seed: COUNT,
        details: { type: 'object' },
      },
    },
    metrics: {
      type: 'object',
      properties: {
        before: METRICS,
        after: METRICS,
        retrain: { type: 'object', allOf: [METRICS], required: ['model'], properties: { model: FILE_HASH } },
      },
      additionalProperties: false,
    },
    resources: {
      type: 'object',
      required: ['wallSeconds', 'peakRssBytes'],
      properties: { wallSeconds: { type: 'number', minimum: 0 }, peakRssBytes: { type: 'number', minimum: 0 } },
    },
    acceptance: {
      type: 'object',
      required: ['verdict', 'gates'],
      properties: {
        verdict: { enum: ['accepted', 'rejected', 'no gates'] },
        gates: {
          type: 'array',
          items: {
            type: 'object',
            required: ['metric', 'op', 'value', 'text', 'passed'],
            properties: {
              metric: { type: 'string' },
              op: { enum: ['<=', '>='] },
              value: { type: 'number' },
              text: { type: 'string' },
              actual: { type: 'number' },
              passed: { type: 'boolean' },
              reason: { type: 'string' },
            },
          },
        },
      },
    },
    guarantee: { type: 'string' },
    digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
  },
} as const;

let validator: ValidateFunction | undefined;

/** Problems of a parsed record against RECORD_JSON_SCHEMA, one line each naming the field; [] when it conforms. */
export function schemaProblems(record: unknown): string[] {
  validator ??= compileSchema(RECORD_JSON_SCHEMA);
  if (validator(record)) return [];
  return [...new Set((validator.errors ?? []).filter((e) => e.keyword !== 'allOf').map(describe))];
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'required')
    return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}: is required`;
  if (e.keyword === 'additionalProperties')
    return `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}: is not a known field`;
  return `${at}: ${e.message}`;
}

/**
 * Where a record that validates disagrees with itself, one line each; [] when it agrees. Checks the
 * forget-set manifest (as many hashes as its count, their Merkle root), the output's tensor hashes
 * against the change summary, each change's counts, each gate's value and outcome against the edited
 * model's metrics and the verdict against the gates, and each histogram's shape (B + 1 non-decreasing
 * edges for B counts).
 */
export function consistencyProblems(r: UnlearningRecord): string[] {
  const out: string[] = [];
  const edited = digestProblem(r);
  if (edited) out.push(edited);
  const f = r.forgetSet;
  if (f) {
    if (f.exampleHashes.length !== f.count)
      out.push(`/forgetSet: count is ${f.count} but it lists ${f.exampleHashes.length} example hashes`);
    else if (f.count > 0) {
      const root = hex(merkleRoot(f.exampleHashes.map((h) => Buffer.from(h, 'hex'))));
      if (root !== f.merkleRoot) out.push('/forgetSet/merkleRoot: is not the Merkle root of its example hashes');
    }
  }
  r.changes.forEach((c, i) => {
    if (c.elementsChanged > c.elements)
      out.push(`/changes/${i}: ${c.name} has ${c.elementsChanged} elements changed of ${c.elements}`);
    const after = r.output?.tensors[c.name];
    if (r.output && after !== c.sha256After)
      out.push(`/changes/${i}: ${c.name}'s SHA-256 after differs from the output's tensor hash`);
  });
  const values = r.metrics.after?.values ?? {};
  r.acceptance.gates.forEach((g, i) => {
    const said = gateOf(g.text);
    if (!said || said.metric !== g.metric || said.op !== g.op || said.value !== g.value)
      out.push(`/acceptance/gates/${i}: its text ${g.text} is not ${g.metric}${g.op}${g.value}`);
    const actual = values[g.metric];
    if (g.actual !== actual)
      out.push(`/acceptance/gates/${i}: ${g.text} records ${g.metric} = ${g.actual}, the metrics ${actual}`);
    else if (actual !== undefined && g.passed !== (g.op === '<=' ? actual <= g.value : actual >= g.value))
      out.push(
        `/acceptance/gates/${i}: ${g.text} is marked ${g.passed ? 'passed' : 'failed'} with ${g.metric} = ${actual}`,
      );
    else if (actual === undefined && g.passed) out.push(`/acceptance/gates/${i}: ${g.text} passed with no value`);
  });
  const gates = r.acceptance.gates;
  const verdict = gates.length === 0 ? 'no gates' : gates.every((g) => g.passed) ? 'accepted' : 'rejected';
  if (r.acceptance.verdict !== verdict)
    out.push(`/acceptance/verdict: is ${r.acceptance.verdict} but its gates say ${verdict}`);
  for (const m of MODELS) {
    for (const [set, features] of Object.entries(distributionsOf(r, m) ?? {}))
      for (const [feature, h] of Object.entries(features ?? {})) {
        const at = `/metrics/${m}/distributions/${set}/${feature}`;
        if (h.edges.length !== h.counts.length + 1)
          out.push(`${at}: ${h.counts.length} counts need ${h.counts.length + 1} edges, not ${h.edges.length}`);
        else if (h.edges.some((e, k) => !Number.isFinite(e) || (k > 0 && e < h.edges[k - 1])))
          out.push(`${at}/edges: are not finite and non-decreasing`);
        else if (set === 'forget' && f && histogramTotal(h) > f.count)
          out.push(`${at}: counts ${histogramTotal(h)} examples, the forget set has ${f.count}`);
      }
  }
  return out;
}

/** The gate a gate's text says, or undefined when it says none. */
function gateOf(text: string): Gate | undefined {
  try {
    return parseGate(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads the record at `path` for a report. Throws BadInputError (exit 2) when it is missing, does not
 * parse, is not a scrub record, does not validate against RECORD_JSON_SCHEMA or disagrees with itself:
 * one line naming the file and the first problems, pointing at `scrub verify`.
 */
export function readCheckedRecord(path: string): UnlearningRecord {
  const record = readRecord(path);
  const schema = schemaProblems(record);
  const problems = schema.length ? schema : consistencyProblems(record);
  if (problems.length) {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
    const what = schema.length ? `does not validate against ${RECORD_SCHEMA_NAME}` : 'disagrees with itself';
    const model = record.output?.model.path ?? 'MODEL';
    throw new BadInputError(
      `${path}: the record ${what} (${shown}): it was altered or damaged, so no report was written; ` +
        `check it against its model with \`scrub verify ${model} ${path}\`, or run the command again for a new record.`,
    );
  }
  return record;
}
