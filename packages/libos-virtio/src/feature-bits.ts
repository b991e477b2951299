/**
 * Device-independent feature bits (virtio 1.2 §6, "Reserved Feature Bits"). Feature
 * words are 64 bits wide, so libos handles them as `bigint` bit sets.
 *
 * @example
 * ```ts
 * import { FeatureBit, featureMask } from '@libos/virtio';
 * const offered = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX);
 * ```
 */
export const FeatureBit = {
  /** Driver can use descriptors with VIRTQ_DESC_F_INDIRECT (§2.7.5.3). */
  INDIRECT_DESC: 28,
  /** Enables the `used_event` and `avail_event` fields (§2.7.7, §2.7.10). */
  EVENT_IDX: 29,
  /** Compliance with virtio 1.x; a driver that does not accept it is legacy (§6). */
  VERSION_1: 32,
  /** The device is behind an IOMMU or similar platform translation (§6). */
  ACCESS_PLATFORM: 33,
  /** Support for the packed virtqueue layout (§2.8). */
  RING_PACKED: 34,
  /** Buffers are used by the device in the order they are made available (§6). */
  IN_ORDER: 35,
  /** Memory accesses need platform-specific ordering (§6). */
  ORDER_PLATFORM: 36,
  /** The device supports single-root I/O virtualization (§6). */
  SR_IOV: 37,
  /** The driver passes extra data in its device notifications (§2.9). */
  NOTIFICATION_DATA: 38,
  /** The driver uses data provided by the device as a virtqueue identifier (§6). */
  NOTIF_CONFIG_DATA: 39,
  /** The driver can reset a queue individually (§2.6.1). */
  RING_RESET: 40,
} as const;

/**
 * Builds a 64-bit feature set from bit numbers.
 *
 * @throws RangeError if a bit is not an integer in 0..63.
 * @example
 * ```ts
 * import { FeatureBit, featureMask } from '@libos/virtio';
 * featureMask(FeatureBit.VERSION_1); // 0x1_0000_0000n
 * ```
 */
export function featureMask(...bits: number[]): bigint {
  let mask = 0n;
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit > 63) {
      throw new RangeError(`feature bit ${bit} is outside 0..63`);
    }
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/**
 * Whether feature `bit` is set in `features`.
 *
 * @example
 * ```ts
 * import { FeatureBit, featureMask, hasFeature } from '@libos/virtio';
 * hasFeature(featureMask(FeatureBit.EVENT_IDX), FeatureBit.EVENT_IDX); // true
 * ```
 */
export function hasFeature(features: bigint, bit: number): boolean {
  return ((features >> BigInt(bit)) & 1n) === 1n;
}

/**
 * The feature set a driver writes back (§3.1.1 step 5): the bits both sides support.
 * Throws when the device does not offer VIRTIO_F_VERSION_1: libos implements no legacy
 * interface, and a driver without legacy support must not use such a device (§6).
 *
 * @throws RangeError if either set is not a 64-bit unsigned value, or the device lacks VERSION_1.
 * @example
 * ```ts
 * import { FeatureBit, featureMask, negotiateFeatures } from '@libos/virtio';
 * const device = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX, FeatureBit.RING_PACKED);
 * const driver = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX);
 * negotiateFeatures(device, driver) === driver; // true
 * ```
 */
export function negotiateFeatures(deviceFeatures: bigint, driverSupported: bigint): bigint {
  for (const value of [deviceFeatures, driverSupported]) {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw new RangeError(`feature set 0x${value.toString(16)} is not a 64-bit unsigned value`);
    }
  }
  if (!hasFeature(deviceFeatures, FeatureBit.VERSION_1)) {
    throw new RangeError(
      'device does not offer VIRTIO_F_VERSION_1; legacy devices are not supported',
    );
  }
  return deviceFeatures & driverSupported;
}
