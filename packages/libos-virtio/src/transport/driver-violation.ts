/**
 * What a driver did wrong, as detected by {@link MmioDeviceTransport}. The device never
 * throws because of a driver: it refuses the write (leaving its state consistent),
 * counts it and reports it through {@link MmioDeviceHandlers.onViolation}.
 *
 * - `BAD_WIDTH`: a register write not 32 bits wide / aligned, or a config write not 1, 2 or 4 bytes.
 * - `UNKNOWN_REGISTER`: a write to an offset §4.2.2 does not define.
 * - `READ_ONLY_REGISTER`: a write to MagicValue, DeviceFeatures, QueueNumMax, InterruptStatus, ….
 * - `STATUS_UNKNOWN_BITS`: Status bits §2.1 does not define.
 * - `STATUS_BIT_CLEARED`: the driver cleared a status bit without a reset (§2.1.2).
 * - `STATUS_OUT_OF_ORDER`: FEATURES_OK before ACKNOWLEDGE and DRIVER (§3.1.1).
 * - `FEATURES_NOT_OFFERED`: accepted features the device did not offer (§3.1.1 step 5).
 * - `FEATURES_WITHOUT_VERSION_1`: VIRTIO_F_VERSION_1 not accepted; libos has no legacy interface (§6).
 * - `FEATURES_REFUSED`: the device model refused the feature combination (§2.2.1).
 * - `FEATURES_LOCKED`: DriverFeatures written after FEATURES_OK.
 * - `BAD_FEATURE_SELECT`: a non-zero feature word beyond bit 63.
 * - `DRIVER_OK_WITHOUT_FEATURES_OK`: DRIVER_OK before FEATURES_OK (§3.1.1 step 8).
 * - `QUEUE_UNAVAILABLE`: queue registers written for a queue with QueueNumMax 0.
 * - `QUEUE_BUSY`: QueueNum or an address written while QueueReady is 1 (§4.2.2.2).
 * - `BAD_QUEUE_SIZE`: QueueNum 0, above QueueNumMax or not a power of two (§2.7, §4.2.2.2).
 * - `BAD_QUEUE_ADDRESS`: a ring area misaligned or outside guest memory (§2.7).
 * - `QUEUE_BEFORE_FEATURES_OK`: QueueReady before FEATURES_OK (§3.1.1 step 7).
 * - `BAD_QUEUE_READY`: QueueReady written with a value other than 0 or 1.
 * - `BAD_QUEUE_RESET`: QueueReset without VIRTIO_F_RING_RESET, or with a value other than 1 (§2.6.1).
 * - `BAD_INTERRUPT_ACK`: InterruptACK with undefined bits (§4.2.2.2).
 * - `BAD_NOTIFY`: QueueNotify for a queue that does not exist.
 * - `CONFIG_OUT_OF_RANGE`: a config write beyond the device's configuration space.
 * - `CONFIG_READ_ONLY`: a config write the device model does not accept.
 *
 * @example
 * ```ts
 * import type { DriverViolationCode } from '@libos/virtio';
 * const fatal: DriverViolationCode[] = ['FEATURES_NOT_OFFERED'];
 * ```
 */
export type DriverViolationCode =
  | 'BAD_WIDTH'
  | 'UNKNOWN_REGISTER'
  | 'READ_ONLY_REGISTER'
  | 'STATUS_UNKNOWN_BITS'
  | 'STATUS_BIT_CLEARED'
  | 'STATUS_OUT_OF_ORDER'
  | 'FEATURES_NOT_OFFERED'
  | 'FEATURES_WITHOUT_VERSION_1'
  | 'FEATURES_REFUSED'
  | 'FEATURES_LOCKED'
  | 'BAD_FEATURE_SELECT'
  | 'DRIVER_OK_WITHOUT_FEATURES_OK'
  | 'QUEUE_UNAVAILABLE'
  | 'QUEUE_BUSY'
  | 'BAD_QUEUE_SIZE'
  | 'BAD_QUEUE_ADDRESS'
  | 'QUEUE_BEFORE_FEATURES_OK'
  | 'BAD_QUEUE_READY'
  | 'BAD_QUEUE_RESET'
  | 'BAD_INTERRUPT_ACK'
  | 'BAD_NOTIFY'
  | 'CONFIG_OUT_OF_RANGE'
  | 'CONFIG_READ_ONLY';

/**
 * One refused driver write.
 *
 * @example
 * ```ts
 * import type { DriverViolation } from '@libos/virtio';
 * const log = (v: DriverViolation) => console.warn(`${v.code} at 0x${v.offset.toString(16)}: ${v.message}`);
 * ```
 */
export interface DriverViolation {
  /** What was wrong. */
  readonly code: DriverViolationCode;
  /** Register offset from the block base (config space starts at 0x100). */
  readonly offset: number;
  /** The value the driver wrote. */
  readonly value: number;
  /** Human-readable detail. */
  readonly message: string;
}
