// What the bench sections share: samples per second of a step, and PyTorch's own numbers from a peer
// script run in the same session (bench/torch_*.py, one thread per process, one JSON object printed).
import { execFileSync } from 'node:child_process';

/**
 * Samples per second of `step` (which processes `batch` samples): `warmup` unmeasured calls, then
 * repeated for at least `seconds` and `minReps` calls.
 */
export async function samplesPerSecond(step, { batch, seconds, warmup = 2, minReps = 3 }) {
  for (let i = 0; i < warmup; i++) await step();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || reps < minReps) {
    await step();
    reps++;
  }
  return (batch * reps) / ((performance.now() - t0) / 1000);
}

/** The JSON a PyTorch peer script prints, or undefined where python3-torch (or its inputs) is missing. */
export function torchPeerJson(script, args, timeout = 900_000) {
  try {
    const out = execFileSync('/usr/bin/python3', [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout,
    });
    return JSON.parse(out);
  } catch {
    return undefined;
  }
}
