// npm run schemas: writes schema/report.schema.json and schema/request.schema.json as composed from
// the method table (src/api/schema.ts), formatted by Prettier. Run it after changing a method's
// options or report; test/schema.test.ts fails while the files are out of date.
import { writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { reportSchema, reportSchemaPath, requestSchema, requestSchemaPath } from '../dist/api/schema.js';

for (const [path, schema] of [
  [reportSchemaPath, reportSchema()],
  [requestSchemaPath, requestSchema()],
]) {
  const text = await prettier.format(JSON.stringify(schema), {
    filepath: path,
    ...(await prettier.resolveConfig(path)),
  });
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
