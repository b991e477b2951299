/**
 * @libos/mem — guest memory, page and DMA allocators, packet buffer pools, byte rings
 * and byte-order helpers.
 *
 * @packageDocumentation
 */

export {
  BuddyPageAllocator,
  type BuddyPageAllocatorOptions,
  type FreeBlock,
  orderForPages,
  PAGE_SIZE,
  type PageAllocatorStats,
} from './buddy-page-allocator.js';
export {
  BufferPool,
  type BufferPoolOptions,
  PoolBuffer,
} from './buffer-pool.js';
export {
  readU8,
  readU16BE,
  readU16LE,
  readU32BE,
  readU32LE,
  readU64BE,
  readU64LE,
  writeU8,
  writeU16BE,
  writeU16LE,
  writeU32BE,
  writeU32LE,
  writeU64BE,
  writeU64LE,
} from './byte-order.js';
export { ByteRing } from './byte-ring.js';
export {
  DmaAllocator,
  type DmaAllocatorOptions,
  type DmaAllocatorStats,
  type DmaRegion,
} from './dma-allocator.js';
export {
  AllocatorError,
  type AllocatorErrorCode,
  ByteRingError,
  type ByteRingErrorCode,
  GuestMemoryError,
  type GuestMemoryErrorCode,
} from './errors.js';
export { GuestMemory, type GuestMemoryOptions, type WaitResult } from './guest-memory.js';
export type { AllocatorStats } from './stats.js';
