// JSON Schema validation by ajv, loaded on first use: importing ajv takes about 45 ms (2 vCPUs), which
// every command paid at start, while only requests, the report check and records' schemas validate.
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

/**
 * `schema` (JSON Schema draft-07) compiled by ajv: every error reported, strict about the schema itself,
 * union types allowed; `verbose` keeps each error's schema and data (for messages that quote them).
 */
export function compileSchema(schema: object, opts: { verbose?: boolean } = {}): ValidateFunction {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, ...opts }).compile(
    schema,
  );
}
