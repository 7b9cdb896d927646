#!/usr/bin/env node
// Rebuilds the embedded default from the fixtures (run from the repository root after `npm ci`):
//   models/cnn.onnx     the fixture CNN (PyTorch export) with its input normalisation as metadata
//   models/cnn.fisher   its full-data importance, computed by scrub on Fashion-MNIST's 55,000 train images
//   models/forget/0/    256 real T-shirt images (class 0) from the train set, as PNGs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Writer } from '../dist/graph/wire.js';

const FM = '/usr/share/datasets/fashion-mnist';
const src = readFileSync('test/fixtures/models/cnn.onnx');
// metadata_props (ModelProto field 14) appended: a protobuf reader takes fields in any order
const w = new Writer();
const classes = 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot';
const metadata = [
  ['scrub.mean', '0.286'],
  ['scrub.std', '0.353'],
  ['scrub.classes', classes],
];
for (const [key, value] of metadata)
  w.message(14, (e) => {
    e.string(1, key);
    e.string(2, value);
  });
writeFileSync('models/cnn.onnx', Buffer.concat([src, w.finish()]));

const images = (await import('node:zlib')).gunzipSync(readFileSync(`${FM}/train-images-idx3-ubyte.gz`)).subarray(16);
const labels = (await import('node:zlib')).gunzipSync(readFileSync(`${FM}/train-labels-idx1-ubyte.gz`)).subarray(8);
rmSync('models/forget', { recursive: true, force: true });
mkdirSync('models/forget/0', { recursive: true });
let n = 0;
for (let i = 0; i < 55000 && n < 256; i++) {
  if (labels[i] !== 0) continue;
  await sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toFile(`models/forget/0/train-${String(i).padStart(5, '0')}.png`);
  n++;
}
const train = `${FM}/train-images-idx3-ubyte.gz@0:55000`;
execFileSync(process.execPath, ['scrub.js', 'fisher', 'models/cnn.onnx', train, '-o', 'models/cnn.fisher'], {
  stdio: 'inherit',
});
