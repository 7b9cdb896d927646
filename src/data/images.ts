// Image folders DIR/<class>/**/*.png|jpg|jpeg|webp|tif|tiff, decoded by sharp (libvips); or, for a
// set without labels, images directly in DIR and no class folders (in file-name order, code points).
//
// Classes: a folder's name is its class index ("0", "7"), or with labels.txt (one class name per
// line, line i = class i, as torchvision's ImageFolder numbers the sorted folder names) its name.
// Order: classes by index, then as ImageFolder walks a class folder: sub-folders and file names
// sorted by code point, extensions matched case-insensitively; hidden folders ('.x') are skipped.
// Pixels: decoded to 8-bit sRGB with alpha dropped (Pillow's convert('RGB')); for a 1-channel
// model, luma as Pillow's convert('L') (ITU-R 601-2, (19595 R + 38470 G + 7471 B + 2^15) >> 16);
// then, where the size differs, stretched to the model's H×W (no crop, as torchvision's
// Resize((H, W))) with a bilinear, antialiasing kernel. 16-bit images are scaled to 8 bits; EXIF
// orientation is not applied (as Pillow). A class folder without images is noted; a folder with no
// images at all is an error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { showDims, type Geometry } from './convert.js';
import { NO_LABEL, type Example, type Source } from './source.js';
import type { IndexSet } from './select.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff'];
const isImage = (name: string) => IMAGE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

/** Compares strings by code point, as Python sorts them (JS's < compares UTF-16 units). */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** Class names of labels.txt: one per line, line i naming class i. */
export function readLabelsTxt(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BadInputError(`${path}: cannot read the labels file. Pass a text file with one class name per line.`);
  }
  const names = text.split(/\r?\n/).map((s) => s.trim());
  while (names.length && !names[names.length - 1]) names.pop();
  if (!names.length) throw new BadInputError(`${path}: holds no class names. Write one class name per line.`);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (!n) throw new BadInputError(`${path}:${i + 1}: empty line; every line up to the last names a class.`);
    if (seen.has(n)) throw new BadInputError(`${path}:${i + 1}: class "${n}" is already on line ${seen.get(n)! + 1}.`);
    seen.set(n, i);
  });
  return names;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Image files under a class folder, in ImageFolder's order (relative paths). */
function walk(root: string): { files: string[]; others: number } {
  const dirs: { rel: string; files: string[] }[] = [];
  let others = 0;
  const visit = (rel: string) => {
    const files: string[] = [];
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(join(root, child)))) {
        if (!e.name.startsWith('.')) visit(child);
      } else if (isImage(e.name)) files.push(e.name);
      else others++;
    }
    dirs.push({ rel, files: files.sort(byCodePoint) });
  };
  visit('');
  dirs.sort((a, b) => byCodePoint(a.rel, b.rel));
  return { files: dirs.flatMap((d) => d.files.map((f) => (d.rel ? `${d.rel}/${f}` : f))), others };
}

export interface ImageFolderOptions {
  /** labels.txt path. */
  labels?: string;
  note: (message: string) => void;
}

interface Listing {
  files: string[];
  /** Per file; undefined for a flat folder (no labels). */
  labels?: Int32Array;
  classes: number[];
}

export function listImageFolder(dir: string, opts: ImageFolderOptions): Listing {
  if (!existsSync(dir))
    throw new BadInputError(`${dir}: no such folder. Pass a folder of class sub-folders, DIR/<class>/*.png.`);
  const entries = readdirSync(dir, { withFileTypes: true });
  const loose = entries
    .filter((e) => (e.isFile() || (e.isSymbolicLink() && !isDir(join(dir, e.name)))) && isImage(e.name))
    .map((e) => e.name);
  const folders = entries
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && isDir(join(dir, e.name)))))
    .map((e) => e.name);
  if (loose.length && !folders.length)
    return listFlatFolder(dir, loose, entries.filter((e) => !e.isDirectory() && !loose.includes(e.name)).length, opts);
  if (loose.length)
    throw new BadInputError(
      `${dir}: images must sit in class sub-folders DIR/<class>/, but ${loose[0]} is directly in it. ` +
        `Move each image into the folder of its class ` +
        `(or, for a set without labels, remove the sub-folders).`,
    );
  if (!folders.length)
    throw new BadInputError(
      `${dir}: the folder is empty: no class sub-folders DIR/<class>/ with images in them ` +
        `(nor images directly in it, for a set without labels).`,
    );
  const names = opts.labels ? readLabelsTxt(opts.labels) : undefined;
  const byLabel = new Map<number, string>();
  for (const f of folders) {
    let label: number;
    if (names) {
      label = names.indexOf(f);
      if (label < 0)
        throw new BadInputError(
          `${join(dir, f)}: class "${f}" is not in ${opts.labels} ` +
            `(${names.length} classes: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}). ` +
            `Add it, or fix the folder's name.`,
        );
    } else {
      if (!/^\d+$/.test(f))
        throw new BadInputError(
          `${join(dir, f)}: the folder name "${f}" is not a class index. ` +
            `Name class folders 0, 1, 2, … or pass --labels labels.txt with one class name per line.`,
        );
      label = Number(f);
    }
    if (byLabel.has(label))
      throw new BadInputError(
        `${dir}: folders "${byLabel.get(label)}" and "${f}" both are class ${label}. Merge them.`,
      );
    byLabel.set(label, f);
  }
  const files: string[] = [];
  const labels: number[] = [];
  const classes: number[] = [];
  let others = 0;
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const folder = byLabel.get(label)!;
    const found = walk(join(dir, folder));
    others += found.others;
    if (!found.files.length) opts.note(`${join(dir, folder)}: no images in this class folder`);
    else classes.push(label);
    for (const f of found.files) {
      files.push(`${folder}/${f}`);
      labels.push(label);
    }
  }
  if (others) opts.note(`${dir}: ${others} files that are not ${IMAGE_EXTENSIONS.join(' ')} images ignored`);
  if (!files.length)
    throw new BadInputError(`${dir}: no images in its class folders (looked for ${IMAGE_EXTENSIONS.join(' ')}).`);
  return { files, labels: Int32Array.from(labels), classes };
}

function listFlatFolder(dir: string, images: string[], others: number, opts: ImageFolderOptions): Listing {
  if (opts.labels)
    opts.note(`${dir}: holds images and no class folders, so it has no labels; --labels ${opts.labels} ignored`);
  if (others) opts.note(`${dir}: ${others} entries that are not ${IMAGE_EXTENSIONS.join(' ')} images ignored`);
  return { files: images.sort(byCodePoint), classes: [] };
}

type Sharp = (typeof import('sharp'))['default'];
let sharpModule: Promise<Sharp> | undefined;
function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then(
    ({ default: s }) => {
      s.cache(false); // a pass reads each file once; libvips' cache would only grow the memory
      return s;
    },
    (e: Error) => {
      throw new BadInputError(
        `image folders need the sharp package, which did not load (${e.message}). Run npm install.`,
      );
    },
  );
  return sharpModule;
}

/** Pixels of one image file in the model's layout: C×H×W or H×W×C bytes. */
export async function decodeImage(file: string, geo: Geometry): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  let px: Uint8Array = data;
  let channels = 3;
  if (geo.c === 1) {
    const n = info.width * info.height;
    px = new Uint8Array(n);
    for (let i = 0, j = 0; i < n; i++, j += 3)
      px[i] = (data[j] * 19595 + data[j + 1] * 38470 + data[j + 2] * 7471 + 0x8000) >>> 16;
    channels = 1;
  }
  if (info.width !== geo.w || info.height !== geo.h) {
    const resized = await sharp(px, { raw: { width: info.width, height: info.height, channels: channels as 1 | 3 } })
      .resize(geo.w, geo.h, { fit: 'fill', kernel: 'linear' })
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer();
    px = resized;
  }
  if (geo.c === 3 && geo.layout === 'chw') {
    const plane = geo.h * geo.w;
    const chw = new Uint8Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      chw[i] = px[3 * i];
      chw[plane + i] = px[3 * i + 1];
      chw[2 * plane + i] = px[3 * i + 2];
    }
    px = chw;
  }
  return px;
}

/** Maps items through fn with up to `limit` calls in flight, yielding results in item order. */
async function* orderedMap<T, R>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const it = items[Symbol.iterator]();
  const queue: Promise<R>[] = [];
  const pump = () => {
    while (queue.length < limit) {
      const n = it.next();
      if (n.done) return;
      queue.push(fn(n.value));
    }
  };
  pump();
  while (queue.length) {
    const r = await queue.shift()!;
    pump();
    yield r;
  }
}

export async function openImageFolder(
  dir: string,
  example: readonly (number | string | null)[],
  geo: Geometry | undefined,
  opts: ImageFolderOptions,
): Promise<Source> {
  if (!geo || ![geo.c, geo.h, geo.w].every((d) => typeof d === 'number' && d > 0))
    throw new BadInputError(
      `${dir}: the model's per-example input ${showDims(example)} is not a fixed-size image ` +
        `([C,H,W] or [H,W,C] with C = 1 or 3), so images cannot be fitted to it.`,
    );
  const { files, labels, classes } = listImageFolder(dir, opts);
  await loadSharp();
  return {
    format: 'images',
    count: files.length,
    shape: geo.layout === 'chw' ? [geo.c, geo.h, geo.w] : [geo.h, geo.w, geo.c],
    encoding: 'pixel',
    stored: 'uint8',
    labelled: labels !== undefined,
    description: `image folder ${dir} (${labels ? `${classes.length} classes` : 'no labels'})`,
    classes: labels ? classes : undefined,
    read(set: IndexSet): AsyncIterable<Example> {
      return orderedMap(set, 16, async (i): Promise<Example> => {
        const file = join(dir, files[i]);
        try {
          return { values: await decodeImage(file, geo), label: labels ? BigInt(labels[i]) : NO_LABEL };
        } catch (e) {
          // (sharp's messages may end in a colon where libvips had more to say)
          return { error: `${file}: cannot decode the image (${(e as Error).message.replace(/[\s:]+$/, '')})` };
        }
      });
    },
  };
}
