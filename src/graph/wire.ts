// Protocol Buffers wire format: just what ONNX needs. Reading keeps absolute byte offsets so
// that writers can patch tensor bytes in place.

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

export class WireError extends Error {}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 70n) throw new WireError('varint too long');
    }
    return result;
  }

  /** Varint read as a JS number (int64 two's complement folded to negative numbers). */
  int(): number {
    let value = 0;
    let mult = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) break;
      mult *= 128;
      if (this.pos - start > 10) throw new WireError('varint too long');
    }
    if (this.pos - start === 10) {
      // negative int64: redo exactly with BigInt
      this.pos = start;
      return Number(BigInt.asIntN(64, this.varint()));
    }
    return value;
  }

  tag(): { field: number; wire: WireType } {
    const t = this.int();
    return { field: Math.floor(t / 8), wire: (t & 7) as WireType };
  }

  /** Returns [start, end) of a length-delimited payload and advances past it. */
  span(): [number, number] {
    const len = this.int();
    const start = this.pos;
    const end = start + len;
    if (len < 0 || end > this.end) throw new WireError('truncated length-delimited field');
    this.pos = end;
    return [start, end];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    return textDecoder.decode(this.bytes());
  }

  float32(): number {
    if (this.pos + 4 > this.end) throw new WireError('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: WireType): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.pos += 8;
        break;
      case WireType.Bytes:
        this.span();
        return;
      case WireType.Fixed32:
        this.pos += 4;
        break;
      default:
        throw new WireError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireError('truncated field');
  }

  /** Packed or unpacked repeated varints. */
  ints(wire: WireType, into: number[]): void {
    if (wire === WireType.Bytes) {
      const [s, e] = this.span();
      const sub = new Reader(this.buf, s, e);
      while (!sub.done()) into.push(sub.int());
    } else into.push(this.int());
  }

  floats(wire: WireType, into: number[]): void {
    if (wire === WireType.Bytes) {
      const [s, e] = this.span();
      const sub = new Reader(this.buf, s, e);
      while (!sub.done()) into.push(sub.float32());
    } else into.push(this.float32());
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** Append-only protobuf writer. Nested messages are written with `message()`. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1024);
  private len = 0;
  private total = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.cur.length) return;
    this.flush();
    if (n > this.cur.length) this.cur = new Uint8Array(Math.max(n, 1024));
  }

  private flush(): void {
    if (this.len > 0) {
      this.chunks.push(this.cur.slice(0, this.len));
      this.len = 0;
    }
  }

  get length(): number {
    return this.total;
  }

  rawVarint(v: number | bigint): void {
    let x = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
    this.ensure(10);
    if (typeof x === 'number') {
      while (x >= 128) {
        this.cur[this.len++] = (x % 128) | 0x80;
        this.total++;
        x = Math.floor(x / 128);
      }
      this.cur[this.len++] = x;
      this.total++;
      return;
    }
    while (x >= 128n) {
      this.cur[this.len++] = Number(x & 0x7fn) | 0x80;
      this.total++;
      x >>= 7n;
    }
    this.cur[this.len++] = Number(x);
    this.total++;
  }

  tag(field: number, wire: WireType): void {
    this.rawVarint(field * 8 + wire);
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, WireType.Varint);
    this.rawVarint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, WireType.Fixed32);
    this.ensure(4);
    new DataView(this.cur.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    this.total += 4;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WireType.Bytes);
    this.rawVarint(b.length);
    this.raw(b);
  }

  string(field: number, s: string): void {
    this.bytes(field, textEncoder.encode(s));
  }

  packedInts(field: number, vs: readonly (number | bigint)[]): void {
    if (vs.length === 0) return;
    const sub = new Writer();
    for (const v of vs) sub.rawVarint(v);
    this.bytes(field, sub.finish());
  }

  packedFloats(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytes(field, b);
  }

  message(field: number, write: (w: Writer) => void): void {
    const sub = new Writer();
    write(sub);
    this.tag(field, WireType.Bytes);
    this.rawVarint(sub.length);
    for (const c of sub.parts()) this.raw(c);
  }

  raw(b: Uint8Array): void {
    if (b.length > 4096) {
      this.flush();
      this.chunks.push(b);
      this.total += b.length;
      return;
    }
    this.ensure(b.length);
    this.cur.set(b, this.len);
    this.len += b.length;
    this.total += b.length;
  }

  parts(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  finish(): Uint8Array {
    const parts = this.parts();
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export function varintLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export function encodeVarint(v: number): Uint8Array {
  const w = new Writer();
  w.rawVarint(v);
  return w.finish();
}
