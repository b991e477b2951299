import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';
import { checkBlockRequest, checkDiscardRequest } from '../check-block-request.js';

/**
 * A {@link BlockDevice} view of a range of sectors of another device — a partition.
 * Sector 0 of the view is `start` on the device below; requests are checked against the
 * view's own size before they are passed down, so nothing outside the range can be read
 * or written.
 *
 * @example
 * ```ts
 * import { PartitionDevice, RamDisk } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 4096 });
 * const part = new PartitionDevice(disk, 2048, 2048);
 * await part.write(0, new Uint8Array(512)); // lands on sector 2048 of `disk`
 * ```
 */
export class PartitionDevice implements BlockDevice {
  /** Bytes per sector, as the device below. */
  readonly sectorSize: number;
  /** Sectors in the range. */
  readonly sectorCount: number;
  /** Read-only when the device below is, or when opened read-only. */
  readonly readOnly: boolean;
  /** First sector of the range on the device below. */
  readonly start: number;
  /** Discards inside the range; present when the device below has discard. */
  readonly discard?: (sector: number, count: number) => Promise<void>;

  readonly #lower: BlockDevice;

  /**
   * @param lower The whole disk.
   * @param start First sector of the range.
   * @param count Sectors in the range.
   * @param readOnly Refuse writes even if the disk accepts them. Default false.
   * @throws {@link BlockDeviceError} `EINVAL` when the range is empty or not inside the disk.
   */
  constructor(lower: BlockDevice, start: number, count: number, readOnly = false) {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(count) ||
      start < 0 ||
      count < 1 ||
      start >= lower.sectorCount ||
      count > lower.sectorCount - start
    ) {
      throw new BlockDeviceError(
        'EINVAL',
        `range ${start}+${count} is not inside the ${lower.sectorCount}-sector disk`,
      );
    }
    this.#lower = lower;
    this.sectorSize = lower.sectorSize;
    this.sectorCount = count;
    this.start = start;
    this.readOnly = readOnly || lower.readOnly;
    const lowerDiscard = lower.discard;
    if (lowerDiscard) {
      this.discard = (sector, n) => {
        try {
          checkDiscardRequest(this, sector, n);
        } catch (e) {
          return Promise.reject(e);
        }
        return lowerDiscard.call(lower, start + sector, n);
      };
    }
  }

  /** Reads inside the range. */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    try {
      checkBlockRequest(this, sector, buffer.length, 'read');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#lower.read(this.start + sector, buffer);
  }

  /** Writes inside the range. */
  write(sector: number, data: Uint8Array): Promise<void> {
    try {
      checkBlockRequest(this, sector, data.length, 'write');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#lower.write(this.start + sector, data);
  }

  /** Flushes the device below (a flush is device-wide). */
  flush(): Promise<void> {
    return this.#lower.flush();
  }
}

/**
 * Opens a partition found by {@link readPartitionTable} as a {@link PartitionDevice}.
 *
 * @param device The whole disk.
 * @param partition The partition's extent.
 * @param options `readOnly` to refuse writes.
 * @example
 * ```ts
 * import { openPartition, readPartitionTable } from '@libos/fs';
 * const { partitions } = await readPartitionTable(disk);
 * const volume = openPartition(disk, partitions[0]!);
 * ```
 */
export function openPartition(
  device: BlockDevice,
  partition: { readonly start: number; readonly size: number },
  options: { readonly readOnly?: boolean } = {},
): PartitionDevice {
  return new PartitionDevice(device, partition.start, partition.size, options.readOnly ?? false);
}
