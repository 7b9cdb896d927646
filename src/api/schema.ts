// The published JSON Schemas (schema/*.schema.json, shipped in the package) and their validators.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Absolute paths of the schema files (beside dist/ and src/ in the package). */
export const reportSchemaPath = fileURLToPath(new URL('../../schema/report.schema.json', import.meta.url));
export const requestSchemaPath = fileURLToPath(new URL('../../schema/request.schema.json', import.meta.url));

const validators = new Map<string, ValidateFunction>();

function validator(path: string): ValidateFunction {
  let v = validators.get(path);
  if (!v) {
    v = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true }).compile(
      JSON.parse(readFileSync(path, 'utf8')),
    );
    validators.set(path, v);
  }
  return v;
}

/** One line per problem, each naming the field by its JSON pointer and saying why. */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  // of a failed anyOf, keep what its branches say about fields inside the value (else the anyOf's own summary)
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const inside = (e: ErrorObject, a: ErrorObject) => e !== a && e.schemaPath.startsWith(`${a.schemaPath}/`);
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
        `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    else if (e.keyword === 'const')
      out.push(`${at}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`);
    else if (e.keyword === 'anyOf')
      out.push(`${at}: must be a data spec (a string) or { "dataset": NAME, "ids": [...] }`);
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
