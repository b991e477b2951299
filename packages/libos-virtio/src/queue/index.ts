/**
 * Split virtqueues (virtio 1.2 §2.7): queue memory, the driver side, the device side.
 */
export type { BufferSegment } from './buffer-segment.js';
export { type ChainSegment, DescriptorChain } from './descriptor-chain.js';
export { vringNeedEvent } from './need-event.js';
export { allocateSplitQueue, freeSplitQueue } from './queue-memory.js';
export type { QueueViolation, QueueViolationCode } from './queue-violation.js';
export {
  SplitQueueDevice,
  type SplitQueueDeviceOptions,
  type SplitQueueDeviceStats,
} from './split-queue-device.js';
export {
  SplitQueueDriver,
  type SplitQueueDriverOptions,
  type SplitQueueDriverStats,
  type UsedCallback,
} from './split-queue-driver.js';
export type { SplitQueueAddresses, SplitQueueFeatures } from './split-queue-options.js';
export { VirtqueueError, type VirtqueueErrorCode } from './virtqueue-error.js';
