import type { BufferSegment } from '../../queue/buffer-segment.js';
import type { DescriptorChain } from '../../queue/descriptor-chain.js';
import {
  BLK_DISCARD_FLAG_UNMAP,
  BLK_DISCARD_SEGMENT_SIZE,
  BLK_HEADER_SIZE,
  BLK_ID_BYTES,
  BLK_SECTOR_SIZE,
  BlkRequestType,
  BlkStatus,
} from './blk-constants.js';
import { chainRange } from './chain-ranges.js';

/** What the device model allows; the request parser checks against it. */
export interface BlkRequestLimits {
  /** Capacity in 512-byte sectors. */
  readonly capacity: number;
  /** VIRTIO_BLK_F_RO offered. */
  readonly readOnly: boolean;
  /** size_max: largest data segment in bytes. */
  readonly sizeMax: number;
  /** VIRTIO_BLK_F_DISCARD offered. */
  readonly discard: boolean;
  /** max_discard_sectors. */
  readonly maxDiscardSectors: number;
  /** max_discard_seg. */
  readonly maxDiscardSeg: number;
  /** discard_sector_alignment (512-byte sectors). */
  readonly discardSectorAlignment: number;
}

/** A byte range of the disk. */
export interface DiskRange {
  /** Byte offset. */
  readonly offset: number;
  /** Bytes. */
  readonly length: number;
}

/**
 * A parsed request: either a protocol violation (the chain cannot carry a status byte),
 * or work to do plus where its status byte goes. Parsing reads guest memory only and
 * writes nothing.
 */
export type BlkRequest =
  | { readonly kind: 'violation'; readonly message: string }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly statusAddr: number;
      readonly writable: number;
    }
  | {
      readonly kind: 'read' | 'write';
      readonly offset: number;
      readonly data: BufferSegment[];
      readonly length: number;
      readonly statusAddr: number;
      readonly writable: number;
    }
  | { readonly kind: 'flush'; readonly statusAddr: number; readonly writable: number }
  | {
      readonly kind: 'get-id';
      readonly data: BufferSegment[];
      readonly statusAddr: number;
      readonly writable: number;
    }
  | {
      readonly kind: 'discard';
      readonly ranges: DiskRange[];
      readonly statusAddr: number;
      readonly writable: number;
    };

const TWO_POW_32 = 0x1_0000_0000;
/** A sector's high word at or above this cannot be inside any disk we can address. */
const MAX_SAFE_SECTOR_HI = 0x20_0000;

/**
 * Parses one virtio-blk request chain completely before anything executes
 * (virtio 1.2 §5.2.6):
 *
 * ```text
 *  ├──────────── device-readable ────────────┤├──── device-writable ────┤
 *  ┌──────────┬───────────┬─────────────┬─────┐┌────────────┬───────────┐
 *  │ le32 type│ le32 rsvd │ le64 sector │data ││ data       │ u8 status │
 *  │          │           │ (512-byte)  │OUT, ││ IN, GET_ID │ (last     │
 *  │          │           │             │DISC.││            │  byte)    │
 *  └──────────┴───────────┴─────────────┴─────┘└────────────┴───────────┘
 *   0          4           8             16
 * ```
 *
 * The header may span descriptors; the status byte is the last writable byte. A chain
 * with fewer than 16 readable bytes or no writable byte is a violation (there is no
 * well-formed way to answer it). Everything else gets a status: a data part on the
 * wrong side, a length not a multiple of 512, a range past `capacity`, a write to a
 * read-only device → IOERR; an unknown type → UNSUPP.
 *
 * @param chain - the popped chain (validated descriptors)
 * @param limits - the device's geometry and limits
 * @param header - 16 bytes of scratch
 * @returns the request
 */
export function parseBlkRequest(
  chain: DescriptorChain,
  limits: BlkRequestLimits,
  header: Uint8Array,
): BlkRequest {
  const readable = chain.readableLength;
  const writable = chain.writableLength;
  if (readable < BLK_HEADER_SIZE) {
    return {
      kind: 'violation',
      message: `virtio-blk header needs 16 readable bytes, got ${readable}`,
    };
  }
  if (writable < 1) {
    return { kind: 'violation', message: 'virtio-blk request has no writable status byte' };
  }
  // §5.2.6: the status byte is the final byte of the request, device-writable.
  const statusAddr = chainRange(chain, true, writable - 1, 1)[0]!.addr;
  chain.readReadable(header.subarray(0, BLK_HEADER_SIZE));
  const type = readU32(header, 0);
  const sectorLo = readU32(header, 8);
  const sectorHi = readU32(header, 12);
  const fail = (status: number): BlkRequest => ({ kind: 'status', status, statusAddr, writable });
  const readData = readable - BLK_HEADER_SIZE;
  const writeData = writable - 1;
  switch (type) {
    case BlkRequestType.IN:
    case BlkRequestType.OUT: {
      const isRead = type === BlkRequestType.IN;
      // Data on the wrong side for the type (§5.2.6: IN data is device-writable, OUT readable).
      if (isRead ? readData !== 0 : writeData !== 0) return fail(BlkStatus.IOERR);
      // §5.2.6.2: a write to a device offering VIRTIO_BLK_F_RO gets IOERR, writes nothing.
      if (!isRead && limits.readOnly) return fail(BlkStatus.IOERR);
      const length = isRead ? writeData : readData;
      // §5.2.6.1: data is a multiple of 512 bytes.
      if (length % BLK_SECTOR_SIZE !== 0) return fail(BlkStatus.IOERR);
      const sector = sectorNumber(sectorLo, sectorHi);
      const count = length / BLK_SECTOR_SIZE;
      // §5.2.6.1: nothing beyond capacity; compared without forming sector + count.
      if (sector < 0 || sector > limits.capacity || count > limits.capacity - sector) {
        return fail(BlkStatus.IOERR);
      }
      const data = chainRange(chain, isRead, isRead ? 0 : BLK_HEADER_SIZE, length);
      for (const s of data) if (s.len > limits.sizeMax) return fail(BlkStatus.IOERR);
      return {
        kind: isRead ? 'read' : 'write',
        offset: sector * BLK_SECTOR_SIZE,
        data,
        length,
        statusAddr,
        writable,
      };
    }
    case BlkRequestType.FLUSH:
      return { kind: 'flush', statusAddr, writable };
    case BlkRequestType.GET_ID:
      // §5.2.6.1: the data of GET_ID is 20 bytes.
      if (writeData < BLK_ID_BYTES || readData !== 0) return fail(BlkStatus.IOERR);
      return {
        kind: 'get-id',
        data: chainRange(chain, true, 0, BLK_ID_BYTES),
        statusAddr,
        writable,
      };
    case BlkRequestType.DISCARD:
      return parseDiscard(chain, limits, readData, writeData, fail, statusAddr, writable);
    default:
      // §5.2.6: unsupported request types are answered with UNSUPP.
      return fail(BlkStatus.UNSUPP);
  }
}

function parseDiscard(
  chain: DescriptorChain,
  limits: BlkRequestLimits,
  readData: number,
  writeData: number,
  fail: (status: number) => BlkRequest,
  statusAddr: number,
  writable: number,
): BlkRequest {
  if (!limits.discard) return fail(BlkStatus.UNSUPP);
  // Discard writes the disk: refused like a write on a read-only device (§5.2.6.2).
  if (limits.readOnly) return fail(BlkStatus.IOERR);
  // §5.2.6.1: data is a whole number of 16-byte segments, at most max_discard_seg.
  if (writeData !== 0 || readData === 0 || readData % BLK_DISCARD_SEGMENT_SIZE !== 0) {
    return fail(BlkStatus.IOERR);
  }
  const n = readData / BLK_DISCARD_SEGMENT_SIZE;
  if (n > limits.maxDiscardSeg) return fail(BlkStatus.IOERR);
  const bytes = new Uint8Array(readData);
  chain.readReadable(bytes, BLK_HEADER_SIZE);
  const ranges: DiskRange[] = [];
  let unsupported = false;
  let bad = false;
  const align = Math.max(1, limits.discardSectorAlignment);
  for (let i = 0; i < n; i++) {
    const at = i * BLK_DISCARD_SEGMENT_SIZE;
    const sector = sectorNumber(readU32(bytes, at), readU32(bytes, at + 4));
    const count = readU32(bytes, at + 8);
    const flags = readU32(bytes, at + 12);
    // §5.2.6.2: UNSUPP when `unmap` (bit 0) or any unknown (reserved) flag is set.
    if ((flags & BLK_DISCARD_FLAG_UNMAP) !== 0 || flags >>> 1 !== 0) unsupported = true;
    if (
      count === 0 ||
      count > limits.maxDiscardSectors ||
      sector < 0 ||
      sector > limits.capacity ||
      count > limits.capacity - sector ||
      sector % align !== 0 ||
      count % align !== 0
    ) {
      bad = true;
    }
    ranges.push({ offset: sector * BLK_SECTOR_SIZE, length: count * BLK_SECTOR_SIZE });
  }
  if (unsupported) return fail(BlkStatus.UNSUPP);
  if (bad) return fail(BlkStatus.IOERR);
  return { kind: 'discard', ranges, statusAddr, writable };
}

/** The u64 sector from its halves, exactly; −1 when it cannot be inside any disk. */
function sectorNumber(lo: number, hi: number): number {
  return hi >= MAX_SAFE_SECTOR_HI ? -1 : hi * TWO_POW_32 + lo;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}
