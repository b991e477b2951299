import { type FileHandle, open } from 'node:fs/promises';
import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';
import { checkBlockRequest, checkDiscardRequest } from '../check-block-request.js';

/**
 * Options of {@link FileBlockDevice.open}.
 *
 * @example
 * ```ts
 * import type { FileBlockDeviceOptions } from '@libos/fs/node';
 * const options: FileBlockDeviceOptions = { create: true, byteLength: 32 << 20 };
 * ```
 */
export interface FileBlockDeviceOptions {
  /** Open the file read-only; writes and discards reject with `EROFS`. Default false. */
  readonly readOnly?: boolean;
  /** Create the file when it does not exist (not with `readOnly`). Default false. */
  readonly create?: boolean;
  /**
   * Size of the disk in bytes, a multiple of `sectorSize`. A shorter file is extended
   * (sparse, zeros). Default: the file's size, rounded down to whole sectors.
   */
  readonly byteLength?: number;
  /** Bytes per sector: a power of two ≥ 512. Default 512. */
  readonly sectorSize?: number;
}

/** Largest piece written when zeroing a discarded range. */
const ZERO_CHUNK = 64 * 1024;

/**
 * A {@link BlockDevice} on a host file or block device node (Node.js only): positional
 * reads and writes on a `node:fs/promises` FileHandle, `flush` as `fdatasync(2)`,
 * `discard` writes zeros. Requests may be in flight together; like a disk with a volatile
 * cache, only `flush` promises durability. Host I/O errors reject with `EIO`.
 *
 * @example
 * ```ts
 * import { FileBlockDevice } from '@libos/fs/node';
 * const disk = await FileBlockDevice.open('/tmp/disk.img', { create: true, byteLength: 1 << 20 });
 * await disk.write(0, new Uint8Array(512).fill(1));
 * await disk.flush();
 * await disk.close();
 * ```
 */
export class FileBlockDevice implements BlockDevice {
  /** Bytes per sector. */
  readonly sectorSize: number;
  /** Number of sectors. */
  readonly sectorCount: number;
  /** Whether writes and discards are refused with `EROFS`. */
  readonly readOnly: boolean;
  /** The host path. */
  readonly path: string;
  readonly #handle: FileHandle;
  #closed = false;

  private constructor(
    path: string,
    handle: FileHandle,
    sectorSize: number,
    sectorCount: number,
    readOnly: boolean,
  ) {
    this.path = path;
    this.#handle = handle;
    this.sectorSize = sectorSize;
    this.sectorCount = sectorCount;
    this.readOnly = readOnly;
  }

  /**
   * Opens (or creates) a host file as a disk.
   *
   * @param path Host path of an image file (or block device node).
   * @param options Access, creation and geometry.
   * @throws BlockDeviceError `EINVAL` for bad geometry or an empty disk; the host's
   *   error (e.g. `ENOENT`) when the file cannot be opened.
   */
  static async open(path: string, options: FileBlockDeviceOptions = {}): Promise<FileBlockDevice> {
    const sectorSize = options.sectorSize ?? 512;
    if (
      !Number.isSafeInteger(sectorSize) ||
      sectorSize < 512 ||
      (sectorSize & (sectorSize - 1)) !== 0
    ) {
      throw new BlockDeviceError('EINVAL', `sector size ${sectorSize} is not a power of two ≥ 512`);
    }
    const readOnly = options.readOnly ?? false;
    if (readOnly && options.create) {
      throw new BlockDeviceError('EINVAL', 'cannot create a read-only disk');
    }
    const byteLength = options.byteLength;
    if (
      byteLength !== undefined &&
      (!Number.isSafeInteger(byteLength) || byteLength <= 0 || byteLength % sectorSize !== 0)
    ) {
      throw new BlockDeviceError(
        'EINVAL',
        `byte length ${byteLength} is not a positive multiple of ${sectorSize}`,
      );
    }
    const h = await openHostFile(path, readOnly, options.create ?? false);
    try {
      const size = (await h.stat()).size;
      if (byteLength !== undefined && size < byteLength) {
        if (readOnly) {
          throw new BlockDeviceError('EINVAL', `file is ${size} bytes, shorter than ${byteLength}`);
        }
        await h.truncate(byteLength);
      }
      const length = byteLength ?? size - (size % sectorSize);
      if (length < sectorSize)
        throw new BlockDeviceError('EINVAL', `${path} holds no whole sector`);
      return new FileBlockDevice(path, h, sectorSize, length / sectorSize, readOnly);
    } catch (e) {
      await h.close().catch(() => undefined);
      throw e;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new BlockDeviceError('EIO', 'the device is closed');
  }

  /**
   * Reads sectors into `buffer`.
   *
   * @param sector First sector.
   * @param buffer Receives whole sectors.
   */
  async read(sector: number, buffer: Uint8Array): Promise<void> {
    checkBlockRequest(this, sector, buffer.length, 'read');
    this.#assertOpen();
    const start = sector * this.sectorSize;
    let done = 0;
    try {
      while (done < buffer.length) {
        const { bytesRead } = await this.#handle.read(
          buffer,
          done,
          buffer.length - done,
          start + done,
        );
        if (bytesRead === 0) {
          // Past the host file's end (a device opened on a file that later shrank): zeros.
          buffer.fill(0, done);
          break;
        }
        done += bytesRead;
      }
    } catch (e) {
      throw new BlockDeviceError('EIO', `read at sector ${sector}: ${String(e)}`);
    }
  }

  /**
   * Writes whole sectors.
   *
   * @param sector First sector.
   * @param data Whole sectors.
   */
  async write(sector: number, data: Uint8Array): Promise<void> {
    checkBlockRequest(this, sector, data.length, 'write');
    this.#assertOpen();
    const start = sector * this.sectorSize;
    let done = 0;
    try {
      while (done < data.length) {
        const { bytesWritten } = await this.#handle.write(
          data,
          done,
          data.length - done,
          start + done,
        );
        done += bytesWritten;
      }
    } catch (e) {
      throw new BlockDeviceError('EIO', `write at sector ${sector}: ${String(e)}`);
    }
  }

  /** `fdatasync(2)`: every completed write is durable when this resolves. */
  async flush(): Promise<void> {
    this.#assertOpen();
    if (this.readOnly) return;
    try {
      await this.#handle.datasync();
    } catch (e) {
      throw new BlockDeviceError('EIO', `flush: ${String(e)}`);
    }
  }

  /**
   * Writes zeros over `count` sectors from `sector`.
   *
   * @param sector First sector.
   * @param count Sectors.
   */
  async discard(sector: number, count: number): Promise<void> {
    checkDiscardRequest(this, sector, count);
    this.#assertOpen();
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK, count * this.sectorSize));
    let at = sector * this.sectorSize;
    const end = at + count * this.sectorSize;
    try {
      while (at < end) {
        const n = Math.min(zeros.length, end - at);
        const { bytesWritten } = await this.#handle.write(zeros, 0, n, at);
        at += bytesWritten;
      }
    } catch (e) {
      throw new BlockDeviceError('EIO', `discard at sector ${sector}: ${String(e)}`);
    }
  }

  /** Flushes and closes the file; later requests reject with `EIO`. Closing again resolves. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    await this.#handle.close();
  }
}

async function openHostFile(path: string, readOnly: boolean, create: boolean): Promise<FileHandle> {
  if (readOnly) return open(path, 'r');
  try {
    return await open(path, 'r+');
  } catch (e) {
    if (!create || (e as { code?: string }).code !== 'ENOENT') throw e;
    // 'wx+' creates without ever truncating an existing file.
    return open(path, 'wx+');
  }
}
