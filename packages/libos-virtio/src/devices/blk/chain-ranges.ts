import type { BufferSegment } from '../../queue/buffer-segment.js';
import type { DescriptorChain } from '../../queue/descriptor-chain.js';

/**
 * The guest buffers that hold bytes `[offset, offset + length)` of a chain's readable
 * (or writable) part, in order. The chain's segments were validated by
 * `popAvailable`, so every piece lies inside guest memory. The caller has checked that
 * the range lies inside that part.
 *
 * @param chain - a popped chain
 * @param writable - the device-writable part rather than the device-readable one
 * @param offset - byte offset into the concatenated part
 * @param length - bytes wanted
 * @returns the pieces (an empty array for length 0)
 */
export function chainRange(
  chain: DescriptorChain,
  writable: boolean,
  offset: number,
  length: number,
): BufferSegment[] {
  const out: BufferSegment[] = [];
  const first = writable ? chain.readableCount : 0;
  const end = writable ? chain.segmentCount : chain.readableCount;
  let skip = offset;
  let want = length;
  for (let i = first; i < end && want > 0; i++) {
    const len = chain.segmentLength(i);
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, want);
    out.push({ addr: chain.segmentAddress(i) + skip, len: n });
    skip = 0;
    want -= n;
  }
  return out;
}
