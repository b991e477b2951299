import type { NetDevice } from '@libos/net';
import type { EntropySource } from '@libos/sched';
import type { BlockBackend } from '../devices/blk/block-backend.js';
import type { BlockDeviceModelOptions } from '../devices/blk/block-device-model.js';
import type { VirtioBlockDriverOptions } from '../devices/blk/virtio-block-driver.js';
import type { ConsoleDeviceModelOptions } from '../devices/console/console-device-model.js';
import type { ConsoleDriverOptions } from '../devices/console/console-driver.js';
import type { VirtioNetDeviceModelOptions } from '../devices/net/net-device-model.js';
import type { VirtioNetDriverOptions } from '../devices/net/net-driver.js';
import type { EntropyDeviceModelOptions } from '../devices/rng/entropy-device-model.js';
import type { EntropyDriverOptions } from '../devices/rng/entropy-driver.js';
import type { DeviceClass } from './device-class.js';

/**
 * A virtio-net card (virtio 1.2 §5.1) whose host side is `backend`. The device model
 * options (MAC, MTU, queue size, offloads, link state) sit at the top level; `queueSize`
 * is both the device's maximum and, unless `driver.queueSize` says otherwise, the
 * driver's ring size. `mergeableRxBuffers: false` / `checksumOffload: false` stop the
 * device offering those features.
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import type { NetDeviceSpec } from '@libos/virtio';
 * const [backend, wire] = createLink();
 * const nic: NetDeviceSpec = { kind: 'net', backend, mtu: 1500, driver: { rxBufferSize: 512 } };
 * ```
 */
export interface NetDeviceSpec extends VirtioNetDeviceModelOptions {
  /** Discriminant: a network card. */
  readonly kind: 'net';
  /** The host-side port frames go to and come from (e.g. one end of `createLink()`). */
  readonly backend: NetDevice;
  /** Options of the guest driver (ring size, receive buffer size, EVENT_IDX, failure callback). */
  readonly driver?: Omit<VirtioNetDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;
  /**
   * What builds the device: set by `netDevice()` to `netDeviceClass`. {@link createMachineOf}
   * links only the classes its specs carry (or its `classes` option names);
   * {@link createMachine} fills in any that is missing. Never passed to the device model.
   */
  readonly deviceClass?: DeviceClass<'net'>;
}

/**
 * A virtio-blk disk (virtio 1.2 §5.2) over `backend` (`MemoryBlockBackend`, or
 * `FileBlockBackend` from `@libos/virtio/node`). Device model options (block size,
 * serial, read-only, limits) sit at the top level. The driver's ring defaults to
 * `min(128, queueSize)`.
 *
 * @example
 * ```ts
 * import { MemoryBlockBackend, type BlkDeviceSpec } from '@libos/virtio';
 * const disk: BlkDeviceSpec = {
 *   kind: 'blk',
 *   backend: new MemoryBlockBackend(new Uint8Array(1 << 20)),
 *   serial: 'disk-0',
 * };
 * ```
 */
export interface BlkDeviceSpec extends BlockDeviceModelOptions {
  /** Discriminant: a block device. */
  readonly kind: 'blk';
  /** Where the disk's bytes live. */
  readonly backend: BlockBackend;
  /** Options of the guest driver (ring size, largest transfer, bounce buffers). */
  readonly driver?: Omit<VirtioBlockDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;
  /**
   * What builds the device: set by `blkDevice()` to `blkDeviceClass`. {@link createMachineOf}
   * links only the classes its specs carry (or its `classes` option names);
   * {@link createMachine} fills in any that is missing. Never passed to the device model.
   */
  readonly deviceClass?: DeviceClass<'blk'>;
}

/**
 * A virtio entropy device (virtio 1.2 §5.4) fed by `source` (`HostEntropy`, or
 * `SeededEntropy` for reproducible runs). Device model options (queue size, per-request
 * cap) sit at the top level.
 *
 * @example
 * ```ts
 * import { SeededEntropy } from '@libos/sched';
 * import type { RngDeviceSpec } from '@libos/virtio';
 * const rng: RngDeviceSpec = { kind: 'rng', source: new SeededEntropy(7), driver: { poolSize: 8192 } };
 * ```
 */
export interface RngDeviceSpec extends EntropyDeviceModelOptions {
  /** Discriminant: an entropy device. */
  readonly kind: 'rng';
  /** Where the device's random bytes come from. */
  readonly source: EntropySource;
  /** Options of the guest driver (pool and request sizes, failure callback). */
  readonly driver?: Omit<EntropyDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;
  /**
   * What builds the device: set by `rngDevice()` to `rngDeviceClass`. {@link createMachineOf}
   * links only the classes its specs carry (or its `classes` option names);
   * {@link createMachine} fills in any that is missing. Never passed to the device model.
   */
  readonly deviceClass?: DeviceClass<'rng'>;
}

/**
 * A single-port virtio console (virtio 1.2 §5.3). What the guest writes goes to
 * `output` (a lent view: copy it to keep it); host input goes in through the handle's
 * `model.input(bytes)`. Device model options (`size` offers VIRTIO_CONSOLE_F_SIZE,
 * queue size, input capacity) sit at the top level.
 *
 * @example
 * ```ts
 * import type { ConsoleDeviceSpec } from '@libos/virtio';
 * const tty: ConsoleDeviceSpec = {
 *   kind: 'console',
 *   output: (bytes) => process.stdout.write(bytes.slice()),
 *   size: { cols: 80, rows: 25 },
 * };
 * ```
 */
export interface ConsoleDeviceSpec extends ConsoleDeviceModelOptions {
  /** Discriminant: a console. */
  readonly kind: 'console';
  /** Receives guest output, in order; `bytes` is valid only during the call. */
  readonly output: (bytes: Uint8Array) => void;
  /** Options of the guest driver (buffer geometry, `onData`, `onResize`, failure callback). */
  readonly driver?: Omit<ConsoleDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;
  /**
   * What builds the device: set by `consoleDevice()` to `consoleDeviceClass`. {@link createMachineOf}
   * links only the classes its specs carry (or its `classes` option names);
   * {@link createMachine} fills in any that is missing. Never passed to the device model.
   */
  readonly deviceClass?: DeviceClass<'console'>;
}

/**
 * One device of a machine, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { DeviceSpec } from '@libos/virtio';
 * const specs: DeviceSpec[] = [{ kind: 'rng', source: new SeededEntropy(1) }];
 * ```
 */
export type DeviceSpec = NetDeviceSpec | BlkDeviceSpec | RngDeviceSpec | ConsoleDeviceSpec;

/**
 * The kinds of device a machine can hold.
 *
 * @example
 * ```ts
 * import type { DeviceKind } from '@libos/virtio';
 * const kinds: DeviceKind[] = ['net', 'blk', 'rng', 'console'];
 * ```
 */
export type DeviceKind = DeviceSpec['kind'];

/**
 * The spec type of a device kind.
 *
 * @example
 * ```ts
 * import type { SpecOfKind } from '@libos/virtio';
 * type Disk = SpecOfKind<'blk'>; // BlkDeviceSpec
 * ```
 */
export type SpecOfKind<K extends DeviceKind> = Extract<
  DeviceSpec,
  {
    /** The kind asked for. */
    readonly kind: K;
  }
>;

/**
 * `S` with every property its kind's spec does not declare turned into `never`, so
 * that a misplaced option (a disk's `serial` on a network card, a typo) is a type
 * error even where TypeScript's excess-property check does not apply (inferred tuples).
 *
 * @example
 * ```ts
 * import type { ExactSpec } from '@libos/virtio';
 * type Bad = ExactSpec<{ kind: 'net'; backend: NetDevice; serial: string }>; // serial: never
 * ```
 */
export type ExactSpec<S> = S extends {
  /** The spec's kind. */
  readonly kind: infer K extends DeviceKind;
}
  ? S & { readonly [P in Exclude<keyof S, keyof SpecOfKind<K>>]: never }
  : S;

/**
 * {@link ExactSpec} applied to every element of a tuple of specs.
 *
 * @example
 * ```ts
 * import type { ExactSpecs, NetDeviceSpec } from '@libos/virtio';
 * type Checked = ExactSpecs<readonly [NetDeviceSpec]>;
 * ```
 */
export type ExactSpecs<T extends readonly DeviceSpec[]> = {
  readonly [I in keyof T]: ExactSpec<T[I]>;
};
