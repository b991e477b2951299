/**
 * What the driver did wrong, as detected by {@link SplitQueueDevice} while reading the
 * rings and descriptors (RELIABILITY.md items 1–4).
 *
 * @example
 * ```ts
 * import type { QueueViolationCode } from '@libos/virtio';
 * const code: QueueViolationCode = 'DESCRIPTOR_LOOP';
 * ```
 */
export type QueueViolationCode =
  /** A chain did not end within queue-size descriptors (or table-size entries of an indirect table). */
  | 'DESCRIPTOR_LOOP'
  /** A head in the available ring, or a `next`, is ≥ the queue size (or the indirect table size). */
  | 'DESCRIPTOR_INDEX_OUT_OF_RANGE'
  /** A buffer (or indirect table) is not inside guest memory. */
  | 'DESCRIPTOR_OUT_OF_BOUNDS'
  /** `addr + len` does not fit in 64 bits. */
  | 'ADDRESS_OVERFLOW'
  /** An indirect table whose length is 0 or not a multiple of 16 (§2.7.5.3.1). */
  | 'BAD_INDIRECT_LENGTH'
  /** An indirect table with more entries than the queue size (§2.7.5.3.1). */
  | 'INDIRECT_TABLE_TOO_LARGE'
  /** VIRTQ_DESC_F_INDIRECT inside an indirect table (§2.7.5.3.1). */
  | 'NESTED_INDIRECT'
  /** VIRTQ_DESC_F_INDIRECT together with VIRTQ_DESC_F_NEXT (§2.7.5.3.1). */
  | 'INDIRECT_WITH_NEXT'
  /** VIRTQ_DESC_F_INDIRECT although VIRTIO_F_INDIRECT_DESC was not negotiated (§2.7.5.3.1). */
  | 'INDIRECT_NOT_NEGOTIATED'
  /** A device-readable descriptor after a device-writable one (§2.7.4.2). */
  | 'READABLE_AFTER_WRITABLE'
  /** `avail.idx` moved by more than the queue size since the device last consumed (§2.7.6). */
  | 'AVAIL_INDEX_JUMP'
  /** A head made available again while the device still holds it (§2.7.13). */
  | 'HEAD_IN_USE'
  /** The device tried to write past the chain's device-writable buffers (request too small for the reply). */
  | 'WRITE_BEYOND_WRITABLE'
  /** A request-level violation reported by a device model through {@link SplitQueueDevice.reportViolation}. */
  | 'BAD_REQUEST';

/**
 * A protocol violation detected on the device side: the queue is broken from then on.
 *
 * @example
 * ```ts
 * import type { QueueViolation } from '@libos/virtio';
 * device.onViolation = (v: QueueViolation) => console.warn(v.code, v.message);
 * ```
 */
export interface QueueViolation {
  /** Stable machine-readable reason. */
  readonly code: QueueViolationCode;
  /** Human-readable detail (indices, addresses). */
  readonly message: string;
}
