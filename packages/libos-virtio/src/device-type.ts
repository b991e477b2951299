/**
 * Virtio device IDs (virtio 1.2 §5, table "Device ID"): the value of the DeviceID
 * register that tells a driver which kind of device it faces. Only the device types
 * libos drives or models are listed.
 *
 * @example
 * ```ts
 * import { DeviceType } from '@libos/virtio';
 * if (deviceId === DeviceType.NET) console.log('a network card');
 * ```
 */
export const DeviceType = {
  /** Network card (§5.1). */
  NET: 1,
  /** Block device (§5.2). */
  BLOCK: 2,
  /** Console (§5.3). */
  CONSOLE: 3,
  /** Entropy source (§5.4). */
  ENTROPY: 4,
} as const;

/**
 * One of the device IDs in {@link DeviceType}.
 *
 * @example
 * ```ts
 * import type { DeviceTypeId } from '@libos/virtio';
 * const id: DeviceTypeId = 2; // block
 * ```
 */
export type DeviceTypeId = (typeof DeviceType)[keyof typeof DeviceType];
