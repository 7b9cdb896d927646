#!/usr/bin/env node
// scrub's command line. The TypeScript sources build to dist/ on `npm ci` (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('./dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('scrub: not built yet; run `npm ci` (or `npm run build`) in the scrub folder first.\n');
  process.exit(2);
}
// A closed pipe (`scrub inspect m.onnx | head`) is not an error: what is left to print is dropped, and
// the exit code stays the command's (a failure or a failed gate is not reported as success).
let closed = false;
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE' || (closed && e.code === 'ERR_STREAM_DESTROYED')) return void (closed = true);
  throw e;
});
// Ctrl-C or SIGTERM for the whole process: while the modules load, the command starts cancelled (exit
// 130, nothing written); while it runs, main's own handlers act (a second exits at once); once it is
// done, a signal changes nothing it did (the exit code stays the command's)
const early = new AbortController();
let started = false;
const cancel = () => void (started || early.abort());
process.on('SIGINT', cancel);
process.on('SIGTERM', cancel);
const { main } = await import(entry.href);
const { consoleIo } = await import(new URL('./dist/cli/io.js', import.meta.url).href);
started = true;
process.exitCode = await main(process.argv.slice(2), { ...consoleIo, signal: early.signal });
