/**
 * Why a transport operation failed.
 *
 * - `NOT_VIRTIO`: MagicValue is not 0x74726976 (§4.2.2.2).
 * - `UNSUPPORTED_VERSION`: Version is not 2 (libos has no legacy interface).
 * - `NO_DEVICE`: DeviceID is 0, a placeholder (§4.2.3.1.1).
 * - `WRONG_DEVICE`: DeviceID is not the one the driver expects.
 * - `FEATURES_REJECTED`: the device did not keep FEATURES_OK (§3.1.1 step 6), or does not offer VERSION_1.
 * - `QUEUE_UNAVAILABLE`: QueueNumMax of a queue is 0 (§4.2.3.2 step 3).
 * - `QUEUE_IN_USE`: QueueReady was already 1 before setup (§4.2.3.2 step 2).
 * - `QUEUE_TOO_LARGE`: the requested queue size exceeds QueueNumMax.
 * - `BAD_QUEUE_SIZE`: the requested queue size is not a power of two (§2.7).
 * - `QUEUE_REJECTED`: the device did not set QueueReady after setup.
 * - `DRIVER_OK_REJECTED`: the device did not keep DRIVER_OK.
 * - `DEVICE_NEEDS_RESET`: the device set DEVICE_NEEDS_RESET (§2.1.1).
 * - `TIMEOUT`: the device did not acknowledge a trapped register write in time.
 * - `CONFIG_UNSTABLE`: ConfigGeneration kept changing over every retry (§2.5.1).
 * - `BAD_ARGUMENT`: API misuse (bad address, offset, size or option).
 *
 * @example
 * ```ts
 * import type { TransportErrorCode } from '@libos/virtio';
 * const retryable: TransportErrorCode[] = ['TIMEOUT', 'CONFIG_UNSTABLE'];
 * ```
 */
export type TransportErrorCode =
  | 'NOT_VIRTIO'
  | 'UNSUPPORTED_VERSION'
  | 'NO_DEVICE'
  | 'WRONG_DEVICE'
  | 'FEATURES_REJECTED'
  | 'QUEUE_UNAVAILABLE'
  | 'QUEUE_IN_USE'
  | 'QUEUE_TOO_LARGE'
  | 'BAD_QUEUE_SIZE'
  | 'QUEUE_REJECTED'
  | 'DRIVER_OK_REJECTED'
  | 'DEVICE_NEEDS_RESET'
  | 'TIMEOUT'
  | 'CONFIG_UNSTABLE'
  | 'BAD_ARGUMENT';

/**
 * Thrown by the virtio-mmio transport for misuse and for device behaviour that stops
 * initialisation, with a stable {@link TransportErrorCode}.
 *
 * @example
 * ```ts
 * import { TransportError } from '@libos/virtio';
 * try {
 *   await driver.initialize({ supportedFeatures, queues });
 * } catch (e) {
 *   if (e instanceof TransportError && e.code === 'FEATURES_REJECTED') console.log('no deal');
 * }
 * ```
 */
export class TransportError extends Error {
  /** Stable machine-readable reason. */
  readonly code: TransportErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: TransportErrorCode, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}
