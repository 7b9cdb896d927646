// Reading a file as a byte stream in exact-size pieces, gunzipping on the fly, so that only a
// window of it is ever in memory. The window is 1 MiB of file and of decompressed bytes: zlib then
// decompresses in long steps on the thread pool while a batch runs, where its 16 KiB default kept the
// pass waiting on it (measured: Fashion-MNIST's 5,479 class-0 images read in 0.16 s instead of 0.34 s,
// an SSD request on cnn 0.93 s instead of 1.16 s).
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BadInputError } from '../core/errors.js';

export function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export class ByteReader {
  private readonly file: Readable;
  private readonly stream: Readable;
  private readonly it: AsyncIterator<Buffer>;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private available = 0;
  private ended = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(readonly path: string) {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    this.file = file;
    this.stream = isGzip(path) ? file.pipe(createGunzip({ chunkSize: 1 << 20 })) : file;
    if (this.stream !== file) file.on('error', (e) => this.stream.destroy(e));
    this.it = this.stream[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.available < n && !this.ended) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.it.next();
      } catch (e) {
        throw new BadInputError(
          `${this.path}: cannot read the file (${(e as Error).message}). Check that it is complete and not corrupted.`,
        );
      }
      if (r.done) this.ended = true;
      else if (r.value.length) {
        this.chunks.push(new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length));
        this.available += r.value.length;
      }
    }
  }

  /** The next n bytes (possibly a view into the stream's buffers), or null where the file ends first. */
  async read(n: number): Promise<Uint8Array | null> {
    if (this.available < n) await this.fill(n);
    if (this.available < n) return null;
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.advance(n);
    } else {
      out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const c = this.chunks[0];
        const take = Math.min(n - got, c.length - this.head);
        out.set(c.subarray(this.head, this.head + take), got);
        got += take;
        this.advance(take);
      }
    }
    return out;
  }

  /** Skips n bytes; false where the file ends first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.available === 0) await this.fill(1);
      if (this.available === 0) return false;
      const take = Math.min(n, this.chunks[0].length - this.head);
      this.advance(take);
      n -= take;
    }
    return true;
  }

  private advance(n: number): void {
    this.head += n;
    this.available -= n;
    this.position += n;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  close(): void {
    this.stream.destroy();
    this.file.destroy();
  }
}
