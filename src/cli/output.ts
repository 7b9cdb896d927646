// Writes a set of files into a folder so that a failure leaves nothing half-written.
import { writeFilesAtomic } from '../core/atomic.js';
import { BadInputError } from '../core/errors.js';

/** writeFilesAtomic, with a failure (an unwritable folder, a full disk) reported as bad input naming `dir`. */
export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, Uint8Array | string>): void {
  try {
    writeFilesAtomic(dir, files);
  } catch (e) {
    throw new BadInputError(`${dir}: could not write the files: ${(e as Error).message}`);
  }
}
