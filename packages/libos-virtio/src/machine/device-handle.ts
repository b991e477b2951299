import type { BlockDeviceModel } from '../devices/blk/block-device-model.js';
import type { VirtioBlockDriver } from '../devices/blk/virtio-block-driver.js';
import type { ConsoleDeviceModel } from '../devices/console/console-device-model.js';
import type { ConsoleDriver } from '../devices/console/console-driver.js';
import type { VirtioNetDeviceModel } from '../devices/net/net-device-model.js';
import type { VirtioNetDriver } from '../devices/net/net-driver.js';
import type { EntropyDeviceModel } from '../devices/rng/entropy-device-model.js';
import type { EntropyDriver } from '../devices/rng/entropy-driver.js';
import type { DeviceKind, DeviceSpec } from './device-spec.js';

/**
 * What every device handle of a {@link Machine} carries.
 *
 * @typeParam K - the device kind
 * @typeParam D - the guest driver's type
 * @typeParam M - the device model's type
 * @example
 * ```ts
 * import type { DeviceHandleOf, VirtioNetDeviceModel, VirtioNetDriver } from '@libos/virtio';
 * type Nic = DeviceHandleOf<'net', VirtioNetDriver, VirtioNetDeviceModel>;
 * ```
 */
export interface DeviceHandleOf<K extends DeviceKind, D, M> {
  /** The device kind, as in its spec. */
  readonly kind: K;
  /** Position of the device in `devices` (and of its register block). */
  readonly index: number;
  /** Guest address of the device's 4 KiB register block. */
  readonly base: number;
  /** The guest side: an opened driver. */
  readonly driver: D;
  /** The host side: the started device model. */
  readonly model: M;
}

/**
 * A network card of a machine: `driver` is a `NetDevice` for the guest stack.
 *
 * @example
 * ```ts
 * const [nic] = machine.devices; // NetHandle
 * nic.driver.transmit(60, (frame) => frame.fill(0xff, 0, 6));
 * ```
 */
export type NetHandle = DeviceHandleOf<'net', VirtioNetDriver, VirtioNetDeviceModel>;

/**
 * A disk of a machine: `driver` is a `BlockDevice` for the guest file system.
 *
 * @example
 * ```ts
 * const disk = machine.device('blk'); // BlkHandle
 * await disk.driver.read(0, new Uint8Array(disk.driver.sectorSize));
 * ```
 */
export type BlkHandle = DeviceHandleOf<'blk', VirtioBlockDriver, BlockDeviceModel>;

/**
 * An entropy device of a machine: `driver` is an `EntropySource`.
 *
 * @example
 * ```ts
 * const rng = machine.device('rng'); // RngHandle
 * rng.driver.fill(new Uint8Array(32));
 * ```
 */
export type RngHandle = DeviceHandleOf<'rng', EntropyDriver, EntropyDeviceModel>;

/**
 * A console of a machine: the guest writes through `driver`, the host types through
 * `model.input(bytes)`.
 *
 * @example
 * ```ts
 * const tty = machine.device('console'); // ConsoleHandle
 * tty.model.input(new TextEncoder().encode('ls\n'));
 * await tty.driver.write(new TextEncoder().encode('$ '));
 * ```
 */
export type ConsoleHandle = DeviceHandleOf<'console', ConsoleDriver, ConsoleDeviceModel>;

/**
 * Any device handle, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { DeviceHandle } from '@libos/virtio';
 * function describe(h: DeviceHandle): string {
 *   return `${h.kind}@0x${h.base.toString(16)}`;
 * }
 * ```
 */
export type DeviceHandle = NetHandle | BlkHandle | RngHandle | ConsoleHandle;

/**
 * The handle type of a device kind.
 *
 * @example
 * ```ts
 * import type { HandleOfKind } from '@libos/virtio';
 * type Disk = HandleOfKind<'blk'>; // BlkHandle
 * ```
 */
export type HandleOfKind<K extends DeviceKind> = Extract<
  DeviceHandle,
  {
    /** The kind asked for. */
    readonly kind: K;
  }
>;

/**
 * The handle type a device spec produces (`never` for anything that is not a spec).
 *
 * @example
 * ```ts
 * import type { HandleOf, NetDeviceSpec } from '@libos/virtio';
 * type Nic = HandleOf<NetDeviceSpec>; // NetHandle
 * ```
 */
export type HandleOf<S> = S extends {
  /** The spec's kind. */
  readonly kind: infer K extends DeviceKind;
}
  ? HandleOfKind<K>
  : never;

/**
 * The tuple of handles a tuple of specs produces, element by element:
 * `[NetDeviceSpec, BlkDeviceSpec]` → `readonly [NetHandle, BlkHandle]`.
 *
 * @example
 * ```ts
 * import type { BlkDeviceSpec, HandlesOf, NetDeviceSpec } from '@libos/virtio';
 * type Handles = HandlesOf<readonly [NetDeviceSpec, BlkDeviceSpec]>;
 * ```
 */
export type HandlesOf<T extends readonly DeviceSpec[]> = {
  readonly [I in keyof T]: HandleOf<T[I]>;
};
