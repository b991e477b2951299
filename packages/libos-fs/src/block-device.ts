/**
 * A disk as a filesystem sees it: fixed-size sectors addressed by number, async
 * requests, many in flight at once. This is the consumer-owned interface that
 * @libos/virtio's blk driver, RAM disks and test wrappers (faulty, power-loss, tracing)
 * implement.
 *
 * Contract, for every implementation:
 * - `read` / `write` transfer whole sectors: the buffer length is a positive multiple of
 *   `sectorSize`, and the range `[sector, sector + length / sectorSize)` lies inside
 *   `[0, sectorCount)`. Violations reject with a {@link BlockDeviceError} (`EINVAL`)
 *   before any byte moves.
 * - `write` on a read-only device rejects with `EROFS`; device failures reject with `EIO`.
 * - A write completed before a `flush` that resolved is durable; completed writes that
 *   were not flushed may be lost or reordered by a power cut.
 *
 * @example
 * ```ts
 * import type { BlockDevice } from '@libos/fs';
 * async function readBootSector(disk: BlockDevice): Promise<Uint8Array> {
 *   const sector = new Uint8Array(disk.sectorSize);
 *   await disk.read(0, sector);
 *   return sector;
 * }
 * ```
 */
export interface BlockDevice {
  /** Bytes per sector: a power of two, at least 512. */
  readonly sectorSize: number;
  /** Number of sectors; the device holds `sectorSize × sectorCount` bytes. */
  readonly sectorCount: number;
  /** True when writes, flushes of writes and discards are refused with `EROFS`. */
  readonly readOnly: boolean;
  /** Reads `buffer.length / sectorSize` sectors starting at `sector` into `buffer`. */
  read(sector: number, buffer: Uint8Array): Promise<void>;
  /** Writes `data.length / sectorSize` sectors starting at `sector`. */
  write(sector: number, data: Uint8Array): Promise<void>;
  /** Resolves once every write completed before the call is durable. */
  flush(): Promise<void>;
  /**
   * Tells the device that `count` sectors starting at `sector` are unused (TRIM).
   * Absent when the device does not support discard.
   */
  discard?(sector: number, count: number): Promise<void>;
}
