#!/usr/bin/env node
// A model registry's webhook receiver: on "erasure.requested" for model NAME version N it runs
// scrub's library API and, when every gate passes, writes version N+1 beside the old one:
//
//   REGISTRY/NAME/N.onnx (+ N.fisher)   the registered version, untouched
//   REGISTRY/NAME/N+1.onnx              the edited model
//   REGISTRY/NAME/N+1.record.json       its record (N+1.rejected.record.json and no model when a gate fails)
//
// POST / {"event": "erasure.requested", "model": {"name": "cnn", "version": 1},
//         "forget": "DATA" | {"dataset": NAME, "ids": [...]}, "datasets": {...}, "gates": ["forget_acc<=0.05"]}
// answers 200 {verdict: "accepted", ...}, 422 when a gate failed, 400 for bad input, 409 when
// N+1 exists. Other events ("model_version.created", …) are acknowledged with 202 and ignored.
//
//   REGISTRY=/srv/registry PORT=8080 node server.js
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request, ScrubError } from 'scrub';

export function registryHook(root) {
  let busy = Promise.resolve();
  return createServer((req, res) => {
    const answer = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    if (req.method !== 'POST') return answer(405, { error: 'POST an event' });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      // one erasure at a time: each is CPU-bound, and two for the same model would race for N+1
      busy = busy.then(() => handle(root, text).then(([status, body]) => answer(status, body)));
    });
  });
}

async function handle(root, text) {
  let event;
  try {
    event = JSON.parse(text);
  } catch {
    return [400, { error: 'the body is not JSON' }];
  }
  if (event?.event !== 'erasure.requested') return [202, { ignored: event?.event ?? null }];
  const { name, version } = event.model ?? {};
  if (!/^[\w.-]+$/.test(String(name)) || !Number.isInteger(version) || version < 0)
    return [
      400,
      { error: '/model: expected {"name": NAME, "version": N} (a name of letters, digits, . _ -, an integer version)' },
    ];
  const dir = join(root, name);
  const next = join(dir, `${version + 1}.onnx`);
  if (existsSync(next)) return [409, { error: `${name} version ${version + 1} exists already` }];
  try {
    const fisher = join(dir, `${version}.fisher`);
    const r = await request(
      {
        model: join(dir, `${version}.onnx`),
        out: next,
        forget: event.forget,
        datasets: event.datasets,
        gates: event.gates,
        ...(existsSync(fisher) ? { fisher } : {}),
      },
      { baseDir: root },
    );
    const body = {
      verdict: r.verdict,
      line: r.line,
      model: r.report.output.written ? { name, version: version + 1, path: next } : null,
      record: r.report.record,
      metrics: r.report.metrics.after?.values,
    };
    return [r.verdict === 'rejected' ? 422 : 200, body];
  } catch (e) {
    if (e instanceof ScrubError) return [e.exitCode === 2 ? 400 : 500, { error: e.message }];
    return [500, { error: String(e?.message ?? e) }];
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.env.REGISTRY ?? '.');
  const server = registryHook(root).listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
    const { address, port } = server.address();
    process.stdout.write(`listening on http://${address}:${port}/ (registry ${root})\n`);
  });
}
