/**
 * Little-endian integer access for on-disk tables. 64-bit fields are returned as numbers
 * when they fit in 2^53 and as `NaN` when they do not, so callers reject them as bad extents
 * instead of computing with rounded values.
 */

/** Reads an unsigned 16-bit little-endian integer. */
export function u16le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

/** Reads an unsigned 32-bit little-endian integer. */
export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Reads an unsigned 64-bit little-endian integer; `NaN` when it exceeds 2^53 − 1. */
export function u64le(b: Uint8Array, at: number): number {
  const hi = u32le(b, at + 4);
  if (hi >= 0x200000) return Number.NaN;
  return hi * 0x100000000 + u32le(b, at);
}

/** Writes an unsigned 32-bit little-endian integer. */
export function setU32le(b: Uint8Array, at: number, value: number): void {
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = (value >>> 24) & 0xff;
}

/** Writes an unsigned 64-bit little-endian integer from a safe integer. */
export function setU64le(b: Uint8Array, at: number, value: number): void {
  setU32le(b, at, value % 0x100000000);
  setU32le(b, at + 4, Math.floor(value / 0x100000000));
}
