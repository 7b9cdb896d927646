// scrub's one source of seeded randomness: xoshiro128** (Blackman & Vigna) with its 128-bit state
// filled by splitmix32 (MurmurHash3's finaliser as the mix) from the seed. Every seeded draw (∇τ's batch
// order, the attacks' splits and subsamples) comes from here, so a seed means the same stream everywhere.
// It is not numpy's or PyTorch's stream: the same seed gives the same draws here every time, not the
// references' draws.

/** A seeded generator; `seed` is any safe integer (the command line takes 0 … 2³² − 1). */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    // splitmix32 over the seed's low 32 bits, with the high bits (seeds ≥ 2³², negative ones) mixed in
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let z = ((seed >>> 0) ^ Math.imul(hi, 0x85ebca6b)) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      words.push((t ^ (t >>> 16)) >>> 0);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Uniform integer in [0, 2³²). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [0, n), 1 ≤ n ≤ 2³², without modulo bias (rejection sampling). */
  nextBelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32)
      throw new RangeError(`nextBelow needs an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    return ((this.nextUint32() >>> 5) * 2 ** 26 + (this.nextUint32() >>> 6)) / 2 ** 53;
  }

  /**
   * A uniformly random permutation of 0 … n−1 (Fisher–Yates, from the top), each draw mapped to
   * 0 … i by multiply-shift (floor(u·(i+1) / 2³²), one draw each, bias below n / 2³²: negligible for
   * data-set sizes). ∇τ's and finetune's batch order; their runs have always drawn it this way.
   */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor((this.nextUint32() * (i + 1)) / 4294967296);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Shuffles `a` in place (Fisher–Yates, from the top, with nextBelow's exact draws). */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextBelow(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
