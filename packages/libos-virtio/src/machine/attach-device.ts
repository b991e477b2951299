import type { GuestMemory } from '@libos/mem';
import type { DeviceModelPlacement } from '../core/device-model-core.js';
import { BlockDeviceModel } from '../devices/blk/block-device-model.js';
import { VirtioBlockDriver } from '../devices/blk/virtio-block-driver.js';
import { ConsoleDeviceModel } from '../devices/console/console-device-model.js';
import { ConsoleDriver } from '../devices/console/console-driver.js';
import { VirtioNetDeviceModel } from '../devices/net/net-device-model.js';
import { VirtioNetDriver } from '../devices/net/net-driver.js';
import { EntropyDeviceModel } from '../devices/rng/entropy-device-model.js';
import { EntropyDriver } from '../devices/rng/entropy-driver.js';
import type { TransportLink } from '../transport/transport-link.js';
import type { DeviceHandle } from './device-handle.js';
import type {
  BlkDeviceSpec,
  ConsoleDeviceSpec,
  DeviceSpec,
  NetDeviceSpec,
  RngDeviceSpec,
} from './device-spec.js';
import type { TrackingDmaAllocator } from './tracking-dma.js';

/** A started device model, not yet paired with its driver. */
export type AttachedModel =
  | { readonly kind: 'net'; readonly spec: NetDeviceSpec; readonly model: VirtioNetDeviceModel }
  | { readonly kind: 'blk'; readonly spec: BlkDeviceSpec; readonly model: BlockDeviceModel }
  | { readonly kind: 'rng'; readonly spec: RngDeviceSpec; readonly model: EntropyDeviceModel }
  | {
      readonly kind: 'console';
      readonly spec: ConsoleDeviceSpec;
      readonly model: ConsoleDeviceModel;
    };

/** Picks the keys of `spec` that are device model options (drops kind, backend, driver). */
export function modelOptions<S extends { readonly kind: string }, K extends keyof S>(
  spec: S,
  drop: readonly K[],
): Omit<S, K | 'kind' | 'driver'> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'kind' || key === 'driver' || (drop as readonly string[]).includes(key)) continue;
    if (value !== undefined) out[key] = value;
  }
  return out as Omit<S, K | 'kind' | 'driver'>;
}

/**
 * Builds the device model of `spec` on its register block; does not start it.
 *
 * @throws whatever the model's constructor throws for bad options
 */
export function createModel(spec: DeviceSpec, placement: DeviceModelPlacement): AttachedModel {
  switch (spec.kind) {
    case 'net':
      return {
        kind: 'net',
        spec,
        model: new VirtioNetDeviceModel(placement, spec.backend, modelOptions(spec, ['backend'])),
      };
    case 'blk':
      return {
        kind: 'blk',
        spec,
        model: new BlockDeviceModel(placement, spec.backend, modelOptions(spec, ['backend'])),
      };
    case 'rng':
      return {
        kind: 'rng',
        spec,
        model: new EntropyDeviceModel(placement, spec.source, modelOptions(spec, ['source'])),
      };
    case 'console': {
      const output = spec.output;
      return {
        kind: 'console',
        spec,
        model: new ConsoleDeviceModel(
          placement,
          { output: (bytes) => output(bytes) },
          modelOptions(spec, ['output']),
        ),
      };
    }
  }
}

/** Where drivers are opened. */
export interface DriverPlacement {
  /** Guest memory. */
  readonly memory: GuestMemory;
  /** The machine's DMA allocator. */
  readonly dma: TrackingDmaAllocator;
  /** The register block. */
  readonly base: number;
  /** The machine's link. */
  readonly link: TransportLink;
  /** The device's position in `devices`. */
  readonly index: number;
}

/** The driver half of a spec: its kind, driver options and device queue maximum. */
export type DriverSpec =
  | { readonly kind: 'net'; readonly driver?: NetDeviceSpec['driver'] }
  | { readonly kind: 'blk'; readonly driver?: BlkDeviceSpec['driver'] }
  | { readonly kind: 'rng'; readonly driver?: RngDeviceSpec['driver'] }
  | { readonly kind: 'console'; readonly driver?: ConsoleDeviceSpec['driver'] };

/** An opened driver with its place, without a device model. */
export type OpenedDriver =
  | {
      readonly kind: 'net';
      readonly index: number;
      readonly base: number;
      readonly driver: VirtioNetDriver;
    }
  | {
      readonly kind: 'blk';
      readonly index: number;
      readonly base: number;
      readonly driver: VirtioBlockDriver;
    }
  | {
      readonly kind: 'rng';
      readonly index: number;
      readonly base: number;
      readonly driver: EntropyDriver;
    }
  | {
      readonly kind: 'console';
      readonly index: number;
      readonly base: number;
      readonly driver: ConsoleDriver;
    };

/**
 * Opens the guest driver of `spec` at its register block (shared by every machine
 * mode). `queueMax` is the device's largest queue: net rings default to it, blk rings
 * to `min(128, queueMax)`.
 *
 * @throws whatever the driver's `open` throws
 */
export async function openGuestDriver(
  spec: DriverSpec,
  queueMax: number,
  placement: DriverPlacement,
): Promise<OpenedDriver> {
  const { memory, dma, base, link, index } = placement;
  const where = { memory, dma, base, link };
  switch (spec.kind) {
    case 'net': {
      const queueSize = spec.driver?.queueSize ?? queueMax;
      const driver = await VirtioNetDriver.open({ ...spec.driver, queueSize, ...where });
      return { kind: 'net', index, base, driver };
    }
    case 'blk': {
      const queueSize = spec.driver?.queueSize ?? Math.min(128, queueMax);
      const driver = await VirtioBlockDriver.open({ ...spec.driver, queueSize, ...where });
      return { kind: 'blk', index, base, driver };
    }
    case 'rng':
      return {
        kind: 'rng',
        index,
        base,
        driver: await EntropyDriver.open({ ...spec.driver, ...where }),
      };
    case 'console':
      return {
        kind: 'console',
        index,
        base,
        driver: await ConsoleDriver.open({ ...spec.driver, ...where }),
      };
  }
}

/**
 * Opens the guest driver of an attached model and pairs them in a handle.
 *
 * @throws whatever the driver's `open` throws
 */
export async function openDriver(
  attached: AttachedModel,
  placement: DriverPlacement,
): Promise<DeviceHandle> {
  const queueMax = attached.model.core.transport.queue(0).maxSize;
  const opened = await openGuestDriver(attached.spec, queueMax, placement);
  // The opened driver has the attached model's kind (openGuestDriver keeps `kind`).
  return { ...opened, model: attached.model } as DeviceHandle;
}
