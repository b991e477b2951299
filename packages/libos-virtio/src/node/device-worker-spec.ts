import type { NetDevice } from '@libos/net';
import type { ConsoleDeviceModelOptions, VirtioNetDeviceModelOptions } from '../index.js';
import type { BlockWorkerDevice, EntropyWorkerDevice } from './device-worker-description.js';

/**
 * A virtio-console model to run in a device worker: guest output is posted back to the
 * parent and handed to `onOutput`; parent input goes in with
 * {@link DeviceWorker.consoleInput}.
 *
 * @example
 * ```ts
 * import type { ConsoleWorkerDevice } from '@libos/virtio/node';
 * const tty: ConsoleWorkerDevice = { kind: 'console', base: 0x3000, onOutput: (b) => process.stdout.write(b) };
 * ```
 */
export interface ConsoleWorkerDevice {
  /** Device kind. */
  readonly kind: 'console';
  /** Guest address of the register block. */
  readonly base: number;
  /** Model options. */
  readonly options?: ConsoleDeviceModelOptions;
  /** Receives guest output, in order (a copy the callee may keep). */
  readonly onOutput?: (bytes: Uint8Array) => void;
}

/**
 * A virtio-net model to run in a device worker. The backend stays in the calling
 * thread; frames cross through a `FrameChannel` (`@libos/virtio`) the handle pumps
 * ({@link DeviceWorker.pump}, and by itself whenever the worker signals).
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import type { NetWorkerDevice } from '@libos/virtio/node';
 * const [backend, wire] = createLink();
 * const nic: NetWorkerDevice = { kind: 'net', base: 0x4000, backend };
 * ```
 */
export interface NetWorkerDevice {
  /** Device kind. */
  readonly kind: 'net';
  /** Guest address of the register block. */
  readonly base: number;
  /** The real backend port (e.g. one end of `createLink()`), pumped in this thread. */
  readonly backend: NetDevice;
  /** Model options (plain data). */
  readonly options?: VirtioNetDeviceModelOptions;
  /** Frame slots per direction in the channel. Default 256. */
  readonly channelSlots?: number;
}

/**
 * One device for {@link startDeviceWorker}.
 *
 * @example
 * ```ts
 * import type { DeviceWorkerSpec } from '@libos/virtio/node';
 * const rng: DeviceWorkerSpec = { kind: 'rng', base: 0x2000, backend: { type: 'host' } };
 * ```
 */
export type DeviceWorkerSpec =
  | BlockWorkerDevice
  | EntropyWorkerDevice
  | ConsoleWorkerDevice
  | NetWorkerDevice;
