/**
 * Why a console operation failed.
 *
 * - `DEVICE_FAILED`: the device needs a reset or broke the protocol.
 * - `CLOSED`: the driver was closed.
 * - `NOT_NEGOTIATED`: the feature the call needs (SIZE, EMERG_WRITE) was not negotiated.
 * - `BAD_ARGUMENT`: bad options or arguments.
 *
 * @example
 * ```ts
 * import type { ConsoleErrorCode } from '@libos/virtio';
 * const code: ConsoleErrorCode = 'NOT_NEGOTIATED';
 * ```
 */
export type ConsoleErrorCode = 'DEVICE_FAILED' | 'CLOSED' | 'NOT_NEGOTIATED' | 'BAD_ARGUMENT';

/**
 * The error virtio-console drivers and device models throw for misuse and failure.
 *
 * @example
 * ```ts
 * import { ConsoleError } from '@libos/virtio';
 * try {
 *   await console.write(bytes);
 * } catch (e) {
 *   if (e instanceof ConsoleError && e.code === 'DEVICE_FAILED') reopen();
 * }
 * ```
 */
export class ConsoleError extends Error {
  /** Stable machine-readable reason. */
  readonly code: ConsoleErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: ConsoleErrorCode, message: string) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
  }
}
