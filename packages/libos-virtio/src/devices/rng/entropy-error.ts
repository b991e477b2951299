/**
 * Why an entropy request could not be served.
 *
 * - `EAGAIN`: the driver's prefetched pool holds fewer bytes than asked for right now;
 *   nothing was consumed. Await {@link EntropyDriver.ready} (or use
 *   {@link EntropyDriver.read}) and try again.
 * - `TOO_LARGE`: more bytes than the pool can ever hold were asked of the synchronous
 *   `fill`; use {@link EntropyDriver.read}.
 * - `DEVICE_FAILED`: the device needs a reset or broke the protocol; no more entropy
 *   comes from it.
 * - `CLOSED`: the driver was closed.
 * - `BAD_ARGUMENT`: a length that is not a non-negative safe integer, or bad options.
 *
 * @example
 * ```ts
 * import type { EntropyErrorCode } from '@libos/virtio';
 * const code: EntropyErrorCode = 'EAGAIN';
 * ```
 */
export type EntropyErrorCode = 'EAGAIN' | 'TOO_LARGE' | 'DEVICE_FAILED' | 'CLOSED' | 'BAD_ARGUMENT';

/**
 * The error a virtio-rng driver throws instead of ever handing out bytes that are not
 * fresh device entropy.
 *
 * @example
 * ```ts
 * import { EntropyError } from '@libos/virtio';
 * try {
 *   rng.fill(key);
 * } catch (e) {
 *   if (e instanceof EntropyError && e.code === 'EAGAIN') await rng.ready(key.length);
 * }
 * ```
 */
export class EntropyError extends Error {
  /** Stable machine-readable reason. */
  readonly code: EntropyErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: EntropyErrorCode, message: string) {
    super(message);
    this.name = 'EntropyError';
    this.code = code;
  }
}
