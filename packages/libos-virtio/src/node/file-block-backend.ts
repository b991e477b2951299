import { type FileHandle, open } from 'node:fs/promises';
import type { BlockBackend } from '../devices/blk/block-backend.js';

/**
 * Options of {@link FileBlockBackend.open}.
 *
 * @example
 * ```ts
 * import type { FileBlockBackendOptions } from '@libos/virtio/node';
 * const options: FileBlockBackendOptions = { create: true, byteLength: 64 << 20 };
 * ```
 */
export interface FileBlockBackendOptions {
  /** Open the file read-only; the device offers VIRTIO_BLK_F_RO. Default false. */
  readonly readOnly?: boolean;
  /** Create the file if it does not exist (not with `readOnly`). Default false. */
  readonly create?: boolean;
  /**
   * Size of the disk in bytes. When the file is shorter it is extended (sparse, zeros);
   * default: the file's current size.
   */
  readonly byteLength?: number;
  /**
   * How `flush` makes writes durable: `fdatasync(2)` (`'datasync'`, default) or
   * `fsync(2)` (`'sync'`, also flushes metadata).
   */
  readonly syncMode?: 'datasync' | 'sync';
}

/** Largest chunk written when zeroing a discarded range. */
const ZERO_CHUNK = 64 * 1024;

/**
 * A {@link BlockBackend} on a host file (Node only): positional `read` / `write` on a
 * `node:fs/promises` FileHandle, `flush` as `fdatasync` (or `fsync`), `discard` writes
 * zeros. Many requests may be in flight; the kernel orders nothing between them, exactly
 * like a disk with a volatile cache — only `flush` promises durability.
 *
 * @example
 * ```ts
 * import { BlockDeviceModel } from '@libos/virtio';
 * import { FileBlockBackend } from '@libos/virtio/node';
 * const backend = await FileBlockBackend.open('/tmp/disk.img', { create: true, byteLength: 1 << 20 });
 * const model = new BlockDeviceModel(placement, backend);
 * // …
 * await backend.close();
 * ```
 */
export class FileBlockBackend implements BlockBackend {
  /** The file's path. */
  readonly path: string;
  /** Size of the disk in bytes. */
  readonly byteLength: number;
  /** Whether the file was opened read-only. */
  readonly readOnly: boolean;
  readonly #handle: FileHandle;
  readonly #syncMode: 'datasync' | 'sync';
  #closed = false;

  private constructor(
    path: string,
    handle: FileHandle,
    byteLength: number,
    readOnly: boolean,
    syncMode: 'datasync' | 'sync',
  ) {
    this.path = path;
    this.#handle = handle;
    this.byteLength = byteLength;
    this.readOnly = readOnly;
    this.#syncMode = syncMode;
  }

  /**
   * Opens (or creates) a disk image file.
   *
   * @param path - the file
   * @param options - read-only, create, size, sync mode
   * @returns the backend; call {@link FileBlockBackend.close} when done
   * @throws the `node:fs` error (`ENOENT`, `EACCES`, …) when the file cannot be opened;
   *   RangeError for a bad `byteLength` or one larger than a read-only file
   * @example
   * ```ts
   * const disk = await FileBlockBackend.open('disk.img', { readOnly: true });
   * ```
   */
  static async open(
    path: string,
    options: FileBlockBackendOptions = {},
  ): Promise<FileBlockBackend> {
    const readOnly = options.readOnly ?? false;
    const want = options.byteLength;
    if (want !== undefined && !(Number.isSafeInteger(want) && want >= 0)) {
      throw new RangeError(`byteLength ${want} is not a non-negative safe integer`);
    }
    // Create without truncating ('a'), then reopen 'r+': append mode ignores positions.
    if (!readOnly && options.create === true) await (await open(path, 'a')).close();
    const handle = await open(path, readOnly ? 'r' : 'r+');
    try {
      const size = (await handle.stat()).size;
      let byteLength = size;
      if (want !== undefined) {
        if (want > size) {
          if (readOnly) throw new RangeError(`${path} is ${size} bytes, shorter than ${want}`);
          await handle.truncate(want);
        }
        byteLength = want;
      }
      return new FileBlockBackend(
        path,
        handle,
        byteLength,
        readOnly,
        options.syncMode ?? 'datasync',
      );
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /**
   * Reads `dst.length` bytes at `offset` (positional; bytes past the end of the file
   * read as zeros).
   * @param offset - byte offset
   * @param dst - destination
   * @returns resolves when `dst` is filled
   * @example
   * ```ts
   * await disk.read(0, new Uint8Array(512));
   * ```
   */
  async read(offset: number, dst: Uint8Array): Promise<void> {
    this.#checkRange(offset, dst.length);
    let done = 0;
    while (done < dst.length) {
      const { bytesRead } = await this.#handle.read(dst, done, dst.length - done, offset + done);
      if (bytesRead === 0) {
        dst.fill(0, done);
        return;
      }
      done += bytesRead;
    }
  }

  /**
   * Writes `src` at `offset` (positional).
   * @param offset - byte offset
   * @param src - the bytes
   * @returns resolves when the kernel has the bytes (durable only after `flush`)
   * @example
   * ```ts
   * await disk.write(512, data);
   * ```
   */
  async write(offset: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error(`${this.path} is open read-only`);
    this.#checkRange(offset, src.length);
    let done = 0;
    while (done < src.length) {
      const { bytesWritten } = await this.#handle.write(
        src,
        done,
        src.length - done,
        offset + done,
      );
      done += bytesWritten;
    }
  }

  /**
   * Makes every completed write durable: `fdatasync` (or `fsync`).
   * @returns resolves when the kernel reports the data on stable storage
   * @example
   * ```ts
   * await disk.flush();
   * ```
   */
  async flush(): Promise<void> {
    if (this.#closed) throw new Error(`${this.path} is closed`);
    if (this.readOnly) return;
    if (this.#syncMode === 'sync') await this.#handle.sync();
    else await this.#handle.datasync();
  }

  /**
   * Zeroes `[offset, offset + length)` in chunks of 64 KiB.
   * @param offset - byte offset
   * @param length - bytes
   * @returns resolves when the zeros are written
   * @example
   * ```ts
   * await disk.discard(0, 4096);
   * ```
   */
  async discard(offset: number, length: number): Promise<void> {
    if (this.readOnly) throw new Error(`${this.path} is open read-only`);
    this.#checkRange(offset, length);
    const zeros = new Uint8Array(Math.min(length, ZERO_CHUNK));
    for (let at = 0; at < length; at += zeros.length) {
      await this.write(offset + at, zeros.subarray(0, Math.min(zeros.length, length - at)));
    }
  }

  /**
   * Closes the file. Further requests fail.
   * @returns resolves when the file is closed
   * @example
   * ```ts
   * await disk.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  #checkRange(offset: number, length: number): void {
    if (this.#closed) throw new Error(`${this.path} is closed`);
    if (
      !(
        Number.isSafeInteger(offset) &&
        Number.isSafeInteger(length) &&
        offset >= 0 &&
        length >= 0
      ) ||
      length > this.byteLength - offset
    ) {
      throw new RangeError(`[${offset}, +${length}) is outside the ${this.byteLength}-byte disk`);
    }
  }
}
