/**
 * Device status field bits (virtio 1.2 §2.1). The driver sets them in order during
 * initialisation (§3.1.1); the device sets {@link DeviceStatus.DEVICE_NEEDS_RESET}.
 *
 * @example
 * ```ts
 * import { DeviceStatus } from '@libos/virtio';
 * const ready = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK;
 * ```
 */
export const DeviceStatus = {
  /** The guest OS has found the device and recognised it as a valid virtio device. */
  ACKNOWLEDGE: 1,
  /** The guest OS knows how to drive the device. */
  DRIVER: 2,
  /** The driver is set up and ready to drive the device. */
  DRIVER_OK: 4,
  /** The driver has acknowledged all the features it understands; negotiation is complete. */
  FEATURES_OK: 8,
  /** The device has experienced an error from which it cannot recover. */
  DEVICE_NEEDS_RESET: 64,
  /** Something went wrong in the guest; the driver has given up on the device. */
  FAILED: 128,
} as const;

/**
 * Names of the status bits set in `status`, lowest bit first — for boot logs and errors.
 * Unknown bits are reported as `bit<N>`.
 *
 * @example
 * ```ts
 * import { describeDeviceStatus } from '@libos/virtio';
 * describeDeviceStatus(0x0f); // ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK']
 * ```
 */
export function describeDeviceStatus(status: number): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 8; bit++) {
    const mask = 1 << bit;
    if ((status & mask) === 0) continue;
    const entry = Object.entries(DeviceStatus).find(([, value]) => value === mask);
    names.push(entry ? entry[0] : `bit${bit}`);
  }
  return names;
}
