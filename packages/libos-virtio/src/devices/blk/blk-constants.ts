/**
 * virtio-blk feature bits (virtio 1.2 §5.2.3). Bit numbers, as in {@link FeatureBit}.
 *
 * @example
 * ```ts
 * import { BlkFeature, featureMask } from '@libos/virtio';
 * const wanted = featureMask(BlkFeature.BLK_SIZE, BlkFeature.FLUSH);
 * ```
 */
export const BlkFeature = {
  /** Maximum size of any single segment is in `size_max`. */
  SIZE_MAX: 1,
  /** Maximum number of segments in a request is in `seg_max`. */
  SEG_MAX: 2,
  /** Disk-style geometry is in `geometry`. */
  GEOMETRY: 4,
  /** The device is read-only. */
  RO: 5,
  /** Block size of the disk is in `blk_size`. */
  BLK_SIZE: 6,
  /** Cache flush command support (VIRTIO_BLK_T_FLUSH). */
  FLUSH: 9,
  /** Optimal I/O alignment is in the topology fields. */
  TOPOLOGY: 10,
  /** The driver can toggle writeback / writethrough in `writeback`. */
  CONFIG_WCE: 11,
  /** More than one request queue. */
  MQ: 12,
  /** Discard command support (VIRTIO_BLK_T_DISCARD), limits in the discard fields. */
  DISCARD: 13,
  /** Write zeroes command support. */
  WRITE_ZEROES: 14,
  /** Secure erase command support. */
  SECURE_ERASE: 16,
} as const;

/**
 * virtio-blk request types: the `type` field of a request header (virtio 1.2 §5.2.6).
 *
 * @example
 * ```ts
 * import { BlkRequestType } from '@libos/virtio';
 * const isWrite = (type: number) => type === BlkRequestType.OUT;
 * ```
 */
export const BlkRequestType = {
  /** Read sectors into the device-writable data buffers. */
  IN: 0,
  /** Write sectors from the device-readable data buffers. */
  OUT: 1,
  /** Make completed writes durable. */
  FLUSH: 4,
  /** Fetch the 20-byte device ID string. */
  GET_ID: 8,
  /** Fetch device lifetime metrics (not implemented by libos: UNSUPP). */
  GET_LIFETIME: 10,
  /** Discard ranges of sectors (segments of 16 bytes). */
  DISCARD: 11,
  /** Write zeroes to ranges of sectors (not implemented by libos: UNSUPP). */
  WRITE_ZEROES: 13,
  /** Securely erase ranges of sectors (not implemented by libos: UNSUPP). */
  SECURE_ERASE: 14,
} as const;

/**
 * The status byte the device writes last (virtio 1.2 §5.2.6).
 *
 * @example
 * ```ts
 * import { BlkStatus } from '@libos/virtio';
 * if (status !== BlkStatus.OK) throw new Error('I/O error');
 * ```
 */
export const BlkStatus = {
  /** Success. */
  OK: 0,
  /** Device or driver error. */
  IOERR: 1,
  /** Request unsupported by the device. */
  UNSUPP: 2,
} as const;

/**
 * The unit of `capacity` and of a request's `sector`: always 512 bytes, whatever
 * `blk_size` says (virtio 1.2 §5.2.4, §5.2.6).
 *
 * @example
 * ```ts
 * import { BLK_SECTOR_SIZE } from '@libos/virtio';
 * const byteOffset = 8 * BLK_SECTOR_SIZE; // sector 8
 * ```
 */
export const BLK_SECTOR_SIZE = 512;

/**
 * Length of the device ID string returned by VIRTIO_BLK_T_GET_ID (virtio 1.2 §5.2.6).
 *
 * @example
 * ```ts
 * import { BLK_ID_BYTES } from '@libos/virtio';
 * const idBuffer = new Uint8Array(BLK_ID_BYTES);
 * ```
 */
export const BLK_ID_BYTES = 20;

/**
 * Length of the request header `{ le32 type; le32 reserved; le64 sector }` (§5.2.6).
 *
 * @example
 * ```ts
 * import { BLK_HEADER_SIZE } from '@libos/virtio';
 * const header = new Uint8Array(BLK_HEADER_SIZE);
 * ```
 */
export const BLK_HEADER_SIZE = 16;

/**
 * Length of one discard / write-zeroes segment
 * `{ le64 sector; le32 num_sectors; le32 flags }` (§5.2.6).
 *
 * @example
 * ```ts
 * import { BLK_DISCARD_SEGMENT_SIZE } from '@libos/virtio';
 * const segments = new Uint8Array(2 * BLK_DISCARD_SEGMENT_SIZE);
 * ```
 */
export const BLK_DISCARD_SEGMENT_SIZE = 16;

/**
 * The `unmap` flag of a discard / write-zeroes segment; it MUST be zero for discard
 * (§5.2.6.1), and a device answers UNSUPP when it is set (§5.2.6.2).
 *
 * @example
 * ```ts
 * import { BLK_DISCARD_FLAG_UNMAP } from '@libos/virtio';
 * const unmap = (flags & BLK_DISCARD_FLAG_UNMAP) !== 0;
 * ```
 */
export const BLK_DISCARD_FLAG_UNMAP = 1;
