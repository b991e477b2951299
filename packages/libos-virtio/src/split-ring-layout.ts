/**
 * Split virtqueue flags and memory layout (virtio 1.2 §2.7).
 *
 * ```text
 *  descriptor table (align 16)      available ring (align 2)       used ring (align 4)
 *  ┌─────────────────────────┐      ┌───────┬───────┐              ┌───────┬───────┐
 *  │ addr u64 │ len u32      │ ×N   │ flags │ idx   │ u16 ×2       │ flags │ idx   │ u16 ×2
 *  │ flags u16 │ next u16    │      ├───────┴───────┤              ├───────┴───────┤
 *  └─────────────────────────┘      │ ring[N]  u16  │              │ ring[N] {id u32, len u32}
 *   16 bytes each                   │ used_event u16│ (EVENT_IDX)  │ avail_event u16 (EVENT_IDX)
 *                                   └───────────────┘              └───────────────┘
 * ```
 *
 * @example
 * ```ts
 * import { DescriptorFlag } from '@libos/virtio';
 * const deviceWritable = (flags & DescriptorFlag.WRITE) !== 0;
 * ```
 */
export const DescriptorFlag = {
  /** The buffer continues via the `next` field (§2.7.5). */
  NEXT: 1,
  /** The buffer is device write-only; otherwise device read-only (§2.7.5). */
  WRITE: 2,
  /** The buffer holds a table of indirect descriptors (§2.7.5.3). */
  INDIRECT: 4,
} as const;

/**
 * Flag of the available ring's `flags` field (§2.7.6): the driver asks the device not to
 * interrupt. Ignored when VIRTIO_F_EVENT_IDX was negotiated.
 *
 * @example
 * ```ts
 * import { AVAIL_F_NO_INTERRUPT } from '@libos/virtio';
 * const suppress = (availFlags & AVAIL_F_NO_INTERRUPT) !== 0;
 * ```
 */
export const AVAIL_F_NO_INTERRUPT = 1;

/**
 * Flag of the used ring's `flags` field (§2.7.8): the device asks the driver not to
 * notify it. Ignored when VIRTIO_F_EVENT_IDX was negotiated.
 *
 * @example
 * ```ts
 * import { USED_F_NO_NOTIFY } from '@libos/virtio';
 * const skipKick = (usedFlags & USED_F_NO_NOTIFY) !== 0;
 * ```
 */
export const USED_F_NO_NOTIFY = 1;

/**
 * Largest queue size a split virtqueue may have (§2.7: "the maximum Queue Size value is
 * 32768").
 *
 * @example
 * ```ts
 * import { MAX_SPLIT_QUEUE_SIZE } from '@libos/virtio';
 * const size = Math.min(requested, MAX_SPLIT_QUEUE_SIZE);
 * ```
 */
export const MAX_SPLIT_QUEUE_SIZE = 32768;

/**
 * Size and required alignment of one part of a split virtqueue.
 *
 * @typeParam Align The alignment §2.7 requires for this part.
 * @example
 * ```ts
 * import { splitQueueLayout } from '@libos/virtio';
 * const { bytes, align } = splitQueueLayout(64).usedRing; // 518 bytes, 4-byte aligned
 * ```
 */
export interface RingPart<Align extends number> {
  /** Bytes the part occupies, including the event-index word. */
  readonly bytes: number;
  /** Required alignment of the part's guest address, in bytes. */
  readonly align: Align;
}

/**
 * Sizes and alignments of the three parts of a split virtqueue of a given size,
 * as required by §2.7 (table "Virtqueue Part Alignment and Size").
 *
 * @example
 * ```ts
 * import { splitQueueLayout } from '@libos/virtio';
 * const layout = splitQueueLayout(256);
 * layout.descriptorTable.bytes; // 4096
 * ```
 */
export interface SplitQueueLayout {
  /** The queue size N this layout is for. */
  readonly queueSize: number;
  /** Descriptor table: 16·N bytes, 16-byte aligned. */
  readonly descriptorTable: RingPart<16>;
  /** Available ring (driver area): 6 + 2·N bytes, 2-byte aligned. */
  readonly availableRing: RingPart<2>;
  /** Used ring (device area): 6 + 8·N bytes, 4-byte aligned. */
  readonly usedRing: RingPart<4>;
}

/**
 * Computes the {@link SplitQueueLayout} for `queueSize`. The sizes include the
 * `used_event` / `avail_event` words, which exist whether or not EVENT_IDX is used.
 *
 * @throws RangeError unless `queueSize` is a power of two in 1..32768 (§2.7).
 * @example
 * ```ts
 * import { splitQueueLayout } from '@libos/virtio';
 * const { availableRing, usedRing } = splitQueueLayout(8);
 * availableRing.bytes; // 22
 * usedRing.bytes; // 70
 * ```
 */
export function splitQueueLayout(queueSize: number): SplitQueueLayout {
  const powerOfTwo =
    Number.isInteger(queueSize) && queueSize > 0 && (queueSize & (queueSize - 1)) === 0;
  if (!powerOfTwo || queueSize > MAX_SPLIT_QUEUE_SIZE) {
    throw new RangeError(
      `queue size ${queueSize} is not a power of two in 1..${MAX_SPLIT_QUEUE_SIZE}`,
    );
  }
  return {
    queueSize,
    descriptorTable: { bytes: 16 * queueSize, align: 16 },
    availableRing: { bytes: 6 + 2 * queueSize, align: 2 },
    usedRing: { bytes: 6 + 8 * queueSize, align: 4 },
  };
}
