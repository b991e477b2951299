/**
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
 * 64-bit PRF over short messages, the hash RFC 6528 §3 suggests for `F` and the one
 * behind the {@link IsnGenerator} and {@link SynCookies}.
 *
 * Each 64-bit lane `v0..v3` is held as two signed 32-bit halves (`h` high, `l` low) so
 * the whole computation stays in V8's integer fast paths: no BigInt, no allocation
 * except the returned tag. 64-bit addition carries from the low half by comparing the
 * exact (double) sum of the unsigned halves against 2^32; rotations by `n < 32` shift
 * bits across the halves and rotation by 32 swaps them.
 *
 * ```text
 *  message  m0 m1 ... (8-byte little-endian words)   last word: remaining bytes, len mod 256 in byte 7
 *  init     v0 = k0 ^ "somepseu"  v1 = k1 ^ "dorandom"  v2 = k0 ^ "lygenera"  v3 = k1 ^ "tedbytes"
 *  per word v3 ^= m; 2 × SipRound; v0 ^= m
 *  final    v2 ^= 0xff; 4 × SipRound; tag = v0 ^ v1 ^ v2 ^ v3
 * ```
 */
import { TcpError } from './tcp-stream.js';

/** Bytes in a SipHash key (paper §2: a 128-bit key `k0 ‖ k1`). */
const KEY_BYTES = 16;

/**
 * The 64-bit output of SipHash as two unsigned 32-bit halves: the tag is
 * `hi · 2^32 + lo`, the integer whose little-endian bytes the reference code outputs.
 *
 * @example
 * ```ts
 * import { siphash24, type SipHashTag } from '@libos/net';
 * const tag: SipHashTag = siphash24(new Uint8Array(16), new Uint8Array(0));
 * const asBigInt = (BigInt(tag.hi) << 32n) | BigInt(tag.lo);
 * ```
 */
export interface SipHashTag {
  /** The high 32 bits of the tag, `0..0xffffffff`. */
  readonly hi: number;
  /** The low 32 bits of the tag, `0..0xffffffff`. */
  readonly lo: number;
}

/** Reads 4 bytes at `i` as a little-endian (signed) 32-bit integer. */
function readLe32(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/**
 * SipHash-2-4 under one fixed key, parsed once: the form to keep when hashing many
 * messages under the same secret (ISNs, SYN cookies). {@link SipHash24.hashLow} and
 * {@link SipHash24.hashInto} allocate nothing.
 *
 * @example
 * ```ts
 * import { SipHash24 } from '@libos/net';
 * const key = Uint8Array.from({ length: 16 }, (_, i) => i);
 * const sip = new SipHash24(key);
 * sip.hash(new Uint8Array(0)); // { hi: 0x726fdb47, lo: 0xdd0e0e31 } (paper, vector 0)
 * ```
 */
export class SipHash24 {
  /** `k0` (key bytes 0..7 little-endian), low and high halves. */
  readonly #k0l: number;
  readonly #k0h: number;
  /** `k1` (key bytes 8..15 little-endian), low and high halves. */
  readonly #k1l: number;
  readonly #k1h: number;
  /** High half of the last tag computed by {@link SipHash24.hashLow}. */
  #lastHi = 0;

  /**
   * @param key The 128-bit secret, exactly 16 bytes (copied: later changes to `key`
   *   have no effect). Throws a {@link TcpError} `EINVAL` for any other length.
   */
  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new TcpError('EINVAL', `a SipHash key is ${KEY_BYTES} bytes, got ${key.length}`);
    }
    this.#k0l = readLe32(key, 0);
    this.#k0h = readLe32(key, 4);
    this.#k1l = readLe32(key, 8);
    this.#k1h = readLe32(key, 12);
  }

  /**
   * The SipHash-2-4 tag of `data`.
   *
   * @param data The message, any length and any `byteOffset`.
   * @returns The 64-bit tag as two unsigned halves (a fresh object).
   */
  hash(data: Uint8Array): SipHashTag {
    const lo = this.hashLow(data);
    return { hi: this.#lastHi, lo };
  }

  /**
   * Like {@link SipHash24.hash} but writes the tag into `out` instead of allocating.
   *
   * @param data The message.
   * @param out Receives `hi` and `lo`.
   */
  hashInto(data: Uint8Array, out: { hi: number; lo: number }): void {
    out.lo = this.hashLow(data);
    out.hi = this.#lastHi;
  }

  /**
   * The low 32 bits of the SipHash-2-4 tag of `data` (a PRF output in its own right;
   * RFC 6528 §3 needs only 32 bits). Allocates nothing.
   *
   * @param data The message.
   * @returns The low half of the tag, `0..0xffffffff`.
   */
  hashLow(data: Uint8Array): number {
    const length = data.length;
    // Paper §2 "Initialization": the constants spell "somepseudorandomlygeneratedbytes".
    let v0h = this.#k0h ^ 0x736f6d65;
    let v0l = this.#k0l ^ 0x70736575;
    let v1h = this.#k1h ^ 0x646f7261;
    let v1l = this.#k1l ^ 0x6e646f6d;
    let v2h = this.#k0h ^ 0x6c796765;
    let v2l = this.#k0l ^ 0x6e657261;
    let v3h = this.#k1h ^ 0x74656462;
    let v3l = this.#k1l ^ 0x79746573;
    let s = 0; // exact sum of two unsigned low halves, < 2^33
    let t = 0; // the half saved across a rotation

    // Paper §2 "Compression": ⌊len/8⌋ full words, then the last word; one more pass
    // with m = 0, v2 ^= 0xff and 4 rounds is "Finalization".
    const words = (length >>> 3) + 1;
    for (let w = 0; w <= words; w++) {
      let mh = 0;
      let ml = 0;
      let rounds = 2; // c = 2
      if (w < words - 1) {
        const i = w << 3;
        ml = readLe32(data, i);
        mh = readLe32(data, i + 4);
      } else if (w === words - 1) {
        // The last word: the 0..7 remaining bytes, and len mod 256 in the top byte.
        const i = w << 3;
        mh = (length & 0xff) << 24;
        for (let j = length - i - 1; j >= 0; j--) {
          if (j >= 4) mh |= data[i + j]! << ((j - 4) << 3);
          else ml |= data[i + j]! << (j << 3);
        }
      } else {
        v2l ^= 0xff;
        rounds = 4; // d = 4
      }
      v3h ^= mh;
      v3l ^= ml;
      for (let r = 0; r < rounds; r++) {
        // SipRound (paper §2, Figure 2.1).
        // v0 += v1
        s = (v0l >>> 0) + (v1l >>> 0);
        v0h = (v0h + v1h + (s > 0xffffffff ? 1 : 0)) | 0;
        v0l = s | 0;
        // v1 = v1 <<< 13; v1 ^= v0
        t = v1h;
        v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
        v1l = ((v1l << 13) | (t >>> 19)) ^ v0l;
        // v0 = v0 <<< 32
        t = v0h;
        v0h = v0l;
        v0l = t;
        // v2 += v3
        s = (v2l >>> 0) + (v3l >>> 0);
        v2h = (v2h + v3h + (s > 0xffffffff ? 1 : 0)) | 0;
        v2l = s | 0;
        // v3 = v3 <<< 16; v3 ^= v2
        t = v3h;
        v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
        v3l = ((v3l << 16) | (t >>> 16)) ^ v2l;
        // v0 += v3
        s = (v0l >>> 0) + (v3l >>> 0);
        v0h = (v0h + v3h + (s > 0xffffffff ? 1 : 0)) | 0;
        v0l = s | 0;
        // v3 = v3 <<< 21; v3 ^= v0
        t = v3h;
        v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
        v3l = ((v3l << 21) | (t >>> 11)) ^ v0l;
        // v2 += v1
        s = (v2l >>> 0) + (v1l >>> 0);
        v2h = (v2h + v1h + (s > 0xffffffff ? 1 : 0)) | 0;
        v2l = s | 0;
        // v1 = v1 <<< 17; v1 ^= v2
        t = v1h;
        v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
        v1l = ((v1l << 17) | (t >>> 15)) ^ v2l;
        // v2 = v2 <<< 32
        t = v2h;
        v2h = v2l;
        v2l = t;
      }
      v0h ^= mh;
      v0l ^= ml;
    }
    this.#lastHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
    return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  }
}

/**
 * SipHash-2-4 of `data` under the 16-byte `key`: the one-shot form of
 * {@link SipHash24}. Throws a {@link TcpError} `EINVAL` unless `key` is 16 bytes.
 *
 * @param key The 128-bit key `k0 ‖ k1` (bytes 0..7 and 8..15, each little-endian).
 * @param data The message.
 * @returns The 64-bit tag as unsigned 32-bit halves.
 * @example
 * ```ts
 * import { siphash24 } from '@libos/net';
 * // Paper, Appendix A: key 00 01 .. 0f, message 00 01 .. 0e → a129ca6149be45e5.
 * const key = Uint8Array.from({ length: 16 }, (_, i) => i);
 * siphash24(key, Uint8Array.from({ length: 15 }, (_, i) => i)); // { hi: 0xa129ca61, lo: 0x49be45e5 }
 * ```
 */
export function siphash24(key: Uint8Array, data: Uint8Array): SipHashTag {
  return new SipHash24(key).hash(data);
}
