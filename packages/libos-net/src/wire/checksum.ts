/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement
 * sum of the data taken as big-endian 16-bit words.
 *
 * The words are summed as two byte lanes — the high bytes (even offsets) and the low
 * bytes (odd offsets) — in plain integers, and the carries are folded back in only once
 * per 1 MiB chunk and at the end (RFC 1071 §2 (B) "deferred carries"). Summing the word
 * `(h << 8) | l` equals adding `h << 8` and `l` separately, so the result is the word
 * sum; the lanes just skip the shift and the or per word, which measures about 1.5× faster
 * in V8 than building each word. Each lane stays below 2^30 within a chunk, so V8 keeps
 * it a small integer.
 */
import type { Ipv4Address } from './ipv4-address.js';

/**
 * Bytes summed between two carry folds: each lane then holds at most 2^19 bytes of 255,
 * below 2^28, well inside V8's small-integer range.
 */
const CHUNK_BYTES = 1 << 20;

/**
 * The ones' complement sum of `bytes` taken as big-endian 16-bit words, folded to 16
 * bits (`0..0xffff`) and **not** complemented, added onto `initial` (a previous folded
 * sum, e.g. a pseudo-header sum from {@link ipv4PseudoHeaderSum}). An odd trailing byte
 * is padded with a zero byte on its right (RFC 1071 §4.1).
 *
 * Any `byteOffset` and length work: bytes are read one by one, never through a wider
 * typed-array view. Chaining calls (passing one result as the next `initial`) is exact
 * only when every chunk but the last has an even length; an odd chunk in the middle
 * would shift the byte lanes of everything after it.
 *
 * @param bytes The data to sum.
 * @param initial A folded sum to continue from; 0 to start afresh.
 * @returns The folded, un-complemented sum, `0..0xffff`.
 * @example
 * ```ts
 * import { onesComplementSum } from '@libos/net';
 * // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2.
 * onesComplementSum(new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])); // 0xddf2
 * ```
 */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  const length = bytes.length;
  const evenLength = length & ~1;
  let sum = (initial & 0xffff) + (initial >>> 16);
  let i = 0;
  while (i < evenLength) {
    const chunkEnd = Math.min(evenLength, i + CHUNK_BYTES);
    const unrolledEnd = i + ((chunkEnd - i) & ~7);
    let high = 0; // sum of the high (first) bytes of the words
    let low = 0; // sum of the low (second) bytes of the words
    for (; i < unrolledEnd; i += 8) {
      high += bytes[i]! + bytes[i + 2]! + bytes[i + 4]! + bytes[i + 6]!;
      low += bytes[i + 1]! + bytes[i + 3]! + bytes[i + 5]! + bytes[i + 7]!;
    }
    for (; i < chunkEnd; i += 2) {
      high += bytes[i]!;
      low += bytes[i + 1]!;
    }
    // high × 256 = (high >>> 8) × 2^16 + (high & 0xff) × 2^8, and 2^16 ≡ 1 in ones'
    // complement arithmetic (RFC 1071 §2 (C): end-around carry).
    sum += (high >>> 8) + ((high & 0xff) << 8) + low;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (length & 1) sum += bytes[length - 1]! << 8; // RFC 1071 §4.1: "add left-over byte"
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/**
 * Turns a folded sum into the checksum field value: its 16-bit ones' complement.
 *
 * @param sum A folded sum from {@link onesComplementSum}.
 * @example
 * ```ts
 * import { finishChecksum } from '@libos/net';
 * finishChecksum(0xddf2); // 0x220d (RFC 1071 §3)
 * ```
 */
export function finishChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/**
 * The Internet checksum of `bytes` (RFC 1071): the value to store in a checksum field
 * that was zero while summing. Summing data that already contains a correct checksum
 * gives 0 here (its un-complemented sum is 0xffff).
 *
 * @param bytes The data to checksum.
 * @example
 * ```ts
 * import { internetChecksum } from '@libos/net';
 * internetChecksum(new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])); // 0x220d
 * ```
 */
export function internetChecksum(bytes: Uint8Array): number {
  return finishChecksum(onesComplementSum(bytes));
}

/**
 * The folded, un-complemented sum of the IPv4 pseudo header that UDP (RFC 768) and TCP
 * (RFC 9293 §3.1) checksums cover: source address, destination address, a zero byte,
 * the protocol number and the upper-layer length. Pass it as `initial` to
 * {@link onesComplementSum} over the upper-layer header and data.
 *
 * @param source Source address.
 * @param destination Destination address.
 * @param protocol IP protocol number (17 for UDP, 6 for TCP).
 * @param length Upper-layer header plus data length in bytes.
 * @example
 * ```ts
 * import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum, parseIpv4Address } from '@libos/net';
 * const segment = new Uint8Array(8); // a UDP header with its checksum field zero
 * const pseudo = ipv4PseudoHeaderSum(parseIpv4Address('10.0.0.1'), parseIpv4Address('10.0.0.2'), 17, 8);
 * const checksum = finishChecksum(onesComplementSum(segment, pseudo));
 * ```
 */
export function ipv4PseudoHeaderSum(
  source: Ipv4Address,
  destination: Ipv4Address,
  protocol: number,
  length: number,
): number {
  let sum =
    (source >>> 16) +
    (source & 0xffff) +
    (destination >>> 16) +
    (destination & 0xffff) +
    (protocol & 0xff) +
    (length & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}
