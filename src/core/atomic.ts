// Writing files so that a failure never leaves one half-written: a temporary name beside the
// target, then a rename (atomic within one file system).
import {
  existsSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { BadInputError } from './errors.js';

/**
 * `dir` and its missing parents, one mkdir at a time: Node 20's recursive mkdirSync spins forever on
 * some paths (under /proc), where this throws ENOENT. Throws what mkdir throws.
 */
export function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}

/** Temporary files and folders still in use (tracked), removed if the process exits with them there. */
const inUse = new Set<string>();
/** Output folders a command created (folder → the topmost one it created), removed at exit if left empty. */
const createdFolders = new Map<string, string>();
let onExit = false;

/** At process exit: the temporary files and folders still in use, then the created folders left empty. */
function cleanUpAtExit(): void {
  if (onExit) return;
  onExit = true;
  process.on('exit', () => {
    for (const p of inUse) rmSync(p, { recursive: true, force: true });
    for (const [path, top] of createdFolders) removeEmptyFolders(path, top);
  });
}

/**
 * Marks temporary `path` (a file or folder being written, a staged model) as in use until untracked:
 * if the process exits first (a second Ctrl-C exits at once, an uncaught error) it is removed then.
 */
export function trackTemp(path: string): void {
  inUse.add(path);
  cleanUpAtExit();
}

/**
 * Folder `path`, made with its parents up to `top` for a command's output: removed (with those parents)
 * at process exit if still empty, as after a second Ctrl-C; `untrackFolder` where the command took
 * care of it itself.
 */
export function trackFolder(path: string, top: string): void {
  createdFolders.set(path, top);
  cleanUpAtExit();
}

export function untrackFolder(path: string): void {
  createdFolders.delete(path);
}

/** Removes `path` and its parents up to `top` while they are empty (rmdir: an empty folder only). */
export function removeEmptyFolders(path: string, top: string): void {
  for (let d = path; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

/** `path` is no longer in use: renamed into place or removed (trackTemp). */
export function untrackTemp(path: string): void {
  inUse.delete(path);
}

/** The lists of files put in place that someone is watching (watchPlaced). */
const watchers = new Set<string[]>();

/** Notes that `path` is now in place, complete (renamed from its temporary name), for the watchers. */
export function markPlaced(path: string): void {
  for (const files of watchers) files.push(path);
}

/**
 * The files put in place from now on (markPlaced), in order, until `stop()`: what a command has written
 * so far, which its hard exit names.
 */
export function watchPlaced(): { readonly files: readonly string[]; stop(): void } {
  const files: string[] = [];
  watchers.add(files);
  return { files, stop: () => void watchers.delete(files) };
}

/**
 * Writes `data` to `path` through a temporary file beside it and a rename. On failure the temporary
 * file is removed and the error (Node's, with its code) is rethrown; `path` is untouched.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  trackTemp(tmp);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    markPlaced(path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  } finally {
    untrackTemp(tmp);
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
  trackTemp(tmp);
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
    untrackTemp(tmp);
  }
}

/** Throws a BadInputError where output `out` is an existing folder: `what` (a record, …) goes there as a file. */
export function refuseFolderAsOutput(out: string, what: string): void {
  if (existsSync(out) && statSync(out).isDirectory())
    throw new BadInputError(`${out}: a folder is where ${what} goes; move it, or give -o another file path.`);
}

/**
 * Throws a BadInputError where output `out` would be written over one of the command's own `inputs`
 * (the same file by real path, links followed: a model, a record, a Fisher file, a data file) or into
 * an input folder (an image folder, a folder of NAME.npy files, a tokenizer's). An input given as a
 * data spec counts by its paths: PATH@selection by PATH, X.npy,Y.npy by both. `what` names the
 * output's option.
 */
export function refuseInputAsOutput(out: string, inputs: readonly (string | undefined)[], what: string): void {
  const target = resolve(out);
  const same = existsSync(target) && !statSync(target).isDirectory() ? realpathSync(target) : undefined;
  for (const input of inputs) {
    if (!input) continue;
    const paths = new Set([input, input.split('@')[0]].flatMap((p) => [p, ...p.split(',')]));
    for (const path of paths) {
      if (!path || !existsSync(path)) continue;
      const folder = statSync(path).isDirectory();
      const hit = folder
        ? target.startsWith(resolve(path) + sep) || target.startsWith(realpathSync(path) + sep)
        : same !== undefined && realpathSync(path) === same;
      const where = folder ? `inside the command's input folder ${path}` : `this is the command's input ${input}`;
      if (hit) throw new BadInputError(`${what} ${out}: ${where}; refusing to write there. Choose another path.`);
    }
  }
}
