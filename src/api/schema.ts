// The published JSON Schemas (schema/*.schema.json, shipped in the package) and their validators.
// Their method parts (the request's method options, the unlearn report's method sections) come from
// the method table; `npm run schemas` writes them back into the files, and a test checks that the
// files are up to date.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from '../core/schema.js';
import {
  DEFAULT_METHOD,
  METHODS,
  methodOptions,
  methodsTaking,
  type MethodOption,
  type MethodReport,
  type UnlearningMethod,
} from '../methods/table.js';
import { REPORT_SCHEMA } from './report.js';

/** Absolute paths of the schema files (beside dist/ and src/ in the package). */
export const reportSchemaPath = fileURLToPath(new URL('../../schema/report.schema.json', import.meta.url));
export const requestSchemaPath = fileURLToPath(new URL('../../schema/request.schema.json', import.meta.url));

const validators = new Map<string, ValidateFunction>();

function validator(path: string): ValidateFunction {
  let v = validators.get(path);
  if (!v) {
    const schema = path === reportSchemaPath ? reportSchema() : requestSchema();
    v = compileSchema(schema, { verbose: true });
    validators.set(path, v);
  }
  return v;
}

type Json = Record<string, unknown>;

/**
 * The report schema: schema/report.schema.json with its `unlearn` report made of one variant per row
 * of the method table (the method's own fields from its `reportSchema`, around the fields every
 * unlearning report has). The published file is this, written by `npm run schemas`.
 */
export function reportSchema(): Json {
  const base = JSON.parse(readFileSync(reportSchemaPath, 'utf8')) as Json & { definitions: Json };
  const variant = (m: UnlearningMethod<MethodReport>) => ({
    type: 'object',
    properties: {
      schema: { const: REPORT_SCHEMA },
      kind: { const: 'unlearn' },
      method: { const: m.name },
      ...m.reportSchema.properties,
      output: { $ref: '#/definitions/output' },
      record: { type: 'string' },
      settings: { $ref: '#/definitions/settings' },
      metrics: { $ref: '#/definitions/recordMetrics' },
      acceptance: { $ref: '#/definitions/acceptance' },
    },
    required: [
      'schema',
      'kind',
      'method',
      ...m.reportSchema.required,
      'output',
      'record',
      'settings',
      'metrics',
      'acceptance',
    ],
    additionalProperties: false,
  });
  return { ...base, definitions: { ...base.definitions, unlearn: { oneOf: METHODS.map(variant) } } };
}

const DATA_SPEC = {
  description:
    'A data spec as the command line takes it (paths relative to the request file), or ids into a named data set.',
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      required: ['dataset'],
      additionalProperties: false,
      properties: {
        dataset: { type: 'string', minLength: 1 },
        ids: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } },
      },
    },
  ],
};

/** The request schema of one method option, by its kind. */
function optionSchema(o: MethodOption): Json {
  const byDefault = o.default === undefined ? '' : ` (default ${o.default})`;
  const description = `${o.help}${byDefault}; ${methodsTaking(o.key).join(', ')}.`;
  if (o.kind === 'data') return { ...DATA_SPEC, description: `${DATA_SPEC.description} ${description}` };
  if (o.kind === 'positive') return { type: 'number', exclusiveMinimum: 0, description };
  if (o.kind === 'positive-or-auto')
    return { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { const: 'auto' }], description };
  if (o.kind === 'choice') return { enum: [...o.choices!], description };
  return { type: 'string', minLength: 1, description };
}

/**
 * The request schema: schema/request.schema.json with `method` naming the method table's rows and
 * one property per method option (methods/table.ts). The published file is this (`npm run schemas`).
 */
export function requestSchema(): Json {
  const base = JSON.parse(readFileSync(requestSchemaPath, 'utf8')) as Json & { properties: Json };
  const properties: Json = {};
  for (const [key, value] of Object.entries(base.properties)) {
    if (key === 'method')
      properties.method = { enum: METHODS.map((m) => m.name), description: `Default ${DEFAULT_METHOD}.` };
    else if (!methodOptions().some((o) => o.key === key)) properties[key] = value;
    if (key === 'method') for (const o of methodOptions()) properties[o.key] = optionSchema(o);
  }
  // the sets each method requires (its row's `sets`)
  const { if: _if, then: _then, allOf: _allOf, ...rest } = base as Json;
  const allOf = METHODS.flatMap((m) => {
    const required = Object.entries(m.sets)
      .filter(([, need]) => need === 'required')
      .map(([set]) => set);
    if (!required.length) return [];
    return [{ if: { properties: { method: { const: m.name } }, required: ['method'] }, then: { required } }];
  });
  return { ...rest, properties, ...(allOf.length ? { allOf } : {}) };
}

/** One line per problem, each naming the field by its JSON pointer and saying why. */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  // of a failed anyOf, keep what its branches say about fields inside the value (else the anyOf's own summary)
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const inside = (e: ErrorObject, a: ErrorObject) => e !== a && e.schemaPath.startsWith(`${a.schemaPath}/`);
  // an anyOf of a number and the constant "auto" (α, λ) says so; any other is a data spec's
  const anyOfPhrase = new Map(
    anyOfs.map((a) => {
      const auto = errors.find(
        (e) => inside(e, a) && e.keyword === 'const' && (e.params as { allowedValue: unknown }).allowedValue === 'auto',
      );
      return [
        a,
        auto
          ? 'must be a positive number or "auto"'
          : 'must be a data spec (a string) or { "dataset": NAME, "ids": [...] }',
      ];
    }),
  );
  errors = errors.filter((e) => {
    const a = anyOfs.find((a) => inside(e, a));
    if (a) return e.instancePath !== a.instancePath;
    if (e.keyword === 'anyOf') return !errors.some((d) => inside(d, e) && d.instancePath !== e.instancePath);
    return true;
  });
  for (const e of errors) {
    // `if`, `anyOf` and `oneOf` only say that a branch failed; the branch's own errors say which field
    if (e.keyword === 'if' || e.keyword === 'oneOf' || e.keyword === 'allOf') continue;
    const at = e.instancePath || '/';
    if (e.keyword === 'required')
      out.push(`${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}: is required`);
    else if (e.keyword === 'additionalProperties')
      out.push(
        `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}: is not a known field`,
      );
    else if (e.keyword === 'enum')
      out.push(
        `${at}: must be one of ` +
          (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', '),
      );
    else if (e.keyword === 'const')
      out.push(`${at}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`);
    else if (e.keyword === 'anyOf') out.push(`${at}: ${anyOfPhrase.get(e)}`);
    else if (e.keyword === 'pattern')
      out.push(`${at}: ${JSON.stringify(e.data)} is not METRIC<=NUMBER or METRIC>=NUMBER`);
    else out.push(`${at}: ${e.message}`);
  }
  return [...new Set(out)];
}

/** Problems of a report against schema/report.schema.json; empty when it conforms. */
export function validateReport(report: unknown): string[] {
  const v = validator(reportSchemaPath);
  return v(JSON.parse(JSON.stringify(report))) ? [] : describeErrors(v.errors ?? []);
}

/** Problems of an erasure request against schema/request.schema.json; empty when it conforms. */
export function validateRequestJson(request: unknown): string[] {
  const v = validator(requestSchemaPath);
  return v(request) ? [] : describeErrors(v.errors ?? []);
}
