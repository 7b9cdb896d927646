// The worker side of WorkerSessions (workers.ts): one single-threaded Session over the model bytes it
// was started with, running the feeds each request brings and posting back its outputs (their buffers
// transferred, not copied), or the error's kind and message; asked to release, it releases the session and says so.
import { parentPort, workerData } from 'node:worker_threads';
import { ScrubError } from '../core/errors.js';
import { Session } from './session.js';
import type { WorkerRequest } from './workers.js';

interface Start {
  bytes: Uint8Array;
  source: string;
}

const { bytes, source } = workerData as Start;
const port = parentPort!;
const opening = Session.create(bytes, { threads: 1, source });
opening.then(
  () => port.postMessage({ ready: true }),
  (e: unknown) => port.postMessage({ ready: false, error: describe(e) }),
);
port.on('message', (message: WorkerRequest) => {
  if ('release' in message) {
    // released here, not by a finalizer; then the port closes and the worker exits by itself, never
    // terminated in the middle of native code
    opening
      .then((session) => session.release())
      .catch(() => undefined)
      .then(() => {
        port.postMessage({ released: true });
        port.close();
      });
    return;
  }
  opening
    .then((session) => session.run(message.feeds))
    .then(
      (out) => port.postMessage({ out }, [...new Set(Object.values(out).map((t) => t.data.buffer as ArrayBuffer))]),
      (e: unknown) => port.postMessage({ error: describe(e) }),
    );
});

function describe(e: unknown): { kind?: string; message: string } {
  return { kind: e instanceof ScrubError ? e.kind : undefined, message: e instanceof Error ? e.message : String(e) };
}
