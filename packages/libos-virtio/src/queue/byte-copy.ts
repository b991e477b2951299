/**
 * Internal: small-copy helper for the device data path. Copies between two whole-buffer
 * views (byte offsets are buffer offsets) with 32-bit words when both ends are 4-aligned,
 * a byte loop otherwise, and the native `set` for large copies — no allocation below
 * {@link LARGE_COPY} bytes.
 */

/** From this size on, `Uint8Array.prototype.set` (a memcpy) beats a word loop. */
const LARGE_COPY = 512;

/** A buffer seen as bytes and as 32-bit words, both from offset 0. */
export interface WordView {
  readonly buffer: ArrayBufferLike;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
}

/** Both views over the whole of `buffer`. */
export function wordView(buffer: ArrayBufferLike): WordView {
  return {
    buffer,
    u8: new Uint8Array(buffer),
    u32: new Uint32Array(buffer, 0, Math.floor(buffer.byteLength / 4)),
  };
}

/** Copies `n` bytes from `src` at byte `s` to `dst` at byte `d` (ranges already checked). */
export function copyBytes(src: WordView, s: number, dst: WordView, d: number, n: number): void {
  if (n >= LARGE_COPY) {
    dst.u8.set(src.u8.subarray(s, s + n), d);
    return;
  }
  let i = 0;
  if (((s | d) & 3) === 0) {
    const s32 = src.u32;
    const d32 = dst.u32;
    const sw = s >> 2;
    const dw = d >> 2;
    const words = n >> 2;
    for (let k = 0; k < words; k++) d32[dw + k] = s32[sw + k]!;
    i = words << 2;
  }
  const s8 = src.u8;
  const d8 = dst.u8;
  for (; i < n; i++) d8[d + i] = s8[s + i]!;
}
