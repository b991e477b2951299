import type { GuestMemory } from '@libos/mem';
import type { DeviceModelPlacement } from '../core/device-model-core.js';
import type { TransportLink } from '../transport/transport-link.js';
import type { AnyDeviceClass } from './device-class.js';
import type { DeviceHandle } from './device-handle.js';
import type { DeviceSpec } from './device-spec.js';
import type { TrackingDmaAllocator } from './tracking-dma.js';

/** A device model built by its class, not yet paired with its driver. */
export interface AttachedModel {
  /** What built it (and opens its driver). */
  readonly deviceClass: AnyDeviceClass;
  /** The spec it was built from. */
  readonly spec: DeviceSpec;
  /** The model. */
  readonly model: DeviceHandle['model'];
}

/**
 * Builds the device model of `spec` with its class on its register block; does not
 * start it.
 *
 * @throws whatever the model's constructor throws for bad options
 */
export function createModel(
  deviceClass: AnyDeviceClass,
  spec: DeviceSpec,
  placement: DeviceModelPlacement,
): AttachedModel {
  // The machine checked that the class builds the spec's kind.
  return { deviceClass, spec, model: deviceClass.createModel(spec as never, placement) };
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

/** An opened driver with its place, without a device model. */
export type OpenedDriver = {
  readonly [K in DeviceHandle['kind']]: Omit<Extract<DeviceHandle, { readonly kind: K }>, 'model'>;
}[DeviceHandle['kind']];

/**
 * Opens the guest driver of a device with its class at its register block (shared by
 * every machine mode). `queueMax` is the device's largest queue; the class derives the
 * driver's ring size from it.
 *
 * @throws whatever the driver's `open` throws
 */
export async function openGuestDriver(
  deviceClass: AnyDeviceClass,
  options: DeviceSpec['driver'],
  queueMax: number,
  placement: DriverPlacement,
): Promise<OpenedDriver> {
  const { memory, dma, base, link, index } = placement;
  // The options are the `driver` options of a spec of the class's kind.
  const driver = await deviceClass.openDriver(options as never, queueMax, {
    memory,
    dma,
    base,
    link,
  });
  // The class of kind K opens the driver of kind K.
  return { kind: deviceClass.kind, index, base, driver } as OpenedDriver;
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
  const opened = await openGuestDriver(
    attached.deviceClass,
    attached.spec.driver,
    queueMax,
    placement,
  );
  // The opened driver has the attached model's kind (both come from one class).
  return { ...opened, model: attached.model } as DeviceHandle;
}
