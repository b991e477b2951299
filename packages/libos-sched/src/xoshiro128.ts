/**
 * xoshiro128** 1.1, the 32-bit all-purpose generator of D. Blackman and S. Vigna,
 * "Scrambled Linear Pseudorandom Number Generators", ACM TOMS 47(4), 2021
 * (reference C code: https://prng.di.unimi.it/xoshiro128starstar.c), seeded through
 * SplitMix64 as the authors recommend.
 *
 * @module
 */

import { SchedError } from './errors.js';

const MASK64 = (1n << 64n) - 1n;

/**
 * SplitMix64 (G. Steele, D. Lea, C. Flood, "Fast Splittable Pseudorandom Number
 * Generators", OOPSLA 2014; constants from Vigna's `splitmix64.c`): expands a 64-bit seed
 * into `count` 32-bit words, two per 64-bit output (low word first). Used only at
 * seeding time, so it may use `bigint`.
 *
 * @example
 * ```ts
 * const [a, b, c, d] = splitMix64Words(42n, 4);
 * ```
 */
export function splitMix64Words(seed: bigint, count: number): number[] {
  let state = BigInt.asUintN(64, seed);
  const out: number[] = [];
  while (out.length < count) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    z ^= z >> 31n;
    out.push(Number(z & 0xffffffffn), Number(z >> 32n));
  }
  out.length = count;
  return out;
}

/**
 * A seed accepted by the seeded generators: a safe integer (may be negative) or a
 * `bigint` (its low 64 bits are used).
 *
 * @example
 * ```ts
 * const s: Seed = 42;
 * const t: Seed = 0xdead_beef_cafe_f00dn;
 * ```
 */
export type Seed = number | bigint;

/** Converts a {@link Seed} to a 64-bit `bigint`, rejecting non-integers. */
export function seedToBigInt(seed: Seed): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (!Number.isSafeInteger(seed)) {
    throw new SchedError(
      'INVALID_ARGUMENT',
      `seed must be a safe integer or a bigint, got ${seed}`,
    );
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/**
 * The xoshiro128** generator: 128 bits of state, period 2^128 − 1, 32-bit outputs.
 * Not cryptographically secure: for simulation, tie-breaking and reproducible tests.
 *
 * @example
 * ```ts
 * const rng = Xoshiro128StarStar.fromSeed(42);
 * const word = rng.nextU32();   // 0 ≤ word < 2^32
 * const die = rng.below(6) + 1; // unbiased 1..6
 * ```
 */
export class Xoshiro128StarStar {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * Creates a generator from an explicit state (four 32-bit words, not all zero).
   * Prefer {@link Xoshiro128StarStar.fromSeed}.
   */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.#s0 = s0 >>> 0;
    this.#s1 = s1 >>> 0;
    this.#s2 = s2 >>> 0;
    this.#s3 = s3 >>> 0;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) {
      throw new SchedError('INVALID_ARGUMENT', 'xoshiro128** state must not be all zero');
    }
  }

  /**
   * A generator whose state is expanded from `seed` by SplitMix64. `stream` selects an
   * independent state for the same seed (e.g. one for scheduling, one for entropy).
   */
  static fromSeed(seed: Seed, stream = 0): Xoshiro128StarStar {
    const words = splitMix64Words(seedToBigInt(seed), 4 * (stream + 1)).slice(4 * stream);
    const [a = 0, b = 0, c = 0, d = 0] = words;
    if ((a | b | c | d) === 0) return new Xoshiro128StarStar(1, 0, 0, 0);
    return new Xoshiro128StarStar(a, b, c, d);
  }

  /** The current state as four unsigned 32-bit words (for snapshots and tests). */
  state(): [number, number, number, number] {
    return [this.#s0, this.#s1, this.#s2, this.#s3];
  }

  /** The next 32-bit output, as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    let s2 = this.#s2;
    let s3 = this.#s3;
    // result = rotl(s[1] * 5, 7) * 9
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.#s1 = (s1 ^ s2) >>> 0;
    this.#s0 = (s0 ^ s3) >>> 0;
    s2 ^= t;
    this.#s2 = s2 >>> 0;
    this.#s3 = ((s3 << 11) | (s3 >>> 21)) >>> 0; // rotl(s[3], 11)
    return result;
  }

  /** A uniform integer in [0, `n`) without modulo bias; `n` must be in [1, 2^32]. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new SchedError('INVALID_ARGUMENT', `below(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
    }
    if (n === 1) return 0;
    // Rejection sampling: accept only the largest multiple of n below 2^32.
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Fills `bytes` with output words, little-endian. */
  fill(bytes: Uint8Array): void {
    const n = bytes.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const w = this.nextU32();
      bytes[i] = w & 0xff;
      bytes[i + 1] = (w >>> 8) & 0xff;
      bytes[i + 2] = (w >>> 16) & 0xff;
      bytes[i + 3] = w >>> 24;
    }
    if (i < n) {
      let w = this.nextU32();
      for (; i < n; i++, w >>>= 8) bytes[i] = w & 0xff;
    }
  }
}
