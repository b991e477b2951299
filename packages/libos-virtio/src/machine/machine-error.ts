/**
 * Why {@link createMachine} / {@link createMachineOf} (or a {@link Machine}) refused:
 *
 * - `BAD_OPTION`: a machine option or a device option is invalid (the device model's
 *   own error is the `cause`), or {@link createMachineOf} has no device class for a spec;
 * - `TOO_MANY_DEVICES`: more devices than register blocks ({@link MACHINE_MAX_DEVICES});
 * - `MEMORY_TOO_SMALL`: guest memory cannot hold the register blocks, or the DMA region
 *   ran out while a driver allocated its rings and buffers;
 * - `DEVICE_OPEN_FAILED`: a driver could not initialise its device for another reason
 *   (the driver's error is the `cause`);
 * - `UNSUPPORTED_MODE`: a `mode` `createMachine` does not build (it builds `'inline'`
 *   machines; worker mode is `createWorkerMachine` from `@libos/virtio/node`);
 * - `WORKER_FAILED`: worker mode only: the device worker could not start or build its
 *   devices (the `DeviceWorkerError` is the `cause`).
 *
 * @example
 * ```ts
 * import type { MachineErrorCode } from '@libos/virtio';
 * const code: MachineErrorCode = 'MEMORY_TOO_SMALL';
 * ```
 */
export type MachineErrorCode =
  | 'BAD_OPTION'
  | 'TOO_MANY_DEVICES'
  | 'MEMORY_TOO_SMALL'
  | 'DEVICE_OPEN_FAILED'
  | 'UNSUPPORTED_MODE'
  | 'WORKER_FAILED';

/**
 * The error {@link createMachine} throws. Whatever the machine had already created
 * (device models, opened drivers) is torn down before it is thrown.
 *
 * @example
 * ```ts
 * import { createMachine, MachineError } from '@libos/virtio';
 * try {
 *   await createMachine({ memoryBytes: 256 * 1024, devices: [{ kind: 'net', backend }] });
 * } catch (e) {
 *   if (e instanceof MachineError && e.code === 'MEMORY_TOO_SMALL') console.error(e.message);
 * }
 * ```
 */
export class MachineError extends Error {
  /** Stable machine-readable reason. */
  readonly code: MachineErrorCode;
  /** Index in `devices` of the device that failed, or `null` for a machine-wide problem. */
  readonly device: number | null;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param device - index of the failing device spec, if any
   * @param cause - the underlying error, if any
   */
  constructor(
    code: MachineErrorCode,
    message: string,
    device: number | null = null,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'MachineError';
    this.code = code;
    this.device = device;
  }
}
