/**
 * One buffer of a descriptor chain as the driver offers it: a guest address and a
 * length (the `addr` / `len` of a descriptor, §2.7.5).
 *
 * @example
 * ```ts
 * import type { BufferSegment } from '@libos/virtio';
 * const header: BufferSegment = { addr: 0x8000, len: 16 };
 * ```
 */
export interface BufferSegment {
  /** Guest-physical address of the first byte. */
  readonly addr: number;
  /** Length in bytes, at most 2^32 − 1. */
  readonly len: number;
}
