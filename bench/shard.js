// The importance pass sharded, in npm run bench: cnn over Fashion-MNIST's 55,000 training images as
// one process, then as two `--shard K/2` processes run in parallel (one thread each, one per core
// of a 2-core host) and their merge. Wall-clock of each, including process start and model load:
// the best of ROUNDS interleaved rounds, as the host may be shared.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFisher } from '../dist/methods/table.js';

const FM = '/usr/share/datasets/fashion-mnist';
const ROUNDS = 2;

function scrub(root, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}scrub.js`, ...args, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`scrub ${args.join(' ')}: exit ${code}: ${err}`)),
    );
  });
}

async function timed(step) {
  const t0 = performance.now();
  await step();
  return (performance.now() - t0) / 1000;
}

export async function benchShard(root) {
  if (!existsSync(FM)) return console.log('shard: skipped (apt-get install dataset-fashion-mnist)');
  const model = `${root}test/fixtures/models/cnn.onnx`;
  const train = `${FM}/train-images-idx3-ubyte.gz@0:55000`;
  const norm = ['--mean', '0.286', '--std', '0.353'];
  const dir = mkdtempSync(join(tmpdir(), 'scrub-bench-shard-'));
  const pass = (out, ...extra) => scrub(root, ['fisher', model, train, '-o', join(dir, out), ...norm, ...extra]);
  try {
    const r = {
      rounds: ROUNDS,
      single_threads1_s: Infinity,
      single_threads2_s: Infinity,
      shards2_s: Infinity,
      merge_s: Infinity,
    };
    const best = (key, seconds) => (r[key] = Math.min(r[key], seconds));
    for (let round = 0; round < ROUNDS; round++) {
      best('single_threads1_s', await timed(() => pass('t1.fisher', '--threads', '1')));
      best('single_threads2_s', await timed(() => pass('t2.fisher', '--threads', '2')));
      best(
        'shards2_s',
        await timed(() =>
          Promise.all([0, 1].map((k) => pass(`part${k}.fisher`, '--shard', `${k}/2`, '--threads', '1'))),
        ),
      );
      best(
        'merge_s',
        await timed(() =>
          scrub(root, [
            'fisher',
            'merge',
            join(dir, 'part0.fisher'),
            join(dir, 'part1.fisher'),
            '-o',
            join(dir, 'merged.fisher'),
          ]),
        ),
      );
    }
    r.sharded_total_s = r.shards2_s + r.merge_s;
    r.speedup_vs_threads1 = r.single_threads1_s / r.sharded_total_s;
    r.speedup_vs_threads2 = r.single_threads2_s / r.sharded_total_s;
    const a = readFisher(join(dir, 't1.fisher'));
    const b = readFisher(join(dir, 'merged.fisher'));
    r.same_header = JSON.stringify(a.header) === JSON.stringify(b.header);
    r.max_relative_difference = 0;
    for (const [name, s] of a.sums) {
      const m = b.sums.get(name);
      for (let i = 0; i < s.length; i++)
        if (s[i] !== 0)
          r.max_relative_difference = Math.max(r.max_relative_difference, Math.abs(m[i] - s[i]) / Math.abs(s[i]));
    }
    console.log(
      `\nimportance pass on cnn, 55,000 examples, sharded: wall-clock seconds, best of ${ROUNDS} ` +
        '(processes, model load included)',
    );
    console.log(`1 process, 1 thread          ${r.single_threads1_s.toFixed(1)}`);
    console.log(`1 process, 2 threads         ${r.single_threads2_s.toFixed(1)}`);
    console.log(
      `2 shards in parallel, 1 thread each  ${r.shards2_s.toFixed(1)}  + merge ${r.merge_s.toFixed(2)}  ` +
        `= ${r.sharded_total_s.toFixed(1)}`,
    );
    console.log(
      `ratio: ${r.speedup_vs_threads1.toFixed(2)}x vs 1 process with 1 thread, ` +
        `${r.speedup_vs_threads2.toFixed(2)}x vs 1 process with 2 threads`,
    );
    console.log(
      `merged vs single pass: header ${r.same_header ? 'identical' : 'DIFFERENT'}, ` +
        `sums within ${r.max_relative_difference.toExponential(1)} relative`,
    );
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
