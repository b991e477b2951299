export {
  BLK_CONFIG_SIZE,
  type BlkConfig,
  BlkConfigOffset,
  decodeBlkConfig,
  encodeBlkConfig,
} from './blk-config.js';
export {
  BLK_DISCARD_FLAG_UNMAP,
  BLK_DISCARD_SEGMENT_SIZE,
  BLK_HEADER_SIZE,
  BLK_ID_BYTES,
  BLK_SECTOR_SIZE,
  BlkFeature,
  BlkRequestType,
  BlkStatus,
} from './blk-constants.js';
export { blkDevice, blkDeviceClass } from './blk-device-class.js';
export type { BlockBackend } from './block-backend.js';
export {
  BlockDeviceModel,
  BlockDeviceModelError,
  type BlockDeviceModelOptions,
} from './block-device-model.js';
export { MemoryBlockBackend, type MemoryBlockBackendOptions } from './memory-block-backend.js';
export { VirtioBlockDriver, type VirtioBlockDriverOptions } from './virtio-block-driver.js';
