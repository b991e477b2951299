import type { BlockDevice } from './block-device.js';
import { BlockDeviceError } from './block-device-error.js';
import { checkBlockRequest, checkDiscardRequest } from './check-block-request.js';

/**
 * Geometry and contents of a {@link RamDisk}.
 *
 * @example
 * ```ts
 * import { RamDisk, type RamDiskOptions } from '@libos/fs';
 * const options: RamDiskOptions = { sectorCount: 2048 }; // 1 MiB of 512-byte sectors
 * const disk = new RamDisk(options);
 * ```
 */
export interface RamDiskOptions {
  /** Bytes per sector: a power of two ≥ 512. Default 512. */
  readonly sectorSize?: number;
  /** Number of sectors (≥ 1). Required unless `contents` is given. */
  readonly sectorCount?: number;
  /**
   * Initial contents, used in place (not copied): a disk image whose length is a
   * multiple of `sectorSize`. When given, `sectorCount` defaults to its length in sectors.
   */
  readonly contents?: Uint8Array;
  /** Refuse writes and discards with `EROFS`. Default false. */
  readonly readOnly?: boolean;
}

/**
 * A {@link BlockDevice} held in memory: the reference implementation of the contract,
 * for tests, simulations and images built in memory. Every request completes at once
 * (resolved promise) and is durable as soon as it completes; `discard` zeroes sectors.
 *
 * @example
 * ```ts
 * import { RamDisk } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 8 });
 * await disk.write(1, new Uint8Array(512).fill(7));
 * const back = new Uint8Array(512);
 * await disk.read(1, back); // back[0] === 7
 * ```
 */
export class RamDisk implements BlockDevice {
  /** Bytes per sector. */
  readonly sectorSize: number;
  /** Number of sectors. */
  readonly sectorCount: number;
  /** Whether writes and discards are refused with `EROFS`. */
  readonly readOnly: boolean;
  /** The disk's bytes (the image), `sectorSize × sectorCount` long. */
  readonly contents: Uint8Array;

  /**
   * @param options Geometry and optional initial contents.
   * @throws {@link BlockDeviceError} `EINVAL` for an invalid geometry.
   */
  constructor(options: RamDiskOptions) {
    const sectorSize = options.sectorSize ?? 512;
    if (
      !Number.isSafeInteger(sectorSize) ||
      sectorSize < 512 ||
      (sectorSize & (sectorSize - 1)) !== 0
    ) {
      throw new BlockDeviceError('EINVAL', `sector size ${sectorSize} is not a power of two ≥ 512`);
    }
    const fromContents = options.contents ? options.contents.length / sectorSize : undefined;
    const sectorCount = options.sectorCount ?? fromContents;
    if (sectorCount === undefined || !Number.isSafeInteger(sectorCount) || sectorCount < 1) {
      throw new BlockDeviceError('EINVAL', `sector count ${sectorCount} is not a positive integer`);
    }
    if (options.contents && options.contents.length !== sectorCount * sectorSize) {
      throw new BlockDeviceError(
        'EINVAL',
        `contents are ${options.contents.length} bytes, not ${sectorCount} × ${sectorSize}`,
      );
    }
    this.sectorSize = sectorSize;
    this.sectorCount = sectorCount;
    this.readOnly = options.readOnly ?? false;
    this.contents = options.contents ?? new Uint8Array(sectorCount * sectorSize);
  }

  /** Copies sectors into `buffer`. */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    try {
      checkBlockRequest(this, sector, buffer.length, 'read');
    } catch (e) {
      return Promise.reject(e);
    }
    const start = sector * this.sectorSize;
    buffer.set(this.contents.subarray(start, start + buffer.length));
    return Promise.resolve();
  }

  /** Copies `data` into the disk. */
  write(sector: number, data: Uint8Array): Promise<void> {
    try {
      checkBlockRequest(this, sector, data.length, 'write');
    } catch (e) {
      return Promise.reject(e);
    }
    this.contents.set(data, sector * this.sectorSize);
    return Promise.resolve();
  }

  /** Nothing to do: every completed write is already durable. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Zeroes `count` sectors from `sector`. */
  discard(sector: number, count: number): Promise<void> {
    try {
      checkDiscardRequest(this, sector, count);
    } catch (e) {
      return Promise.reject(e);
    }
    const start = sector * this.sectorSize;
    this.contents.fill(0, start, start + count * this.sectorSize);
    return Promise.resolve();
  }
}
