/**
 * TCP sequence number arithmetic modulo 2^32 (RFC 9293 §3.4 "Sequence Numbers": "all
 * arithmetic dealing with sequence numbers must be performed modulo 2**32"). Sequence
 * numbers are plain numbers in `0..2^32-1`. Comparisons are "serial number arithmetic"
 * (RFC 1982 §3.2): `a` is before `b` when `b - a` mod 2^32 lies in `1..2^31-1`, so they
 * are meaningful only for numbers less than 2^31 apart — always true inside a TCP window.
 */

/**
 * `a + n` modulo 2^32, as an unsigned sequence number.
 *
 * @param a A sequence number.
 * @param n A byte count to add; negative values step backwards.
 * @example
 * ```ts
 * import { seqAdd } from '@libos/net';
 * seqAdd(0xffff_fff0, 0x20); // 0x10, wrapped
 * ```
 */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/**
 * The signed distance `a - b` modulo 2^32, in `-2^31..2^31-1`: positive when `a` is
 * after `b`.
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqDiff } from '@libos/net';
 * seqDiff(0x10, 0xffff_fff0); // 32: 0x10 is 32 bytes after 0xfffffff0
 * seqDiff(0xffff_fff0, 0x10); // -32
 * ```
 */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Whether `a` comes strictly before `b` (RFC 9293 §3.4 "<").
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqLt } from '@libos/net';
 * seqLt(0xffff_ffff, 0); // true across the wrap
 * ```
 */
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/**
 * Whether `a` comes before or equals `b` (RFC 9293 §3.4 "=<").
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqLe } from '@libos/net';
 * seqLe(5, 5); // true
 * ```
 */
export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

/**
 * Whether `a` comes strictly after `b` (RFC 9293 §3.4 ">").
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqGt } from '@libos/net';
 * seqGt(0, 0xffff_ffff); // true across the wrap
 * ```
 */
export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/**
 * Whether `a` comes after or equals `b` (RFC 9293 §3.4 ">=").
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqGe } from '@libos/net';
 * seqGe(7, 7); // true
 * ```
 */
export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/**
 * The later of two sequence numbers (under {@link seqGt}).
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqMax } from '@libos/net';
 * seqMax(0xffff_fff0, 0x10); // 0x10
 * ```
 */
export function seqMax(a: number, b: number): number {
  return seqDiff(a, b) >= 0 ? a : b;
}

/**
 * The earlier of two sequence numbers (under {@link seqLt}).
 *
 * @param a A sequence number.
 * @param b A sequence number.
 * @example
 * ```ts
 * import { seqMin } from '@libos/net';
 * seqMin(0xffff_fff0, 0x10); // 0xfffffff0
 * ```
 */
export function seqMin(a: number, b: number): number {
  return seqDiff(a, b) <= 0 ? a : b;
}

/**
 * Whether `seq` lies in the window `start <= seq < start + length` modulo 2^32
 * (RFC 9293 §3.4, the acceptability tests). An empty window (`length` 0) holds nothing.
 * `length` is a byte count in `0..2^32-1`.
 *
 * @param seq The sequence number to test.
 * @param start The first sequence number of the window.
 * @param length The window size in bytes.
 * @example
 * ```ts
 * import { seqInWindow } from '@libos/net';
 * seqInWindow(0x05, 0xffff_fff0, 0x20); // true: the window wraps past 0
 * seqInWindow(0x10, 0xffff_fff0, 0x20); // false: one past the end
 * ```
 */
export function seqInWindow(seq: number, start: number, length: number): boolean {
  return (seq - start) >>> 0 < length;
}
