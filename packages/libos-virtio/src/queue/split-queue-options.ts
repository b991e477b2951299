/**
 * Guest-physical addresses of the three parts of a split virtqueue (virtio 1.2 §2.7):
 * what a driver writes to QueueDesc / QueueDriver / QueueDevice (§4.2.2).
 *
 * @example
 * ```ts
 * import type { SplitQueueAddresses } from '@libos/virtio';
 * const addresses: SplitQueueAddresses = { desc: 0x1000, avail: 0x2000, used: 0x3000 };
 * ```
 */
export interface SplitQueueAddresses {
  /** Descriptor table, 16-byte aligned. */
  readonly desc: number;
  /** Available ring (driver area), 2-byte aligned. */
  readonly avail: number;
  /** Used ring (device area), 4-byte aligned. */
  readonly used: number;
}

/**
 * The negotiated features that change how a split virtqueue behaves; both sides of a
 * queue must be built with the same values.
 *
 * @example
 * ```ts
 * import { FeatureBit, hasFeature, type SplitQueueFeatures } from '@libos/virtio';
 * const features: SplitQueueFeatures = {
 *   eventIdx: hasFeature(negotiated, FeatureBit.EVENT_IDX),
 *   indirect: hasFeature(negotiated, FeatureBit.INDIRECT_DESC),
 * };
 * ```
 */
export interface SplitQueueFeatures {
  /** VIRTIO_F_EVENT_IDX: `used_event` / `avail_event` replace the ring flags (§2.7.10). */
  readonly eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC: descriptors may point at indirect tables (§2.7.5.3). */
  readonly indirect: boolean;
}
