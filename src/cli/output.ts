// Writes a set of files into a folder so that a failure leaves nothing half-written.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, Uint8Array | string>): void {
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
