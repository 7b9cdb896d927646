// Writing files so that a failure never leaves one half-written: a temporary name beside the
// target, then a rename (atomic within one file system).
import { existsSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Writes `data` to `path` through a temporary file beside it and a rename. On failure the temporary
 * file is removed and the error (Node's, with its code) is rethrown; `path` is untouched.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/**
 * Writes a set of files into folder `dir` (created when missing): all into a temporary folder beside
 * it, then renamed into place, so that a failure leaves none of them half-written.
 */
export function writeFilesAtomic(dir: string, files: ReadonlyMap<string, Uint8Array | string>): void {
  const target = resolve(dir);
  const tmp = join(dirname(target), `.${target.split('/').pop()}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const [name, data] of files) writeFileSync(join(tmp, name), data);
    if (!existsSync(target)) {
      renameSync(tmp, target);
      return;
    }
    for (const name of files.keys()) renameSync(join(tmp, name), join(target, name));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
