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

/**
 * glibc's malloc settings for the PyTorch peer: keep freed blocks instead of unmapping them. PyTorch's CPU
 * tensors come straight from malloc, so a tensor of 128 kB or more is otherwise a fresh mapping at every
 * step, each of its pages first touched again; on this project's 2-vCPU VM a first touch costs about 11 µs
 * a page, and the peer's resnet18 gradient pass read anywhere from 64 to 109 samples/s at 2 threads
 * (1.3 to 3.6 million page faults a run). Kept, it reads 107–119 (150 thousand faults): PyTorch as it runs
 * where a page fault is cheap, which flatters neither side.
 */
const PEER_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 32) };

/** The JSON a PyTorch peer script prints, or undefined where python3-torch (or its inputs) is missing. */
export function torchPeerJson(script, args, timeout = 900_000) {
  try {
    const out = execFileSync('/usr/bin/python3', [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', ...PEER_MALLOC },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout,
    });
    return JSON.parse(out);
  } catch {
    return undefined;
  }
}
