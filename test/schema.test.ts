// The published schemas are what the method table composes (src/api/schema.ts): a method's options or
// report fields changed without `npm run schemas` fail here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportSchema, reportSchemaPath, requestSchema, requestSchemaPath } from '../src/api/schema.js';
import { METHODS } from '../src/methods/table.js';

describe('published schemas', () => {
  it('schema/report.schema.json has one unlearn variant per method of the table, as composed', () => {
    const published = JSON.parse(readFileSync(reportSchemaPath, 'utf8'));
    expect(published).toEqual(reportSchema());
    const variants = published.definitions.unlearn.oneOf.map((v: { properties: { method: { const: string } } }) => v);
    expect(variants.map((v: { properties: { method: { const: string } } }) => v.properties.method.const)).toEqual(
      METHODS.map((m) => m.name),
    );
  });

  it('schema/request.schema.json names every method and every method option, as composed', () => {
    const published = JSON.parse(readFileSync(requestSchemaPath, 'utf8'));
    expect(published).toEqual(requestSchema());
    expect(published.properties.method.enum).toEqual(METHODS.map((m) => m.name));
    for (const m of METHODS) for (const o of m.options) expect(published.properties[o.key], o.key).toBeDefined();
  });
});
