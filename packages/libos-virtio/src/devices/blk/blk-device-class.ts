import type { DeviceClass } from '../../machine/device-class.js';
import type { BlkDeviceSpec } from '../../machine/device-spec.js';
import { formatSize } from '../../machine/format.js';
import { modelOptions } from '../../machine/model-options.js';
import { BlkFeature } from './blk-constants.js';
import { BlockDeviceModel } from './block-device-model.js';
import { VirtioBlockDriver } from './virtio-block-driver.js';

/** Largest default ring of a virtio-blk driver (its request slots each hold a bounce buffer). */
const DEFAULT_BLK_DRIVER_QUEUE = 128;

/**
 * The virtio-blk {@link DeviceClass} (virtio 1.2 §5.2): builds a `BlockDeviceModel` over
 * the spec's backend and opens a `VirtioBlockDriver` whose ring defaults to
 * `min(128, queueSize)`. Specs made by {@link blkDevice} carry it.
 *
 * @example
 * ```ts
 * import { blkDeviceClass, createMachineOf, MemoryBlockBackend } from '@libos/virtio';
 * const backend = new MemoryBlockBackend(new Uint8Array(1 << 20));
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'blk', backend }],
 *   classes: [blkDeviceClass],
 * });
 * ```
 */
export const blkDeviceClass: DeviceClass<'blk'> = {
  kind: 'blk',
  name: 'virtio-blk',
  featureNames: BlkFeature,
  createModel: (spec, placement) =>
    new BlockDeviceModel(placement, spec.backend, modelOptions(spec, ['backend'])),
  openDriver: (options, queueMax, placement) =>
    VirtioBlockDriver.open({
      ...options,
      queueSize: options?.queueSize ?? Math.min(DEFAULT_BLK_DRIVER_QUEUE, queueMax),
      ...placement,
    }),
  bootDetails: (driver) =>
    `${driver.sectorCount} × ${driver.sectorSize}-byte sectors (${formatSize(driver.sectorCount * driver.sectorSize)}), ${driver.readOnly ? 'read-only' : 'read-write'}`,
};

/**
 * A virtio-blk {@link BlkDeviceSpec} that carries {@link blkDeviceClass}, so that
 * {@link createMachineOf} links the disk's model and driver and nothing else.
 *
 * @param spec - the disk's backend, device model options and `driver` options
 * @returns the spec, with `kind: 'blk'` and its device class
 * @example
 * ```ts
 * import { blkDevice, createMachineOf, MemoryBlockBackend } from '@libos/virtio';
 * const backend = new MemoryBlockBackend(new Uint8Array(1 << 20));
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [blkDevice({ backend, serial: 'disk-0' })],
 * });
 * const [disk] = machine.devices; // BlkHandle
 * ```
 */
export function blkDevice(spec: Omit<BlkDeviceSpec, 'kind' | 'deviceClass'>): BlkDeviceSpec {
  return { ...spec, kind: 'blk', deviceClass: blkDeviceClass };
}
