// Image folders: PNG/JPEG/WEBP made from Fashion-MNIST with sharp, class folders by index and by
// name, conversion, resizing, normalisation, and bad input.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/data/npy.js';
import { openDataset, type Dataset, type DataNote, type DatasetOptions } from '../src/data/dataset.js';
import { byCodePoint } from '../src/data/images.js';
import { rejects } from './support/expect-error.js';
import { FASHION_MNIST as FM, withoutFashionMnist } from './support/datasets.js';

const noFashionMnist = withoutFashionMnist();

const NAMES = [
  'T-shirt_top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle_boot',
];
const gray28 = { dtype: 1, dims: ['batch', 1, 28, 28] };
const tmp = mkdtempSync(join(tmpdir(), 'scrub-images-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const images = noFashionMnist
  ? Buffer.alloc(0)
  : gunzipSync(readFileSync(`${FM}/t10k-images-idx3-ubyte.gz`)).subarray(16);
const labels = noFashionMnist
  ? Buffer.alloc(0)
  : gunzipSync(readFileSync(`${FM}/t10k-labels-idx1-ubyte.gz`)).subarray(8);
const pixels = (i: number) => images.subarray(i * 784, (i + 1) * 784);
const gray = (px: Uint8Array, size = 28) =>
  sharp(px, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w');

function opts(extra: Partial<DatasetOptions> = {}, notes: DataNote[] = []): DatasetOptions {
  return { input: gray28, onNote: (n) => notes.push(n), ...extra };
}

async function collect(ds: Dataset, batchSize = 16) {
  const xs: number[] = [];
  const y: number[] = [];
  const index: number[] = [];
  for await (const b of ds.batches(batchSize)) {
    xs.push(...(b.x.data as Float32Array));
    y.push(...Array.from(b.y, Number));
    index.push(...b.index);
  }
  return { x: Float32Array.from(xs), y, index };
}

/** Test images 0…n−1 as DIR/<class>/<index>.<ext>; class = index or NAMES[label]. */
async function folder(name: string, n: number, { named = false, ext = 'png' } = {}): Promise<string> {
  const dir = join(tmp, name);
  for (let i = 0; i < n; i++) {
    const cls = named ? NAMES[labels[i]] : String(labels[i]);
    mkdirSync(join(dir, cls), { recursive: true });
    const img = gray(pixels(i));
    const file = join(dir, cls, `${String(i).padStart(5, '0')}.${ext}`);
    if (ext === 'png') await img.png().toFile(file);
    else if (ext === 'webp') await img.webp({ lossless: true }).toFile(file);
    else await img.jpeg({ quality: 100 }).toFile(file);
  }
  return dir;
}

/** The order an image folder of test images 0…n−1 lists them: by class, then file name. */
const folderOrder = (n: number) => [...Array(n).keys()].sort((a, b) => labels[a] - labels[b] || a - b);

let pngDir: string;
beforeAll(async () => {
  pngDir = await folder('png', 64);
});

describe.skipIf(noFashionMnist)('image folders', () => {
  it('a PNG folder of the first 64 test images reproduces the fixtures batch bit for bit', async () => {
    const ds = await openDataset(pngDir, opts({ mean: [0.286], std: [0.353] }));
    expect(ds.count).toBe(64);
    expect(ds.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ds.description).toMatch(/image folder .*\(10 classes\): 64 of 64 examples/);
    const got = await collect(ds);
    const x = readNpy(new URL('./fixtures/batch/x.npy', import.meta.url).pathname).data as Float32Array;
    const y = readNpy(new URL('./fixtures/batch/y.npy', import.meta.url).pathname).data as BigInt64Array;
    const order = folderOrder(64);
    expect(got.y).toEqual(order.map((i) => Number(y[i])));
    expect(got.index).toEqual([...Array(64).keys()]);
    let maxDiff = 0;
    order.forEach((i, k) => {
      for (let j = 0; j < 784; j++) maxDiff = Math.max(maxDiff, Math.abs(got.x[k * 784 + j] - x[i * 784 + j]));
    });
    expect(maxDiff).toBe(0);
  });

  it('normalisation of one pixel, by hand: (p/255 − mean)/std in float32', async () => {
    const got = await collect(await openDataset(pngDir, opts({ mean: [0.286], std: [0.353] })));
    const first = folderOrder(64)[0];
    const k = pixels(first).indexOf(255);
    const z = pixels(first).indexOf(0);
    expect(k).toBeGreaterThanOrEqual(0);
    expect(got.x[k]).toBe(2.022662878036499); // (1 − 0.286)/0.353 = 2.02266289 in float64
    expect(got.x[z]).toBe(-0.8101983666419983); // −0.286/0.353 = −0.81019830
    const defaults = await collect(await openDataset(pngDir, opts()));
    expect(defaults.x[k]).toBe(1);
    expect(defaults.x[z]).toBe(0);
  });

  it('class folders by name, with labels.txt (one name per line, line i = class i)', async () => {
    const dir = await folder('named', 64, { named: true });
    const txt = join(tmp, 'labels.txt');
    writeFileSync(txt, NAMES.join('\n') + '\n');
    const byName = await collect(await openDataset(dir, opts({ labels: txt })));
    const byIndex = await collect(await openDataset(pngDir, opts()));
    expect(byName.y).toEqual(byIndex.y);
    expect(byName.x).toEqual(byIndex.x);
    // A forget folder with one class keeps that class's index.
    const one = join(tmp, 'one');
    mkdirSync(join(one, 'Bag'), { recursive: true });
    await gray(pixels(0))
      .png()
      .toFile(join(one, 'Bag', 'a.png'));
    const ds = await openDataset(one, opts({ labels: txt }));
    expect(ds.classes).toEqual([8]);
    expect((await collect(ds)).y).toEqual([8]);
  });

  it('JPEG and WEBP files, upper-case extensions, sub-folders, ignored other files', async () => {
    const webp = await collect(await openDataset(await folder('webp', 16, { ext: 'webp' }), opts()));
    const png = await collect(await openDataset(await folder('png16', 16), opts()));
    expect(webp.x).toEqual(png.x); // lossless
    const jpeg = await collect(await openDataset(await folder('jpeg', 16, { ext: 'jpeg' }), opts()));
    let sum = 0;
    for (let i = 0; i < png.x.length; i++) sum += Math.abs(jpeg.x[i] - png.x[i]);
    expect(sum / png.x.length).toBeLessThan(2 / 255);
    expect(jpeg.y).toEqual(png.y);
    const mixed = join(tmp, 'mixed');
    mkdirSync(join(mixed, '3', 'sub'), { recursive: true });
    mkdirSync(join(mixed, '.ipynb_checkpoints'), { recursive: true });
    await gray(pixels(0))
      .jpeg()
      .toFile(join(mixed, '3', 'B.JPG'));
    await gray(pixels(1))
      .png()
      .toFile(join(mixed, '3', 'a.PNG'));
    await gray(pixels(2))
      .webp()
      .toFile(join(mixed, '3', 'sub', 'c.webp'));
    writeFileSync(join(mixed, '3', 'notes.txt'), 'not an image');
    const notes: DataNote[] = [];
    const ds = await openDataset(mixed, opts({}, notes));
    expect(ds.count).toBe(3);
    expect(notes.map((n) => n.message).join()).toMatch(/1 files that are not .* images ignored/);
  });

  it('lists a class folder as torchvision does: sorted by code point, sub-folders after files by path', () => {
    const names = ['b.png', 'B.png', 'a10.png', 'a9.png', '\u{1F600}.png', '\uFF01.png'];
    expect(names.sort(byCodePoint)).toEqual(['B.png', 'a10.png', 'a9.png', 'b.png', '\uFF01.png', '\u{1F600}.png']);
  });
});

describe.skipIf(noFashionMnist)('conversion and resizing', () => {
  it('an RGB image into a 1-channel model: luma as Pillow convert("L")', async () => {
    const dir = join(tmp, 'rgb');
    mkdirSync(join(dir, '0'), { recursive: true });
    const rgb = new Uint8Array(28 * 28 * 3);
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [10, 200, 30],
    ];
    for (let i = 0; i < 28 * 28; i++) rgb.set(colours[i % 4], 3 * i);
    await sharp(rgb, { raw: { width: 28, height: 28, channels: 3 } })
      .png()
      .toFile(join(dir, '0', 'rgb.png'));
    const got = await collect(await openDataset(dir, opts()));
    // Pillow: (19595 R + 38470 G + 7471 B + 32768) >> 16
    // The fourth: 0.299·10 + 0.587·200 + 0.114·30 = 123.8
    expect(Array.from(got.x.subarray(0, 4), (v) => Math.round(v * 255))).toEqual([76, 150, 29, 124]);
  });

  it('a grey image into an RGB model, channels first and last, per-channel mean/std', async () => {
    const dir = join(tmp, 'greyrgb');
    mkdirSync(join(dir, '1'), { recursive: true });
    await gray(new Uint8Array(28 * 28).fill(200))
      .png()
      .toFile(join(dir, '1', 'g.png'));
    const norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const chw = await collect(await openDataset(dir, opts({ input: { dtype: 1, dims: ['n', 3, 28, 28] }, ...norm })));
    const hwc = await collect(await openDataset(dir, opts({ input: { dtype: 1, dims: ['n', 28, 28, 3] }, ...norm })));
    const f = Math.fround;
    const want = norm.mean.map((m, c) => f(f(f(200 / 255) - f(m)) / f(norm.std[c])));
    expect(want[0]).toBe(1.3070467710494995); // (200/255 − 0.485)/0.229 = 1.30704684
    expect([chw.x[0], chw.x[784], chw.x[2 * 784]]).toEqual(want);
    expect(Array.from(hwc.x.subarray(0, 6))).toEqual([...want, ...want]);
    expect(chw.y).toEqual([1]);
    await rejects(openDataset(dir, opts({ mean: [0.1, 0.2] })), /--mean has 2 values|does not have 2 channels/);
    await rejects(
      openDataset(dir, opts({ input: gray28, mean: [0.1, 0.2, 0.3], std: [1, 1, 1] })),
      /does not have 3 channels/,
    );
    await rejects(openDataset(dir, opts({ std: [0] })), /--std 0: a standard deviation of 0/);
    await rejects(openDataset(dir, opts({ std: [-1] })), /--std -1: a standard deviation is positive/);
  });

  it('a 32×32 image into a 28×28 model is resized (stretched, bilinear)', async () => {
    const dir = join(tmp, 'big');
    mkdirSync(join(dir, '5'), { recursive: true });
    await gray(new Uint8Array(32 * 32).fill(77), 32)
      .png()
      .toFile(join(dir, '5', 'flat.png'));
    await gray(pixels(0))
      .resize(32, 32, { kernel: 'linear' })
      .png()
      .toFile(join(dir, '5', 'shirt.png'));
    const got = await collect(await openDataset(dir, opts()));
    expect(got.x.length).toBe(2 * 784);
    expect(got.x.subarray(0, 784).every((v) => v === Math.fround(77 / 255))).toBe(true);
    const back = got.x.subarray(784);
    const orig = pixels(0);
    let err = 0;
    for (let i = 0; i < 784; i++) err += Math.abs(back[i] - orig[i] / 255);
    expect(err / 784).toBeLessThan(0.05); // up then down again: close to the original
  });
});

describe.skipIf(noFashionMnist)('image folder bad input', () => {
  it('a missing folder, an empty folder, empty class folders, loose images', async () => {
    await rejects(openDataset(join(tmp, 'nowhere'), opts()), /nowhere: no such file or folder/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await rejects(openDataset(empty, opts()), /empty: the folder is empty: no class sub-folders/);
    mkdirSync(join(empty, '0'));
    mkdirSync(join(empty, '1'));
    const notes: DataNote[] = [];
    await rejects(openDataset(empty, opts({}, notes)), /empty: no images in its class folders/);
    expect(notes.length).toBe(2);
    const loose = join(tmp, 'loose');
    mkdirSync(join(loose, '0'), { recursive: true });
    await gray(pixels(0)).png().toFile(join(loose, 'x.png'));
    await rejects(
      openDataset(loose, opts()),
      /images must sit in class sub-folders DIR\/<class>\/, but x\.png is directly in it/,
    );
  });

  it('class names without labels.txt, and a folder labels.txt lacks', async () => {
    const named = join(tmp, 'named2');
    mkdirSync(join(named, 'Trouser'), { recursive: true });
    mkdirSync(join(named, 'Wig'), { recursive: true });
    await gray(pixels(0))
      .png()
      .toFile(join(named, 'Trouser', 'a.png'));
    await gray(pixels(1))
      .png()
      .toFile(join(named, 'Wig', 'a.png'));
    await rejects(openDataset(named, opts()), /the folder name "Trouser" is not a class index.*--labels labels\.txt/);
    const txt = join(tmp, 'labels2.txt');
    writeFileSync(txt, NAMES.join('\r\n'));
    await rejects(
      openDataset(named, opts({ labels: txt })),
      /Wig: class "Wig" is not in .*labels2\.txt \(10 classes: T-shirt_top, Trouser/,
    );
    await rejects(
      openDataset(named, opts({ labels: join(tmp, 'no-labels.txt') })),
      /no-labels\.txt: cannot read the labels file/,
    );
    writeFileSync(txt, 'a\n\nb\n');
    await rejects(openDataset(named, opts({ labels: txt })), /labels2\.txt:2: empty line/);
    writeFileSync(txt, 'a\nb\na\n');
    await rejects(openDataset(named, opts({ labels: txt })), /labels2\.txt:3: class "a" is already on line 1/);
  });

  it('an image that does not decode: stop names it; skip leaves it out and reports it once', async () => {
    const dir = join(tmp, 'broken');
    mkdirSync(join(dir, '2'), { recursive: true });
    for (let i = 0; i < 5; i++)
      await gray(pixels(i))
        .png()
        .toFile(join(dir, '2', `${i}.png`));
    writeFileSync(join(dir, '2', '2.png'), 'this is not a PNG');
    const stop = await openDataset(dir, opts());
    expect(stop.count).toBe(5);
    await rejects(
      collect(stop),
      /broken\/2\/2\.png: cannot decode the image \(.*\)\. Fix or remove it, or pass --on-bad-input skip/,
    );
    const notes: DataNote[] = [];
    const skip = await openDataset(dir, opts({ onBadInput: 'skip' }, notes));
    const got = await collect(skip, 2);
    expect(got.index).toEqual([0, 1, 3, 4]);
    expect(got.x.length).toBe(4 * 784);
    expect(skip.skipped).toBe(1);
    expect(skip.skippedExamples).toEqual([{ position: 2, reason: expect.stringMatching(/2\.png: cannot decode/) }]);
    await collect(skip, 2);
    expect(notes.filter((n) => n.kind === 'skip')).toEqual([
      { kind: 'skip', message: expect.stringMatching(/skipped: .*broken\/2\/2\.png: cannot decode/), position: 2 },
    ]);
  });

  it('a model input that is not an image, or not float', async () => {
    await rejects(openDataset(pngDir, opts({ input: { dtype: 1, dims: ['n', 784] } })), /is not a fixed-size image/);
    await rejects(
      openDataset(pngDir, opts({ input: { dtype: 1, dims: ['n', 1, 'h', 'w'] } })),
      /\[1,h,w\] is not a fixed-size image/,
    );
    await rejects(
      openDataset(pngDir, opts({ input: { dtype: 7, dims: ['n', 1, 28, 28] } })),
      /images need a float input, and the model's takes int64/,
    );
  });
});
