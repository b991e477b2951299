/**
 * @libos/virtio — the virtio 1.2 vocabulary libos speaks to devices with.
 *
 * Today: spec constants (device status, device types, feature bits, MMIO register
 * layout, split-ring flags) and feature negotiation / queue layout helpers. Virtqueues,
 * the transport, drivers and device models build on these.
 *
 * @packageDocumentation
 */

export * from './channel/index.js';
export * from './core/index.js';
export { DeviceStatus, describeDeviceStatus } from './device-status.js';
export { DeviceType, type DeviceTypeId } from './device-type.js';
export * from './devices/blk/index.js';
export * from './devices/console/index.js';
export * from './devices/net/index.js';
export * from './devices/rng/index.js';
export { FeatureBit, featureMask, hasFeature, negotiateFeatures } from './feature-bits.js';
export { dropUnmetFeatures, type FeatureDependency } from './feature-dependencies.js';
export * from './machine/index.js';
export { MMIO_MAGIC_VALUE, MMIO_VERSION, MmioInterrupt, MmioRegister } from './mmio-registers.js';
export * from './queue/index.js';
export {
  AVAIL_F_NO_INTERRUPT,
  DescriptorFlag,
  MAX_SPLIT_QUEUE_SIZE,
  type RingPart,
  type SplitQueueLayout,
  splitQueueLayout,
  USED_F_NO_NOTIFY,
} from './split-ring-layout.js';
export * from './transport/index.js';
