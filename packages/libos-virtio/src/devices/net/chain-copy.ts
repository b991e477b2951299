import type { DescriptorChain } from '../../queue/descriptor-chain.js';

/** From this size on, `Uint8Array.prototype.set` (a memcpy) beats a byte loop. */
const LARGE_COPY = 256;

/**
 * Copies `dst.length` bytes of a chain's device-readable part, starting `offset` bytes
 * into it, into `dst` (any buffer). Unlike `DescriptorChain.readReadable` it builds no
 * per-buffer word view, so copying into many different backend buffers allocates
 * nothing below {@link LARGE_COPY} bytes per segment. The caller has checked that
 * `offset + dst.length ≤ chain.readableLength`.
 *
 * @internal
 */
export function copyFromChain(
  guest: Uint8Array,
  chain: DescriptorChain,
  offset: number,
  dst: Uint8Array,
): void {
  let skip = offset;
  let pos = 0;
  const want = dst.length;
  const count = chain.readableCount;
  for (let i = 0; i < count && pos < want; i++) {
    const len = chain.segmentLength(i);
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const from = chain.segmentAddress(i) + skip;
    const n = Math.min(len - skip, want - pos);
    if (n >= LARGE_COPY) {
      dst.set(guest.subarray(from, from + n), pos);
    } else {
      for (let k = 0; k < n; k++) dst[pos + k] = guest[from + k]!;
    }
    skip = 0;
    pos += n;
  }
}

/**
 * Copies `src[start, end)` into a chain's device-writable part, starting `offset` bytes
 * into it. The caller has checked that `offset + end - start ≤ chain.writableLength`
 * (so, unlike `DescriptorChain.writeWritable`, nothing here can be a violation).
 *
 * @internal
 */
export function copyToChain(
  guest: Uint8Array,
  chain: DescriptorChain,
  offset: number,
  src: Uint8Array,
  start: number,
  end: number,
): void {
  let skip = offset;
  let pos = start;
  const count = chain.segmentCount;
  for (let i = chain.readableCount; i < count && pos < end; i++) {
    const len = chain.segmentLength(i);
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const to = chain.segmentAddress(i) + skip;
    const n = Math.min(len - skip, end - pos);
    if (n >= LARGE_COPY) {
      guest.set(pos === 0 && n === src.length ? src : src.subarray(pos, pos + n), to);
    } else {
      for (let k = 0; k < n; k++) guest[to + k] = src[pos + k]!;
    }
    skip = 0;
    pos += n;
  }
}
