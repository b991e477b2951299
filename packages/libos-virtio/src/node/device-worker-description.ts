import type {
  BlockDeviceModelOptions,
  ConsoleDeviceModelOptions,
  EntropyDeviceModelOptions,
  VirtioNetDeviceModelOptions,
} from '../index.js';

/**
 * Where a worker virtio-blk model keeps its bytes, as plain data: a disk image in a
 * `SharedArrayBuffer` (the parent can read and write it too) or a host file the worker
 * opens with `FileBlockBackend`.
 *
 * @example
 * ```ts
 * import type { BlockBackendDescription } from '@libos/virtio/node';
 * const ram: BlockBackendDescription = { type: 'memory', buffer: new SharedArrayBuffer(1 << 20) };
 * const file: BlockBackendDescription = { type: 'file', path: '/tmp/disk.img', readOnly: true };
 * ```
 */
export type BlockBackendDescription =
  | {
      /** A `MemoryBlockBackend` over the whole buffer. */
      readonly type: 'memory';
      /** The disk image (shared, used in place). */
      readonly buffer: SharedArrayBuffer;
      /** Refuse writes. Default false. */
      readonly readOnly?: boolean;
    }
  | {
      /** A `FileBlockBackend` the worker opens (and closes when it stops). */
      readonly type: 'file';
      /** The image file. */
      readonly path: string;
      /** Open read-only. Default false. */
      readonly readOnly?: boolean;
    };

/**
 * Where a worker entropy model draws its bytes, as plain data: the host CSPRNG or a
 * seeded, reproducible stream (`SeededEntropy`, for tests).
 *
 * @example
 * ```ts
 * import type { EntropyBackendDescription } from '@libos/virtio/node';
 * const host: EntropyBackendDescription = { type: 'host' };
 * const seeded: EntropyBackendDescription = { type: 'seeded', seed: 42 };
 * ```
 */
export type EntropyBackendDescription =
  | {
      /** `HostEntropy` (`crypto.getRandomValues`). */
      readonly type: 'host';
    }
  | {
      /** `SeededEntropy(seed, stream)`. */
      readonly type: 'seeded';
      /** The seed. */
      readonly seed: number | bigint;
      /** The stream number. Default 0. */
      readonly stream?: number;
    };

/**
 * A virtio-blk model to run in a device worker.
 *
 * @example
 * ```ts
 * import type { BlockWorkerDevice } from '@libos/virtio/node';
 * const disk: BlockWorkerDevice = { kind: 'blk', base: 0x1000, backend: { type: 'memory', buffer } };
 * ```
 */
export interface BlockWorkerDevice {
  /** Device kind. */
  readonly kind: 'blk';
  /** Guest address of the register block. */
  readonly base: number;
  /** The disk. */
  readonly backend: BlockBackendDescription;
  /** Model options (plain data). */
  readonly options?: BlockDeviceModelOptions;
}

/**
 * A virtio-rng model to run in a device worker.
 *
 * @example
 * ```ts
 * import type { EntropyWorkerDevice } from '@libos/virtio/node';
 * const rng: EntropyWorkerDevice = { kind: 'rng', base: 0x2000, backend: { type: 'host' } };
 * ```
 */
export interface EntropyWorkerDevice {
  /** Device kind. */
  readonly kind: 'rng';
  /** Guest address of the register block. */
  readonly base: number;
  /** The entropy source. */
  readonly backend: EntropyBackendDescription;
  /** Model options. */
  readonly options?: EntropyDeviceModelOptions;
}

/**
 * A virtio-console model as the worker receives it; output goes back to the parent as
 * messages, input comes from the parent.
 *
 * @example
 * ```ts
 * import type { ConsoleWorkerDescription } from '@libos/virtio/node';
 * const d: ConsoleWorkerDescription = { kind: 'console', base: 0x3000 };
 * ```
 */
export interface ConsoleWorkerDescription {
  /** Device kind. */
  readonly kind: 'console';
  /** Guest address of the register block. */
  readonly base: number;
  /** Model options. */
  readonly options?: ConsoleDeviceModelOptions;
}

/**
 * A virtio-net model as the worker receives it: its backend is the worker end of a
 * `FrameChannel` (`@libos/virtio`) whose parent end the parent pumps against the real backend.
 *
 * @example
 * ```ts
 * import type { NetWorkerDescription } from '@libos/virtio/node';
 * const d: NetWorkerDescription = { kind: 'net', base: 0x4000, channel: channel.buffer,
 *   macAddress: backend.macAddress, maxTransmitUnit: 1500 };
 * ```
 */
export interface NetWorkerDescription {
  /** Device kind. */
  readonly kind: 'net';
  /** Guest address of the register block. */
  readonly base: number;
  /** The frame channel's buffer. */
  readonly channel: SharedArrayBuffer;
  /** The real backend's MAC address (reported by the worker's port). */
  readonly macAddress: Uint8Array;
  /** The real backend's MTU. */
  readonly maxTransmitUnit: number;
  /** Model options. */
  readonly options?: VirtioNetDeviceModelOptions;
}

/**
 * One device as posted to the worker (structured-cloneable).
 *
 * @example
 * ```ts
 * import type { WorkerDeviceDescription } from '@libos/virtio/node';
 * const d: WorkerDeviceDescription = { kind: 'rng', base: 0x2000, backend: { type: 'seeded', seed: 1 } };
 * ```
 */
export type WorkerDeviceDescription =
  | BlockWorkerDevice
  | EntropyWorkerDevice
  | ConsoleWorkerDescription
  | NetWorkerDescription;

/**
 * The `workerData` of a device worker: guest memory and the devices to build on it.
 *
 * @example
 * ```ts
 * import type { DeviceWorkerData } from '@libos/virtio/node';
 * const data: DeviceWorkerData = { memory: guest.buffer as SharedArrayBuffer, devices: [] };
 * ```
 */
export interface DeviceWorkerData {
  /** Guest memory, shared with the driver thread. */
  readonly memory: SharedArrayBuffer;
  /** The devices, each with its own register block. */
  readonly devices: readonly WorkerDeviceDescription[];
}
