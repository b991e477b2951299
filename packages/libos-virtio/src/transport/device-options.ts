import type { GuestMemory } from '@libos/mem';
import type { DriverViolation } from './driver-violation.js';
import type { MmioQueueConfig } from './queue-config.js';
import type { TransportLink } from './transport-link.js';

/**
 * Callbacks through which {@link MmioDeviceTransport} tells the device model what the
 * driver did. All optional. They run inside the device loop: a callback that throws is
 * caught, and the device marks itself DEVICE_NEEDS_RESET (§2.1.2) instead of crashing.
 *
 * @example
 * ```ts
 * import type { MmioDeviceHandlers } from '@libos/virtio';
 * const handlers: MmioDeviceHandlers = {
 *   onQueueReady: (q) => attach(q),
 *   onNotify: (queue) => process(queue),
 *   onReset: () => detachAll(),
 * };
 * ```
 */
export interface MmioDeviceHandlers {
  /** The driver reset the device by writing 0 to Status (§2.4): drop all queue state. */
  readonly onReset?: () => void;
  /**
   * The driver is about to set FEATURES_OK with `features` (already checked to be a
   * subset of the offered ones with VERSION_1); return `false` to refuse (§2.2.1).
   */
  readonly acceptFeatures?: (features: bigint) => boolean;
  /** The driver enabled a queue (QueueReady = 1) and the device accepted its configuration. */
  readonly onQueueReady?: (queue: MmioQueueConfig) => void;
  /** A ready queue was disabled (QueueReady = 0 or QueueReset). */
  readonly onQueueDisabled?: (index: number) => void;
  /** The driver set DRIVER_OK: the device is live (§3.1.1 step 8). */
  readonly onDriverOk?: () => void;
  /** The driver set FAILED (§2.1). */
  readonly onFailed?: () => void;
  /**
   * The driver notified a ready queue of a live device. Inline links call this once
   * per notification; worker links may coalesce several into one call.
   */
  readonly onNotify?: (queue: number) => void;
  /**
   * The driver wrote `width` bytes of `value` at `offset` into configuration space;
   * return `true` to store it. Without this callback config space is read-only.
   */
  readonly onConfigWrite?: (offset: number, width: 1 | 2 | 4, value: number) => boolean;
  /** The driver did something the spec forbids; the write was refused. */
  readonly onViolation?: (violation: DriverViolation) => void;
}

/**
 * What a device model declares to {@link MmioDeviceTransport}.
 *
 * @example
 * ```ts
 * import { DeviceType, FeatureBit, featureMask, type MmioDeviceOptions } from '@libos/virtio';
 * const options: MmioDeviceOptions = {
 *   memory, base: 0x1000, link,
 *   deviceId: DeviceType.ENTROPY,
 *   features: featureMask(FeatureBit.VERSION_1),
 *   queueMaxSizes: [256],
 * };
 * ```
 */
export interface MmioDeviceOptions {
  /** Guest memory holding the block and the rings. */
  readonly memory: GuestMemory;
  /** Guest address of the 4 KiB block (a multiple of 4; a page boundary is customary). */
  readonly base: number;
  /** How the device side watches doorbells and raises interrupts. */
  readonly link: TransportLink;
  /** DeviceID (§5): 1 = net, 2 = block, 4 = entropy, …. */
  readonly deviceId: number;
  /** VendorID (default 0x534f424c, the bytes "LBOS"). */
  readonly vendorId?: number;
  /** The features the device offers, a 64-bit set (must include VERSION_1 to be usable). */
  readonly features: bigint;
  /** QueueNumMax of each queue, in queue-index order; 0 marks an unavailable queue. */
  readonly queueMaxSizes: readonly number[];
  /** Initial device configuration space (default empty). */
  readonly config?: Uint8Array;
  /** Device-model callbacks. */
  readonly handlers?: MmioDeviceHandlers;
}
