import type { NetDevice } from '@libos/net';
import type {
  BlkDeviceSpec,
  BlockDeviceModelOptions,
  ConsoleDeviceModelOptions,
  ConsoleDeviceSpec,
  ConsoleDriver,
  DeviceKind,
  EntropyDeviceModelOptions,
  EntropyDriver,
  MachineControl,
  NetDeviceSpec,
  RngDeviceSpec,
  VirtioBlockDriver,
  VirtioNetDeviceModelOptions,
  VirtioNetDriver,
} from '../index.js';
import type {
  BlockBackendDescription,
  EntropyBackendDescription,
} from './device-worker-description.js';
import type { DeviceWorkerError } from './device-worker-error.js';
import type { DeviceWorker } from './start-device-worker.js';

/**
 * A worker-mode virtio-net card: like `NetDeviceSpec`, but the device model runs in the
 * machine's device worker while `backend` stays in the calling thread; frames cross
 * through a `FrameChannel` the machine pumps ({@link WorkerMachine.poll}, and by itself
 * whenever the worker signals).
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import type { WorkerNetDeviceSpec } from '@libos/virtio/node';
 * const [backend, wire] = createLink();
 * const nic: WorkerNetDeviceSpec = { kind: 'net', backend, mtu: 1500 };
 * ```
 */
export interface WorkerNetDeviceSpec extends VirtioNetDeviceModelOptions {
  /** Discriminant: a network card. */
  readonly kind: 'net';
  /** The host-side port (e.g. one end of `createLink()`), pumped in the calling thread. */
  readonly backend: NetDevice;
  /** Options of the guest driver (as for `NetDeviceSpec`). */
  readonly driver?: NetDeviceSpec['driver'];
  /** Frame slots per direction in the frame channel. Default 256. */
  readonly channelSlots?: number;
}

/**
 * A worker-mode virtio-blk disk: the backend is described as data (a
 * `SharedArrayBuffer` image or a host file the worker opens), not an object.
 *
 * @example
 * ```ts
 * import type { WorkerBlkDeviceSpec } from '@libos/virtio/node';
 * const disk: WorkerBlkDeviceSpec = {
 *   kind: 'blk',
 *   backend: { type: 'memory', buffer: new SharedArrayBuffer(1 << 20) },
 *   serial: 'disk-0',
 * };
 * ```
 */
export interface WorkerBlkDeviceSpec extends BlockDeviceModelOptions {
  /** Discriminant: a block device. */
  readonly kind: 'blk';
  /** Where the disk's bytes live (built in the worker). */
  readonly backend: BlockBackendDescription;
  /** Options of the guest driver (as for `BlkDeviceSpec`). */
  readonly driver?: BlkDeviceSpec['driver'];
}

/**
 * A worker-mode virtio entropy device: the source is described as data (host CSPRNG
 * or a seeded stream), built in the worker.
 *
 * @example
 * ```ts
 * import type { WorkerRngDeviceSpec } from '@libos/virtio/node';
 * const rng: WorkerRngDeviceSpec = { kind: 'rng', source: { type: 'seeded', seed: 7 } };
 * ```
 */
export interface WorkerRngDeviceSpec extends EntropyDeviceModelOptions {
  /** Discriminant: an entropy device. */
  readonly kind: 'rng';
  /** Where the device's random bytes come from. */
  readonly source: EntropyBackendDescription;
  /** Options of the guest driver (as for `RngDeviceSpec`). */
  readonly driver?: RngDeviceSpec['driver'];
}

/**
 * A worker-mode virtio console: guest output is posted back from the worker and handed
 * to `output` in the calling thread; host input goes in through the handle's
 * `input(bytes)`.
 *
 * @example
 * ```ts
 * import type { WorkerConsoleDeviceSpec } from '@libos/virtio/node';
 * const tty: WorkerConsoleDeviceSpec = { kind: 'console', output: (b) => process.stdout.write(b) };
 * ```
 */
export interface WorkerConsoleDeviceSpec extends ConsoleDeviceModelOptions {
  /** Discriminant: a console. */
  readonly kind: 'console';
  /** Receives guest output, in order (a copy the callee may keep). */
  readonly output?: (bytes: Uint8Array) => void;
  /** Options of the guest driver (as for `ConsoleDeviceSpec`). */
  readonly driver?: ConsoleDeviceSpec['driver'];
}

/**
 * One device of a worker-mode machine, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { WorkerDeviceSpec } from '@libos/virtio/node';
 * const specs: WorkerDeviceSpec[] = [{ kind: 'rng', source: { type: 'host' } }];
 * ```
 */
export type WorkerDeviceSpec =
  | WorkerNetDeviceSpec
  | WorkerBlkDeviceSpec
  | WorkerRngDeviceSpec
  | WorkerConsoleDeviceSpec;

/**
 * What every device handle of a {@link WorkerMachine} carries. Unlike an inline
 * `DeviceHandleOf`, there is no `model`: the device model lives in the worker thread
 * and cannot be reached from here (the property is typed as always absent).
 *
 * @typeParam K - the device kind
 * @typeParam D - the guest driver's type
 * @example
 * ```ts
 * import type { VirtioNetDriver } from '@libos/virtio';
 * import type { WorkerDeviceHandleOf } from '@libos/virtio/node';
 * type Nic = WorkerDeviceHandleOf<'net', VirtioNetDriver>;
 * ```
 */
export interface WorkerDeviceHandleOf<K extends DeviceKind, D> {
  /** The device kind, as in its spec. */
  readonly kind: K;
  /** Position of the device in `devices` (and of its register block). */
  readonly index: number;
  /** Guest address of the device's 4 KiB register block. */
  readonly base: number;
  /** The guest side: an opened driver (on an `AtomicsLink`). */
  readonly driver: D;
  /** Always absent in worker mode: the device model runs in the worker. */
  readonly model?: undefined;
}

/**
 * A worker-mode network card: `driver` is a `NetDevice` for the guest stack.
 *
 * @example
 * ```ts
 * const [nic] = machine.devices; // WorkerNetHandle
 * nic.driver.transmit(60, (frame) => frame.fill(0xff, 0, 6));
 * ```
 */
export type WorkerNetHandle = WorkerDeviceHandleOf<'net', VirtioNetDriver>;

/**
 * A worker-mode disk: `driver` is a `BlockDevice` for the guest file system.
 *
 * @example
 * ```ts
 * const disk = machine.find('blk'); // WorkerBlkHandle | undefined
 * await disk?.driver.flush();
 * ```
 */
export type WorkerBlkHandle = WorkerDeviceHandleOf<'blk', VirtioBlockDriver>;

/**
 * A worker-mode entropy device: `driver` is an `EntropySource`.
 *
 * @example
 * ```ts
 * const rng = machine.find('rng'); // WorkerRngHandle | undefined
 * rng?.driver.fill(new Uint8Array(32));
 * ```
 */
export type WorkerRngHandle = WorkerDeviceHandleOf<'rng', EntropyDriver>;

/**
 * A worker-mode console: the guest writes through `driver`, the host types through
 * `input(bytes)` (posted to the worker's console model).
 *
 * @example
 * ```ts
 * const tty = machine.find('console')!; // WorkerConsoleHandle
 * tty.input(new TextEncoder().encode('ls\n'));
 * ```
 */
export interface WorkerConsoleHandle extends WorkerDeviceHandleOf<'console', ConsoleDriver> {
  /**
   * Sends host input to the console model in the worker; it reaches the guest's
   * receive buffers asynchronously. Ignored once the worker is gone.
   *
   * @param bytes - the input (copied)
   * @example
   * ```ts
   * tty.input(new TextEncoder().encode('ls\n'));
   * ```
   */
  input(bytes: Uint8Array): void;
}

/**
 * Any worker-mode device handle, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { WorkerDeviceHandle } from '@libos/virtio/node';
 * const where = (h: WorkerDeviceHandle) => `${h.kind}@0x${h.base.toString(16)}`;
 * ```
 */
export type WorkerDeviceHandle =
  | WorkerNetHandle
  | WorkerBlkHandle
  | WorkerRngHandle
  | WorkerConsoleHandle;

/**
 * The worker-mode handle type of a device kind.
 *
 * @example
 * ```ts
 * import type { WorkerHandleOfKind } from '@libos/virtio/node';
 * type Disk = WorkerHandleOfKind<'blk'>; // WorkerBlkHandle
 * ```
 */
export type WorkerHandleOfKind<K extends DeviceKind> = Extract<
  WorkerDeviceHandle,
  {
    /** The kind asked for. */
    readonly kind: K;
  }
>;

/**
 * The tuple of worker-mode handles a tuple of worker specs produces, element by
 * element: `[WorkerNetDeviceSpec, WorkerBlkDeviceSpec]` → `readonly [WorkerNetHandle,
 * WorkerBlkHandle]`.
 *
 * @example
 * ```ts
 * import type { WorkerHandlesOf, WorkerNetDeviceSpec } from '@libos/virtio/node';
 * type Handles = WorkerHandlesOf<readonly [WorkerNetDeviceSpec]>;
 * ```
 */
export type WorkerHandlesOf<T extends readonly WorkerDeviceSpec[]> = {
  readonly [I in keyof T]: T[I] extends {
    /** The spec's kind. */
    readonly kind: infer K extends DeviceKind;
  }
    ? WorkerHandleOfKind<K>
    : never;
};

/**
 * What {@link createWorkerMachine} builds.
 *
 * @typeParam T - the device specs, as a tuple (inferred as one by `createWorkerMachine`)
 * @example
 * ```ts
 * import type { WorkerMachineOptions } from '@libos/virtio/node';
 * const options: WorkerMachineOptions<readonly [{ kind: 'rng'; source: { type: 'host' } }]> = {
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'rng', source: { type: 'host' } }],
 * };
 * ```
 */
export interface WorkerMachineOptions<T extends readonly WorkerDeviceSpec[]> {
  /** Guest memory in bytes, as for `MachineOptions.memoryBytes` (always shared here). */
  readonly memoryBytes: number;
  /** The devices, in register-block order (device `i` at `0x1000 + i × 0x1000`). */
  readonly devices: T;
  /** Receives the boot lines (they say `worker mode`). */
  readonly onLog?: (line: string) => void;
  /** Idle poll interval (µs) of a machine with network cards, as for `MachineOptions`. */
  readonly netPollInterval?: number;
  /** Bound on the worker's start, in ms (default 10000). */
  readonly startTimeoutMs?: number;
  /** Bound on the worker's clean stop in `close`, in ms, before it is terminated (default 1000). */
  readonly stopTimeoutMs?: number;
  /** Called once if the worker fails after the machine was built (crash, unexpected exit). */
  readonly onWorkerError?: (error: DeviceWorkerError) => void;
}

/**
 * A worker-mode virtual machine made by {@link createWorkerMachine}: the same control
 * surface as an inline `Machine` (`MachineControl`: memory, map, link, boot log,
 * `poll`, `poller`, `close`), with handles typed after the worker specs. The handles
 * have no `model` (see {@link WorkerDeviceHandleOf}); a console handle has `input`.
 *
 * **Driving it.** Requests complete asynchronously: the worker serves doorbells on its
 * own thread, and drivers take interrupts from their `AtomicsLink` watches on the
 * event loop. Frames a net backend received reach the worker only when the machine
 * pumps the frame channels: call {@link WorkerMachine.poll} or register
 * {@link WorkerMachine.poller}. If the worker dies, its devices are fenced
 * (DEVICE_NEEDS_RESET) so drivers fail with typed errors instead of waiting.
 *
 * @typeParam T - the device specs it was created from
 * @example
 * ```ts
 * const machine = await createWorkerMachine({ memoryBytes: 16 << 20, devices: [{ kind: 'net', backend }] });
 * const [nic] = machine.devices; // WorkerNetHandle
 * sched.addPoller(machine.poller());
 * await machine.close();
 * ```
 */
export interface WorkerMachine<T extends readonly WorkerDeviceSpec[] = readonly WorkerDeviceSpec[]>
  extends MachineControl {
  /** Always `'worker'`. */
  readonly mode: 'worker';
  /** The device worker running every device model. */
  readonly worker: DeviceWorker;
  /** One handle per spec, in order, typed after the specs: `[WorkerNetHandle, …]`. */
  readonly devices: WorkerHandlesOf<T>;

  /**
   * Every device of a kind, in order.
   *
   * @param kind - the device kind
   * @returns the handles (possibly none)
   * @example
   * ```ts
   * for (const disk of machine.ofKind('blk')) await disk.driver.flush();
   * ```
   */
  ofKind<K extends DeviceKind>(kind: K): readonly WorkerHandleOfKind<K>[];

  /**
   * The `nth` device of a kind.
   *
   * @param kind - the device kind
   * @param nth - which one, counting from 0 (default 0)
   * @returns the handle, or `undefined` when there are not that many
   * @example
   * ```ts
   * machine.find('console')?.input(new TextEncoder().encode('hi\n'));
   * ```
   */
  find<K extends DeviceKind>(kind: K, nth?: number): WorkerHandleOfKind<K> | undefined;
}
