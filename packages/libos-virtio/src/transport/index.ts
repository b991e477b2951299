/**
 * The libos virtio-mmio transport (virtio 1.2 §4.2) over shared guest memory: the
 * register block and trap protocol, the driver side, the device side, and the inline
 * and worker links that carry doorbells and interrupts between them.
 *
 * @module
 */
export { AtomicsLink, type AtomicsLinkOptions } from './atomics-link.js';
export {
  MMIO_BLOCK_SIZE,
  MMIO_CONFIG_CAPACITY,
  MMIO_MAX_QUEUES,
  MmioDoorbell,
} from './block-layout.js';
export type { MmioDeviceHandlers, MmioDeviceOptions } from './device-options.js';
export { MmioDeviceTransport } from './device-transport.js';
export { initializeDevice, type MmioInitOptions, type MmioInitResult } from './driver-init.js';
export type { MmioDriverHandlers, MmioDriverOptions } from './driver-options.js';
export {
  type MmioDeviceIdentity,
  MmioDriverTransport,
  type MmioQueueSetup,
} from './driver-transport.js';
export type { DriverViolation, DriverViolationCode } from './driver-violation.js';
export { InlineLink } from './inline-link.js';
export type { MmioQueueConfig, MmioRingAddresses, QueueViolationReport } from './queue-config.js';
export { TransportError, type TransportErrorCode } from './transport-error.js';
export type { LinkWatch, TransportLink } from './transport-link.js';
