/**
 * @libos/fs — the libos storage stack.
 *
 * Today: the {@link BlockDevice} interface every disk implements (the consumer owns the
 * interface; @libos/virtio's blk driver conforms to it), its typed errors and the
 * request validation every implementation shares, and a RAM disk. FAT and the node:fs-like API build
 * on these.
 *
 * @packageDocumentation
 */
export type { BlockDevice } from './block-device.js';
export { BlockDeviceError, type BlockDeviceErrorCode } from './block-device-error.js';
export { checkBlockRequest, checkDiscardRequest } from './check-block-request.js';
export { RamDisk, type RamDiskOptions } from './ram-disk.js';
