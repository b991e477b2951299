/**
 * Why a virtqueue call failed or why the driver side failed a queue.
 *
 * Misuse by the caller (thrown at once): `BAD_QUEUE_SIZE`, `BAD_ADDRESS`, `BAD_SEGMENT`,
 * `EMPTY_CHAIN`, `CHAIN_TOO_LONG`, `QUEUE_FAILED`, `NOT_IN_FLIGHT`, `USED_LENGTH_TOO_LARGE`
 * (device side: pushing a length larger than the chain's writable capacity).
 *
 * A hostile or buggy device seen by {@link SplitQueueDriver.pollUsed} (never thrown;
 * recorded in {@link SplitQueueDriver.error}, the queue is failed): `USED_ID_OUT_OF_RANGE`,
 * `USED_ID_NOT_IN_FLIGHT`, `USED_LENGTH_TOO_LARGE`, `USED_INDEX_JUMP`.
 *
 * @example
 * ```ts
 * import type { VirtqueueErrorCode } from '@libos/virtio';
 * const code: VirtqueueErrorCode = 'USED_INDEX_JUMP';
 * ```
 */
export type VirtqueueErrorCode =
  /** Queue size is not a power of two in 1..32768 (§2.7). */
  | 'BAD_QUEUE_SIZE'
  /** A ring address is misaligned (§2.7 table "Virtqueue Part Alignment") or outside guest memory. */
  | 'BAD_ADDRESS'
  /** A buffer segment's address or length is not inside guest memory or its length exceeds a u32. */
  | 'BAD_SEGMENT'
  /** A chain with no segments. */
  | 'EMPTY_CHAIN'
  /** A chain longer than the queue size (§2.7.5.3.1, §2.7.13.1). */
  | 'CHAIN_TOO_LONG'
  /** The queue failed earlier (see the `error` / `violation` property); it must be reset. */
  | 'QUEUE_FAILED'
  /** Device side: `pushUsed` for a head that was not popped or was already pushed. */
  | 'NOT_IN_FLIGHT'
  /** The device's used id is ≥ the queue size (§2.7.8). */
  | 'USED_ID_OUT_OF_RANGE'
  /** The device's used id is not the head of a chain the driver made available and has not reclaimed. */
  | 'USED_ID_NOT_IN_FLIGHT'
  /** A used length larger than the chain's device-writable capacity (§2.7.8.1). */
  | 'USED_LENGTH_TOO_LARGE'
  /** `used.idx` moved by more than the number of chains in flight (§2.7.8). */
  | 'USED_INDEX_JUMP';

/**
 * Error of the split virtqueue, with a stable {@link VirtqueueErrorCode}.
 *
 * @example
 * ```ts
 * import { VirtqueueError } from '@libos/virtio';
 * try {
 *   driver.addBuffer(addr, len, false, 1);
 * } catch (e) {
 *   if (e instanceof VirtqueueError && e.code === 'BAD_SEGMENT') console.log('bad buffer');
 * }
 * ```
 */
export class VirtqueueError extends Error {
  /** Stable machine-readable reason. */
  readonly code: VirtqueueErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: VirtqueueErrorCode, message: string) {
    super(message);
    this.name = 'VirtqueueError';
    this.code = code;
  }
}
