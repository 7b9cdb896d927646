// examples/: the DVC stage and the registry webhook, run as a user would (they use the built
// package, dist/, as `npm test` builds it first).
import { execSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');

/** The stage's cmd, deps, outs and metrics from dvc.yaml (the one-stage subset of YAML it uses). */
function dvcStage(text: string): { cmd: string; deps: string[]; outs: string[]; metrics: string[] } {
  const cmd = /^\s+cmd:\s*(.+)$/m.exec(text)?.[1].trim() ?? '';
  const list = (key: string) => {
    const block = new RegExp(`^\\s+${key}:\\n((?:\\s+- .+\\n(?:\\s{8,}\\S.*\\n)*)+)`, 'm').exec(text)?.[1] ?? '';
    return [...block.matchAll(/^\s+- ([^:\n]+):?\s*$/gm)].map((m) => m[1].trim());
  };
  return { cmd, deps: list('deps'), outs: list('outs'), metrics: list('metrics') };
}

describe('examples/dvc', () => {
  it('the stage answers the request: exit 0, the model out, the record as metrics', () => {
    const stage = dvcStage(readFileSync('examples/dvc/dvc.yaml', 'utf8'));
    expect(stage.cmd).toMatch(/scrub\.js request request\.json/);
    expect(stage.outs).toEqual(['out/cnn.onnx']);
    expect(stage.metrics).toEqual(['out/cnn.record.json']);
    // a copy of the checkout's layout: examples/dvc beside the package's scrub.js, dist and models
    const top = mkdtempSync(join(tmpdir(), 'scrub-dvc-'));
    mkdirSync(join(top, 'examples'));
    cpSync('examples/dvc', join(top, 'examples', 'dvc'), { recursive: true });
    for (const f of ['scrub.js', 'dist', 'models', 'node_modules', 'package.json'])
      symlinkSync(join(ROOT, f), join(top, f));
    const wdir = join(top, 'examples', 'dvc');
    for (const d of stage.deps) expect(existsSync(join(wdir, d)), d).toBe(true);
    execSync(stage.cmd, { cwd: wdir, stdio: 'pipe' });
    for (const o of stage.outs) expect(existsSync(join(wdir, o)), o).toBe(true);
    const metrics = JSON.parse(readFileSync(join(wdir, stage.metrics[0]), 'utf8'));
    expect(metrics.acceptance.verdict).toBe('accepted');
    expect(metrics.metrics.after.values.forget_acc).toBeLessThanOrEqual(0.5);
    expect(metrics.metrics.before.values.forget_acc).toBeGreaterThan(0.5);
  });
});

describe('examples/webhook', () => {
  it('erasure.requested: writes version 2 and its record beside version 1, which stays untouched', async () => {
    const registry = mkdtempSync(join(tmpdir(), 'scrub-registry-'));
    mkdirSync(join(registry, 'cnn'));
    cpSync('models/cnn.onnx', join(registry, 'cnn', '1.onnx'));
    cpSync('models/cnn.fisher', join(registry, 'cnn', '1.fisher'));
    cpSync('models/forget', join(registry, 'requests', '42'), { recursive: true });
    const v1 = readFileSync(join(registry, 'cnn', '1.onnx'));
    const server = spawn(process.execPath, ['examples/webhook/server.js'], {
      env: { ...process.env, REGISTRY: registry, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) ok(m[1]);
        });
        server.stderr.on('data', (d) => fail(new Error(String(d))));
        server.on('exit', (code) => fail(new Error(`the server exited (${code})`)));
      });
      const post = (body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) });
      const event = {
        event: 'erasure.requested',
        model: { name: 'cnn', version: 1 },
        forget: 'requests/42',
        gates: ['forget_acc<=0.5'],
      };
      const res = await post(event);
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ verdict: 'accepted', model: { name: 'cnn', version: 2 } });
      expect(readdirSync(join(registry, 'cnn')).sort()).toEqual(['1.fisher', '1.onnx', '2.onnx', '2.record.json']);
      expect(readFileSync(join(registry, 'cnn', '1.onnx')).equals(v1)).toBe(true);
      const record = JSON.parse(readFileSync(join(registry, 'cnn', '2.record.json'), 'utf8'));
      expect(record.input.model.sha256).toBe(createHash('sha256').update(v1).digest('hex'));
      expect(record.acceptance.verdict).toBe('accepted');
      expect(record.output.model.path).toBe(join(registry, 'cnn', '2.onnx'));

      expect((await post(event)).status).toBe(409);
      expect((await post({ ...event, model: { name: 'cnn', version: 7 } })).status).toBe(400);
      expect((await post({ event: 'model_version.created', model: { name: 'cnn', version: 2 } })).status).toBe(202);
    } finally {
      server.kill();
    }
  });
});
