/**
 * Where everything of a {@link FrameChannel} lives in its `SharedArrayBuffer`: a header,
 * two single-producer / single-consumer rings of fixed-size frame slots, and the slots.
 * All control words are 32-bit and accessed with `Atomics`.
 *
 * ```text
 *  0x00 ┌──────────────────────────────────────────────────────────┐
 *       │ MAGIC 'LFCH'  │ SLOTS (per ring) │ SLOT_BYTES (max frame) │  written once
 *  0x0C │ WORKER_SIGNAL: +1 & notify when the parent pushed or popped │  worker waits here
 *  0x10 │ PARENT_SIGNAL: +1 & notify when the worker pushed or popped │  parent waits here
 *  0x20 ├─ ring 0: parent ──► worker ──────────────────────────────────┤
 *       │ 0x20 TAIL  frames produced (parent writes)                  │
 *       │ 0x24 HEAD  frames consumed (worker writes)                  │
 *  0x30 ├─ ring 1: worker ──► parent ──────────────────────────────────┤
 *       │ 0x30 TAIL  frames produced (worker writes)                  │
 *       │ 0x34 HEAD  frames consumed (parent writes)                  │
 *  0x40 ├─ ring 0 slots ───────────────────────────────────────────────┤
 *       │ slot i at 0x40 + i·STRIDE: u32 length │ frame bytes ……       │
 *       ├─ ring 1 slots (SLOTS × STRIDE further) ─────────────────────┤
 *       └──────────────────────────────────────────────────────────────┘
 *   STRIDE = 4 + SLOT_BYTES rounded up to a multiple of 4
 * ```
 *
 * A producer writes the slot (`length`, bytes) and only then publishes it by storing
 * `TAIL + 1` (release); the consumer loads `TAIL` (acquire), reads the slot, then stores
 * `HEAD + 1`. Indices are free-running u32 counters; the ring is full when
 * `TAIL − HEAD = SLOTS`.
 *
 * @example
 * ```ts
 * import { FrameChannelLayout } from '@libos/virtio';
 * const bytes = FrameChannelLayout.bytesFor(256, 1514);
 * ```
 */
export const FrameChannelLayout = {
  /** Byte offset of the magic word. */
  MAGIC: 0x00,
  /** Byte offset of the slot count (per ring). */
  SLOTS: 0x04,
  /** Byte offset of the slot capacity in bytes (the largest frame). */
  SLOT_BYTES: 0x08,
  /** Byte offset of the word the worker waits on. */
  WORKER_SIGNAL: 0x0c,
  /** Byte offset of the word the parent waits on. */
  PARENT_SIGNAL: 0x10,
  /** Byte offset of ring 0's control words (parent → worker). */
  RING_TO_WORKER: 0x20,
  /** Byte offset of ring 1's control words (worker → parent). */
  RING_TO_PARENT: 0x30,
  /** Offset of TAIL within a ring's control words. */
  TAIL: 0x0,
  /** Offset of HEAD within a ring's control words. */
  HEAD: 0x4,
  /** Byte offset of the first slot of ring 0. */
  SLOTS_BASE: 0x40,
  /** The magic value, 'LFCH' little-endian. */
  MAGIC_VALUE: 0x4843_464c,
  /**
   * Bytes of one slot: the u32 length and the frame, rounded up to 4.
   *
   * @param slotBytes - the largest frame
   * @returns the stride between slots
   */
  stride(slotBytes: number): number {
    return 4 + Math.ceil(slotBytes / 4) * 4;
  },
  /**
   * Bytes of a whole channel.
   *
   * @param slots - slots per ring
   * @param slotBytes - the largest frame
   * @returns the `SharedArrayBuffer` size
   */
  bytesFor(slots: number, slotBytes: number): number {
    return 0x40 + 2 * slots * (4 + Math.ceil(slotBytes / 4) * 4);
  },
} as const;
