/**
 * Byte offsets of the virtio-blk configuration fields libos uses (virtio 1.2 §5.2.4,
 * `struct virtio_blk_config`, packed, little-endian):
 *
 * ```text
 *  0x00 le64 capacity              (512-byte sectors, always)
 *  0x08 le32 size_max              0x0c le32 seg_max
 *  0x10 le16 cylinders  u8 heads  u8 sectors          (geometry)
 *  0x14 le32 blk_size
 *  0x18 u8 physical_block_exp  u8 alignment_offset  le16 min_io_size  le32 opt_io_size
 *  0x20 u8 writeback  u8 unused0  le16 num_queues
 *  0x24 le32 max_discard_sectors   0x28 le32 max_discard_seg
 *  0x2c le32 discard_sector_alignment
 *  0x30 le32 max_write_zeroes_sectors  0x34 le32 max_write_zeroes_seg
 *  0x38 u8 write_zeroes_may_unmap  u8 unused1[3]                       → 0x3c
 * ```
 *
 * @example
 * ```ts
 * import { BlkConfigOffset } from '@libos/virtio';
 * const blkSize = transport.readConfig(BlkConfigOffset.BLK_SIZE, 4);
 * ```
 */
export const BlkConfigOffset = {
  /** le64 capacity in 512-byte sectors. */
  CAPACITY: 0x00,
  /** le32 size_max: largest data segment in bytes (VIRTIO_BLK_F_SIZE_MAX). */
  SIZE_MAX: 0x08,
  /** le32 seg_max: most data segments per request (VIRTIO_BLK_F_SEG_MAX). */
  SEG_MAX: 0x0c,
  /** le32 blk_size: the disk's logical block size (VIRTIO_BLK_F_BLK_SIZE). */
  BLK_SIZE: 0x14,
  /** le32 max_discard_sectors, per segment (VIRTIO_BLK_F_DISCARD). */
  MAX_DISCARD_SECTORS: 0x24,
  /** le32 max_discard_seg, per request (VIRTIO_BLK_F_DISCARD). */
  MAX_DISCARD_SEG: 0x28,
  /** le32 discard_sector_alignment, in 512-byte sectors (VIRTIO_BLK_F_DISCARD). */
  DISCARD_SECTOR_ALIGNMENT: 0x2c,
} as const;

/**
 * Size of the configuration space libos devices expose: everything up to and including
 * the write-zeroes fields (§5.2.4).
 *
 * @example
 * ```ts
 * import { BLK_CONFIG_SIZE } from '@libos/virtio';
 * const config = new Uint8Array(BLK_CONFIG_SIZE);
 * ```
 */
export const BLK_CONFIG_SIZE = 0x3c;

/**
 * The virtio-blk configuration fields libos reads and writes (§5.2.4). Values are in
 * the spec's units: `capacity` in 512-byte sectors.
 *
 * @example
 * ```ts
 * import { type BlkConfig, encodeBlkConfig } from '@libos/virtio';
 * const config: BlkConfig = {
 *   capacity: 2048n, sizeMax: 1 << 20, segMax: 126, blkSize: 512,
 *   maxDiscardSectors: 2048, maxDiscardSeg: 1, discardSectorAlignment: 1,
 * };
 * const bytes = encodeBlkConfig(config);
 * ```
 */
export interface BlkConfig {
  /** Capacity in 512-byte sectors (u64). */
  readonly capacity: bigint;
  /** Largest data segment in bytes. */
  readonly sizeMax: number;
  /** Most data segments in one request. */
  readonly segMax: number;
  /** Logical block size in bytes. */
  readonly blkSize: number;
  /** Most 512-byte sectors one discard segment may cover. */
  readonly maxDiscardSectors: number;
  /** Most segments in one discard request. */
  readonly maxDiscardSeg: number;
  /** Discard segments start (and span) multiples of this many 512-byte sectors. */
  readonly discardSectorAlignment: number;
}

/**
 * Encodes a {@link BlkConfig} as the device's configuration space (§5.2.4), unused
 * fields zero.
 *
 * @param config - the field values
 * @returns {@link BLK_CONFIG_SIZE} bytes
 * @example
 * ```ts
 * import { encodeBlkConfig } from '@libos/virtio';
 * const bytes = encodeBlkConfig({ capacity: 8n, sizeMax: 4096, segMax: 1, blkSize: 512,
 *   maxDiscardSectors: 0, maxDiscardSeg: 0, discardSectorAlignment: 0 });
 * ```
 */
export function encodeBlkConfig(config: BlkConfig): Uint8Array {
  const bytes = new Uint8Array(BLK_CONFIG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(BlkConfigOffset.CAPACITY, config.capacity, true);
  view.setUint32(BlkConfigOffset.SIZE_MAX, config.sizeMax, true);
  view.setUint32(BlkConfigOffset.SEG_MAX, config.segMax, true);
  view.setUint32(BlkConfigOffset.BLK_SIZE, config.blkSize, true);
  view.setUint32(BlkConfigOffset.MAX_DISCARD_SECTORS, config.maxDiscardSectors, true);
  view.setUint32(BlkConfigOffset.MAX_DISCARD_SEG, config.maxDiscardSeg, true);
  view.setUint32(BlkConfigOffset.DISCARD_SECTOR_ALIGNMENT, config.discardSectorAlignment, true);
  return bytes;
}

/**
 * Decodes a virtio-blk configuration space (at least {@link BLK_CONFIG_SIZE} bytes).
 *
 * @param bytes - the configuration space as read through the transport
 * @returns the fields
 * @throws RangeError when `bytes` is shorter than {@link BLK_CONFIG_SIZE}
 * @example
 * ```ts
 * import { BLK_CONFIG_SIZE, decodeBlkConfig } from '@libos/virtio';
 * const config = decodeBlkConfig(transport.readConfig(0, BLK_CONFIG_SIZE));
 * ```
 */
export function decodeBlkConfig(bytes: Uint8Array): BlkConfig {
  if (bytes.length < BLK_CONFIG_SIZE) {
    throw new RangeError(`a virtio-blk config is ${BLK_CONFIG_SIZE} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    capacity: view.getBigUint64(BlkConfigOffset.CAPACITY, true),
    sizeMax: view.getUint32(BlkConfigOffset.SIZE_MAX, true),
    segMax: view.getUint32(BlkConfigOffset.SEG_MAX, true),
    blkSize: view.getUint32(BlkConfigOffset.BLK_SIZE, true),
    maxDiscardSectors: view.getUint32(BlkConfigOffset.MAX_DISCARD_SECTORS, true),
    maxDiscardSeg: view.getUint32(BlkConfigOffset.MAX_DISCARD_SEG, true),
    discardSectorAlignment: view.getUint32(BlkConfigOffset.DISCARD_SECTOR_ALIGNMENT, true),
  };
}
