/**
 * Why a {@link DeviceWorkerError} was raised:
 * - `START_TIMEOUT` — the worker did not report ready in time;
 * - `DEVICE_FAILED` — the worker could not build a device (bad options, unopenable file);
 * - `WORKER_CRASHED` — an uncaught exception in the worker;
 * - `WORKER_EXITED` — the worker exited without being asked to;
 * - `STOPPED` — the handle was stopped (e.g. `ready` still pending);
 * - `BAD_OPTION` — invalid options to `startDeviceWorker`.
 *
 * @example
 * ```ts
 * import type { DeviceWorkerErrorCode } from '@libos/virtio/node';
 * const code: DeviceWorkerErrorCode = 'WORKER_CRASHED';
 * ```
 */
export type DeviceWorkerErrorCode =
  | 'START_TIMEOUT'
  | 'DEVICE_FAILED'
  | 'WORKER_CRASHED'
  | 'WORKER_EXITED'
  | 'STOPPED'
  | 'BAD_OPTION';

/**
 * A failure of a device worker, surfaced in the parent thread.
 *
 * @example
 * ```ts
 * import { DeviceWorkerError } from '@libos/virtio/node';
 * try { await handle.ready; } catch (e) {
 *   if (e instanceof DeviceWorkerError) console.log(e.code, e.message);
 * }
 * ```
 */
export class DeviceWorkerError extends Error {
  /** Stable reason code. */
  readonly code: DeviceWorkerErrorCode;

  /**
   * @param code - stable reason
   * @param message - detail
   * @param cause - the underlying error, if any
   */
  constructor(code: DeviceWorkerErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DeviceWorkerError';
    this.code = code;
  }
}
