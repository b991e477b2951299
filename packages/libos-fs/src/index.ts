/**
 * @libos/fs — the libos storage stack.
 *
 * - Block layer: the {@link BlockDevice} interface every disk implements (the consumer
 *   owns the interface; @libos/virtio's blk driver conforms to it), its typed errors, the
 *   request validation every implementation shares, a RAM disk, and wrappers (write-back
 *   cache, partitions, faults, power loss, tracing).
 * - FAT12/16/32 with long names: format, mount, check.
 * - A `node:fs/promises`-shaped {@link FileSystem} over a mount table of {@link Volume}s.
 *
 * @packageDocumentation
 */

export * from './api/index.js';
export * from './block/index.js';
export type { BlockDevice } from './block-device.js';
export { BlockDeviceError, type BlockDeviceErrorCode } from './block-device-error.js';
export { checkBlockRequest, checkDiscardRequest } from './check-block-request.js';
export * from './fat/index.js';
export {
  type CorruptionKind,
  FsCorruptionError,
  FsError,
  type FsErrorCode,
} from './fs-error.js';
export { RamDisk, type RamDiskOptions } from './ram-disk.js';
export type {
  NodeType,
  Volume,
  VolumeDirEntry,
  VolumeFile,
  VolumeOpenOptions,
  VolumeSpace,
  VolumeStat,
} from './volume.js';
export type { WallClock } from './wall-clock.js';
