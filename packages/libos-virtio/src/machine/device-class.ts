import type { DmaAllocator, GuestMemory } from '@libos/mem';
import type { DeviceModelPlacement } from '../core/device-model-core.js';
import type { TransportLink } from '../transport/transport-link.js';
import type { HandleOfKind } from './device-handle.js';
import type { DeviceKind, SpecOfKind } from './device-spec.js';

/**
 * Where a {@link DeviceClass} opens its guest driver: the machine's guest memory, DMA
 * allocator and link, and the device's register block.
 *
 * @example
 * ```ts
 * import type { DeviceDriverPlacement } from '@libos/virtio';
 * const where: DeviceDriverPlacement = { memory, dma, base: 0x1000, link };
 * ```
 */
export interface DeviceDriverPlacement {
  /** Guest memory shared with the device model. */
  readonly memory: GuestMemory;
  /** Where the driver's rings and buffers come from. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's 4 KiB register block. */
  readonly base: number;
  /** Doorbells between the driver and the device model. */
  readonly link: TransportLink;
}

/**
 * Everything a machine needs to hold one kind of virtio device: how to build its device
 * model from a spec, how to open its guest driver, and what the boot log says about it.
 * One object per kind lives next to the device (`netDeviceClass`, `blkDeviceClass`,
 * `rngDeviceClass`, `consoleDeviceClass`); a machine links the classes its specs carry
 * (see {@link createMachineOf} and `netDevice()`), so a bundle without a disk holds no
 * virtio-blk code. (Named "class" because {@link DeviceType} already names the virtio
 * device IDs.)
 *
 * @typeParam K - the device kind it builds
 * @example
 * ```ts
 * import { netDeviceClass } from '@libos/virtio';
 * netDeviceClass.kind; // 'net'
 * netDeviceClass.name; // 'virtio-net'
 * ```
 */
export interface DeviceClass<K extends DeviceKind> {
  /** The kind of spec it accepts and handle it makes. */
  readonly kind: K;
  /** The device's name in boot lines (`virtio-net`). */
  readonly name: string;
  /**
   * The device-specific feature bits by name (e.g. `VirtioNetFeature`), for the boot
   * log; the generic bits (`FeatureBit`) are added by the machine.
   */
  readonly featureNames: Readonly<Record<string, number>>;

  /**
   * Builds the device model of `spec` on its register block; does not start it.
   *
   * @param spec - the device spec (its `kind` is this class's)
   * @param placement - guest memory, register block and link
   * @returns the model, not started
   * @throws whatever the model's constructor throws for bad options
   * @example
   * ```ts
   * const model = netDeviceClass.createModel({ kind: 'net', backend }, { memory, base, link });
   * model.start();
   * ```
   */
  createModel(spec: SpecOfKind<K>, placement: DeviceModelPlacement): HandleOfKind<K>['model'];

  /**
   * Opens the guest driver against the device at `placement.base` (§3.1.1
   * initialisation). `queueMax` is the device's largest queue; the class picks the
   * driver's ring size from it unless `options.queueSize` says otherwise.
   *
   * @param options - the spec's `driver` options, if any
   * @param queueMax - the device's largest queue size
   * @param placement - guest memory, DMA allocator, register block and link
   * @returns the opened driver
   * @throws whatever the driver's `open` throws
   * @example
   * ```ts
   * const driver = await netDeviceClass.openDriver(undefined, 256, { memory, dma, base, link });
   * ```
   */
  openDriver(
    options: SpecOfKind<K>['driver'] | undefined,
    queueMax: number,
    placement: DeviceDriverPlacement,
  ): Promise<HandleOfKind<K>['driver']>;

  /**
   * What a boot line says about an opened driver after its features and queues
   * (`mac 52:54:00:12:34:56, mtu 1500, link up`).
   *
   * @param driver - the opened driver
   * @returns the description
   * @example
   * ```ts
   * console.log(netDeviceClass.bootDetails(nic.driver));
   * ```
   */
  bootDetails(driver: HandleOfKind<K>['driver']): string;
}

/**
 * A {@link DeviceClass} of any kind: what {@link createMachineOf}'s `classes` option
 * holds.
 *
 * @example
 * ```ts
 * import { type AnyDeviceClass, blkDeviceClass, netDeviceClass } from '@libos/virtio';
 * const classes: AnyDeviceClass[] = [netDeviceClass, blkDeviceClass];
 * ```
 */
export type AnyDeviceClass = { readonly [K in DeviceKind]: DeviceClass<K> }[DeviceKind];
