/**
 * Big-endian (network byte order) field access shared by the DHCP and DNS codecs.
 * Internal: not part of the public API. IPv4 addresses are uint32 numbers
 * (`a.b.c.d` → `(a << 24 | b << 16 | c << 8 | d) >>> 0`).
 */

/** Reads the big-endian 16-bit field at `offset`. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 8) | bytes[offset + 1]!) >>> 0;
}

/** Writes `value` as a big-endian 16-bit field at `offset`. */
export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value;
}

/** Reads the big-endian 32-bit field at `offset` as an unsigned number. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

/** Writes `value` (taken mod 2^32) as a big-endian 32-bit field at `offset`. */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}
