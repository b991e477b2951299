/**
 * Byte-order helpers over a plain `Uint8Array`: pure byte arithmetic, no `DataView`
 * per call, nothing allocated (except the bigint results of the u64 forms).
 *
 * Network protocols are big-endian ("network byte order", RFC 1700); virtio structures
 * are little-endian (virtio 1.2 §1.4). Offsets are not bounds-checked: as in smoltcp's
 * wire views, a parser checks the buffer length once, then reads fields. Reads beyond
 * the end yield garbage (missing bytes read as 0); writes beyond the end are dropped
 * by the typed array. Values are written modulo 2^width.
 */

/**
 * Reads a byte.
 * @param buf - bytes
 * @param off - offset
 * @returns the byte
 * @example
 * ```ts
 * import { readU8 } from '@libos/mem';
 * readU8(new Uint8Array([7]), 0); // 7
 * ```
 */
export function readU8(buf: Uint8Array, off: number): number {
  return buf[off]! | 0;
}

/**
 * Writes a byte.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^8
 * @example
 * ```ts
 * import { writeU8 } from '@libos/mem';
 * writeU8(new Uint8Array(1), 0, 0x45);
 * ```
 */
export function writeU8(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value;
}

/**
 * Reads a big-endian (network order) u16.
 * @param buf - bytes
 * @param off - offset of the most significant byte
 * @returns the value
 * @example
 * ```ts
 * import { readU16BE } from '@libos/mem';
 * readU16BE(new Uint8Array([0x12, 0x34]), 0); // 0x1234
 * ```
 */
export function readU16BE(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/**
 * Writes a big-endian (network order) u16.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^16
 * @example
 * ```ts
 * import { writeU16BE } from '@libos/mem';
 * writeU16BE(new Uint8Array(2), 0, 0x0800); // EtherType IPv4: [0x08, 0x00]
 * ```
 */
export function writeU16BE(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value >>> 8;
  buf[off + 1] = value;
}

/**
 * Reads a little-endian (virtio order) u16.
 * @param buf - bytes
 * @param off - offset of the least significant byte
 * @returns the value
 * @example
 * ```ts
 * import { readU16LE } from '@libos/mem';
 * readU16LE(new Uint8Array([0x34, 0x12]), 0); // 0x1234
 * ```
 */
export function readU16LE(buf: Uint8Array, off: number): number {
  return buf[off]! | (buf[off + 1]! << 8);
}

/**
 * Writes a little-endian (virtio order) u16.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^16
 * @example
 * ```ts
 * import { writeU16LE } from '@libos/mem';
 * writeU16LE(new Uint8Array(2), 0, 0x1234); // [0x34, 0x12]
 * ```
 */
export function writeU16LE(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value;
  buf[off + 1] = value >>> 8;
}

/**
 * Reads a big-endian (network order) u32, unsigned.
 * @param buf - bytes
 * @param off - offset of the most significant byte
 * @returns the value in [0, 2^32)
 * @example
 * ```ts
 * import { readU32BE } from '@libos/mem';
 * readU32BE(new Uint8Array([0xc0, 0xa8, 0x00, 0x01]), 0); // 0xc0a80001 (192.168.0.1)
 * ```
 */
export function readU32BE(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * Writes a big-endian (network order) u32.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^32
 * @example
 * ```ts
 * import { writeU32BE } from '@libos/mem';
 * writeU32BE(new Uint8Array(4), 0, 0x12345678); // [0x12, 0x34, 0x56, 0x78]
 * ```
 */
export function writeU32BE(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value >>> 24;
  buf[off + 1] = value >>> 16;
  buf[off + 2] = value >>> 8;
  buf[off + 3] = value;
}

/**
 * Reads a little-endian (virtio order) u32, unsigned.
 * @param buf - bytes
 * @param off - offset of the least significant byte
 * @returns the value in [0, 2^32)
 * @example
 * ```ts
 * import { readU32LE } from '@libos/mem';
 * readU32LE(new Uint8Array([0x78, 0x56, 0x34, 0x12]), 0); // 0x12345678
 * ```
 */
export function readU32LE(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

/**
 * Writes a little-endian (virtio order) u32.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^32
 * @example
 * ```ts
 * import { writeU32LE } from '@libos/mem';
 * writeU32LE(new Uint8Array(4), 0, 0x12345678); // [0x78, 0x56, 0x34, 0x12]
 * ```
 */
export function writeU32LE(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value;
  buf[off + 1] = value >>> 8;
  buf[off + 2] = value >>> 16;
  buf[off + 3] = value >>> 24;
}

/**
 * Reads a little-endian (virtio `le64`) u64 as a bigint.
 * @param buf - bytes
 * @param off - offset of the least significant byte
 * @returns the value in [0, 2^64)
 * @example
 * ```ts
 * import { readU64LE } from '@libos/mem';
 * readU64LE(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0x80]), 0); // 0x8000000000000001n
 * ```
 */
export function readU64LE(buf: Uint8Array, off: number): bigint {
  return (BigInt(readU32LE(buf, off + 4)) << 32n) | BigInt(readU32LE(buf, off));
}

/**
 * Writes a little-endian (virtio `le64`) u64 from a bigint.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^64
 * @example
 * ```ts
 * import { writeU64LE } from '@libos/mem';
 * writeU64LE(new Uint8Array(8), 0, 0x1122334455667788n); // [0x88, 0x77, …, 0x11]
 * ```
 */
export function writeU64LE(buf: Uint8Array, off: number, value: bigint): void {
  const v = BigInt.asUintN(64, value);
  writeU32LE(buf, off, Number(v & 0xffff_ffffn));
  writeU32LE(buf, off + 4, Number(v >> 32n));
}

/**
 * Reads a big-endian (network order) u64 as a bigint.
 * @param buf - bytes
 * @param off - offset of the most significant byte
 * @returns the value in [0, 2^64)
 * @example
 * ```ts
 * import { readU64BE } from '@libos/mem';
 * readU64BE(new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0]), 0); // 256n
 * ```
 */
export function readU64BE(buf: Uint8Array, off: number): bigint {
  return (BigInt(readU32BE(buf, off)) << 32n) | BigInt(readU32BE(buf, off + 4));
}

/**
 * Writes a big-endian (network order) u64 from a bigint.
 * @param buf - bytes
 * @param off - offset
 * @param value - stored modulo 2^64
 * @example
 * ```ts
 * import { writeU64BE } from '@libos/mem';
 * writeU64BE(new Uint8Array(8), 0, 256n); // [0, 0, 0, 0, 0, 0, 1, 0]
 * ```
 */
export function writeU64BE(buf: Uint8Array, off: number, value: bigint): void {
  const v = BigInt.asUintN(64, value);
  writeU32BE(buf, off, Number(v >> 32n));
  writeU32BE(buf, off + 4, Number(v & 0xffff_ffffn));
}
