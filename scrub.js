#!/usr/bin/env node
// scrub's command line. The TypeScript sources build to dist/ on `npm ci` (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('./dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('scrub: not built yet; run `npm ci` (or `npm run build`) in the scrub folder first.\n');
  process.exit(2);
}
// A closed pipe (`scrub inspect m.onnx | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
