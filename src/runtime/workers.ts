// Data parallelism across cores: a set of worker threads, each holding its own single-threaded ONNX
// Runtime session over the same model, each running a part of a batch at the same time. ONNX Runtime's
// intra-op threads scale poorly on attention (measured by npm run bench on 2 cores, batch 64, against
// one thread: vit 0.69x with 2 intra-op threads, 1.27x with 2 workers; resnet18 1.52x and 1.64x; cnn
// 1.16x and 1.04x).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { BadInputError, UnsupportedModelError } from '../core/errors.js';
import { withinCores, type HostTensor } from './session.js';

/** What a worker is asked (session-worker.ts): a run over these feeds, or to release its session. */
export type WorkerRequest = { feeds: Record<string, HostTensor> } | { release: true };

type Reply = { ready?: boolean; out?: Record<string, HostTensor>; error?: { kind?: string; message: string } };

/**
 * The compiled worker script. Under the tests' TypeScript loader this module is a .ts file beside no
 * .js one; the worker, a plain Node thread, then runs the compiled copy in dist/ (npm test builds it).
 */
function workerScript(): URL {
  const beside = new URL('./session-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/runtime/session-worker.js', import.meta.url);
}

/** The error a worker reported, as the class of its kind (a bad input, else the model). */
function rebuilt(e: { kind?: string; message: string }): Error {
  return e.kind === 'bad-input' ? new BadInputError(e.message) : new UnsupportedModelError(e.message);
}

/**
 * One worker and its single reply in flight. A worker that stops (killed, out of memory, a crash in
 * ONNX Runtime) rejects the run in flight and every later one at once: its lane is dead, not waiting.
 */
class Lane {
  private waiting?: { resolve: (r: Reply) => void; reject: (e: Error) => void };
  private dead?: Error;
  constructor(readonly worker: Worker) {
    worker.on('message', (r: Reply) => this.settle((w) => w.resolve(r)));
    worker.on('error', (e) => this.stop(e));
    worker.on('exit', (code) => this.stop(new Error(`a session worker exited (code ${code})`)));
  }
  private settle(f: (w: NonNullable<Lane['waiting']>) => void): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) f(w);
  }
  private stop(e: Error): void {
    this.dead ??= new UnsupportedModelError(
      `a data-parallel session worker stopped (${e.message}; out of memory?): run again with fewer --workers, or none.`,
    );
    const dead = this.dead;
    this.settle((w) => w.reject(dead));
  }
  /** The worker's next reply (one message in flight at a time); rejects at once if the worker stopped. */
  next(): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
  /** Asks a live worker (a stopped one rejects at once) and waits for its reply. */
  request(message: WorkerRequest): Promise<Reply> {
    const reply = this.next();
    if (!this.dead) this.worker.postMessage(message);
    return reply;
  }
}

/**
 * The data-parallel workers asked for (GradientOptions.workers), checked: a whole number from 1 to the
 * threads this machine runs at once (each worker holds a session of its own, so more only add memory
 * and time), on the CPU provider where more than one. Returns 1 where none were asked for.
 * Throws BadInputError naming the setting as `what` says (the flag; a request names its field).
 */
export function workerCount(workers: number | undefined, device: string, what = '--workers'): number {
  if (workers === undefined) return 1;
  withinCores(
    workers,
    what,
    'worker threads',
    'each worker holds a session of its own, so more workers than that only add memory and time',
  );
  if (workers > 1 && device !== 'cpu')
    throw new BadInputError(`${what} ${workers}: data-parallel workers run on the CPU provider only.`);
  return workers;
}

/** `count` worker threads with one single-threaded CPU session each over the same model bytes. */
export class WorkerSessions {
  private constructor(private readonly lanes: Lane[]) {}

  get count(): number {
    return this.lanes.length;
  }

  /**
   * Starts `count` workers over `bytes` (an ONNX model) and waits until each has opened its session.
   * Rejects with the first worker's error (UnsupportedModelError where ONNX Runtime refuses the model).
   */
  static async open(bytes: Uint8Array, count: number, source: string): Promise<WorkerSessions> {
    const script = workerScript();
    const lanes = Array.from({ length: count }, () => new Lane(new Worker(script, { workerData: { bytes, source } })));
    const pool = new WorkerSessions(lanes);
    const replies = await Promise.allSettled(lanes.map((l) => l.next()));
    const failed = replies.find((r) => r.status === 'rejected' || !r.value.ready);
    if (failed) {
      await pool.release();
      throw failed.status === 'rejected' ? failed.reason : rebuilt(failed.value.error!);
    }
    return pool;
  }

  /**
   * Runs feeds[i] on worker i, all at once: every output of each, in order. Input buffers are copied
   * to the workers (the caller keeps them); outputs come back without a copy.
   */
  async run(feeds: Record<string, HostTensor>[]): Promise<Record<string, HostTensor>[]> {
    if (feeds.length > this.lanes.length) throw new Error(`${feeds.length} parts for ${this.lanes.length} workers`);
    const replies = await Promise.all(feeds.map((f, i) => this.lanes[i].request({ feeds: f })));
    const failed = replies.find((r) => r.error);
    if (failed) throw rebuilt(failed.error!);
    return replies.map((r) => r.out!);
  }

  /**
   * Releases each worker's session in the worker, which then closes its port and exits by itself.
   * Terminating a worker aborts whatever it runs, native code included: with its session still open,
   * or even after releasing it, that could abort the whole process ("terminate called after throwing
   * an instance of 'Napi::Error'": 3 runs in 15 of the parallel tests on a loaded host). A worker that
   * does not answer, or has not exited 10 s after releasing, is terminated.
   */
  async release(): Promise<void> {
    await Promise.all(
      this.lanes.map(async (l) => {
        const exited = new Promise<boolean>((resolve) => l.worker.once('exit', () => resolve(true)));
        const released = await l.request({ release: true }).then(
          () => true,
          () => false,
        );
        const gone = released && (await Promise.race([exited, delay(10_000, false, { ref: false })]));
        if (!gone) await l.worker.terminate();
      }),
    );
  }
}
