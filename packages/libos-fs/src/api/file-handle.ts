import { FsCorruptionError, FsError } from '../fs-error.js';
import type { VolumeFile, VolumeStat } from '../volume.js';
import type { OpenMode } from './open-flags.js';
import { Stats } from './stats.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/**
 * What a {@link FileHandle} is opened on; made by {@link FileSystem.open}.
 *
 * @example
 * ```ts
 * // Made by FileSystem.open; users never build one.
 * const h = await fs.open('/data/a.txt', 'r');
 * ```
 */
export interface FileHandleTarget {
  /** The descriptor number. */
  readonly fd: number;
  /** The open file, or `undefined` for a directory opened for reading. */
  readonly file: VolumeFile | undefined;
  /** Metadata of a directory opened for reading. */
  readonly directoryStat: (() => Promise<VolumeStat>) | undefined;
  /** How it was opened. */
  readonly mode: OpenMode;
  /** The mount's device number (for `Stats.dev`). */
  readonly dev: number;
  /** Whether the volume is read-only (for `Stats.mode`). */
  readonly readOnly: boolean;
  /** Called once when the handle closes. */
  readonly release: () => void;
}

/**
 * Result of {@link FileHandle.read}, as in Node.
 *
 * @example
 * ```ts
 * const { bytesRead, buffer } = await handle.read(new Uint8Array(4096));
 * ```
 */
export interface ReadResult<T extends Uint8Array> {
  /** Bytes read; 0 at the end of the file. */
  readonly bytesRead: number;
  /** The buffer given (or allocated). */
  readonly buffer: T;
}

/**
 * Result of {@link FileHandle.write}, as in Node.
 *
 * @example
 * ```ts
 * const { bytesWritten } = await handle.write(new Uint8Array([1, 2, 3]));
 * ```
 */
export interface WriteResult<T extends Uint8Array | string> {
  /** Bytes written (all of them: volumes never write short). */
  readonly bytesWritten: number;
  /** The data given. */
  readonly buffer: T;
}

/**
 * Where {@link FileHandle.read} puts bytes, in the options form.
 *
 * @example
 * ```ts
 * const r = await handle.read(buf, { position: 0, length: 10 });
 * ```
 */
export interface ReadOptions {
  /** Index in the buffer to fill from. Default 0. */
  readonly offset?: number;
  /** Bytes to read. Default: to the end of the buffer. */
  readonly length?: number;
  /** File offset; `null`/omitted reads at the current position and advances it. */
  readonly position?: number | null;
}

/** Node's default buffer size for `filehandle.read()` without arguments. */
const DEFAULT_READ_BUFFER = 16384;
/** Largest piece `readFile` reads at a time. */
const READ_FILE_CHUNK = 512 * 1024;

/** Rewrites a volume error with the call the user made (the path is not repeated, as in Node). */
function asHandleError(e: unknown, syscall: string): unknown {
  if (e instanceof FsCorruptionError) return new FsCorruptionError(e.kind, e.where, syscall);
  if (e instanceof FsError) return new FsError(e.code, syscall);
  return e;
}

function checkRange(offset: number, length: number, size: number, syscall: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new FsError('EINVAL', syscall, undefined, `offset ${offset} out of range`);
  }
  if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) {
    throw new FsError('EINVAL', syscall, undefined, `length ${length} out of range`);
  }
}

function checkPosition(position: number | null | undefined, syscall: string): void {
  if (position != null && !(Number.isSafeInteger(position) && position >= 0)) {
    throw new FsError('EINVAL', syscall, undefined, `position ${position} out of range`);
  }
}

/**
 * An open file, shaped like Node's `FileHandle` from `node:fs/promises`: `read`/`write`
 * at a position or at the handle's current position (`position` `null` or omitted),
 * `readFile`/`writeFile`/`appendFile` from the current position, `stat`, `truncate`,
 * `sync`, `close`. In append mode (`'a'`, `'a+'`) every write goes to the end of the
 * file whatever position is given, as on Linux. Errors are {@link FsError}s with the
 * codes and syscalls Node reports (`EBADF` on a handle without the needed access or
 * after `close`; `EINVAL` for `truncate` on a read-only handle; `EISDIR` reading a
 * directory). Closing twice is allowed.
 *
 * @example
 * ```ts
 * const h = await fs.open('/data/log.txt', 'a+');
 * await h.write('one line\n');
 * const { bytesRead, buffer } = await h.read(new Uint8Array(64), 0, 64, 0);
 * await h.close();
 * ```
 */
export class FileHandle {
  /** The descriptor number (unique among the file system's open handles). */
  readonly fd: number;
  readonly #target: FileHandleTarget;
  #position = 0;
  #closed = false;

  /**
   * @param target What the handle is on; made by {@link FileSystem.open}.
   */
  constructor(target: FileHandleTarget) {
    this.#target = target;
    this.fd = target.fd;
  }

  #open(syscall: string): VolumeFile | undefined {
    if (this.#closed) throw new FsError('EBADF', syscall, undefined, 'file closed');
    return this.#target.file;
  }

  #readable(syscall: string): VolumeFile {
    const file = this.#open(syscall);
    if (!this.#target.mode.read) throw new FsError('EBADF', syscall);
    if (file === undefined) throw new FsError('EISDIR', syscall);
    return file;
  }

  #writable(syscall: string): VolumeFile {
    const file = this.#open(syscall);
    if (!this.#target.mode.write || file === undefined) throw new FsError('EBADF', syscall);
    return file;
  }

  /**
   * Reads into `buffer`. Resolves with the count read (0 at the end of the file).
   *
   * @param buffer Where to put the bytes. Default: a new 16 KiB buffer.
   * @param offsetOrOptions Index in `buffer` to fill from (default 0), or the options form.
   * @param length Bytes to read (default: to the end of `buffer`).
   * @param position File offset; `null`/omitted reads at the current position and advances it.
   */
  async read<T extends Uint8Array = Uint8Array>(
    buffer?: T,
    offsetOrOptions?: number | null | ReadOptions,
    length?: number | null,
    position?: number | null,
  ): Promise<ReadResult<T>> {
    const file = this.#readable('read');
    const buf = buffer ?? (new Uint8Array(DEFAULT_READ_BUFFER) as T);
    const options: ReadOptions =
      typeof offsetOrOptions === 'object' && offsetOrOptions !== null
        ? offsetOrOptions
        : {
            ...(offsetOrOptions != null ? { offset: offsetOrOptions } : {}),
            ...(length != null ? { length } : {}),
            position: position ?? null,
          };
    const offset = options.offset ?? 0;
    const count = options.length ?? buf.length - offset;
    checkRange(offset, count, buf.length, 'read');
    checkPosition(options.position, 'read');
    const at = options.position ?? this.#position;
    let n: number;
    try {
      n = count === 0 ? 0 : await file.read(at, buf.subarray(offset, offset + count));
    } catch (e) {
      throw asHandleError(e, 'read');
    }
    if (options.position == null) this.#position = at + n;
    return { bytesRead: n, buffer: buf };
  }

  /**
   * Writes bytes or a string. With bytes: `write(buffer, offset?, length?, position?)`;
   * with a string: `write(string, position?, encoding?)` (UTF-8 only). `position`
   * `null`/omitted writes at the current position and advances it; in append mode every
   * write goes to the end.
   *
   * @param data The bytes or text.
   * @param offsetOrPosition For bytes, the index in `data` to write from (default 0);
   *   for a string, the file position.
   * @param lengthOrEncoding For bytes, how many to write (default: the rest of `data`);
   *   for a string, `'utf8'`.
   * @param position For bytes, the file position.
   */
  async write<T extends Uint8Array | string>(
    data: T,
    offsetOrPosition?: number | null,
    lengthOrEncoding?: number | null | 'utf8' | 'utf-8',
    position?: number | null,
  ): Promise<WriteResult<T>> {
    const file = this.#writable('write');
    let bytes: Uint8Array;
    let where: number | null | undefined;
    if (typeof data === 'string') {
      bytes = encodeUtf8(data);
      where = offsetOrPosition;
    } else {
      const offset = offsetOrPosition ?? 0;
      const count = typeof lengthOrEncoding === 'number' ? lengthOrEncoding : data.length - offset;
      checkRange(offset, count, data.length, 'write');
      bytes = data.subarray(offset, offset + count);
      where = position;
    }
    checkPosition(where, 'write');
    const at = this.#target.mode.append ? file.size() : (where ?? this.#position);
    try {
      if (bytes.length > 0) await file.write(at, bytes);
    } catch (e) {
      throw asHandleError(e, 'write');
    }
    // Linux pwrite(2) on an O_APPEND file appends but leaves the file offset alone.
    if (where == null) this.#position = at + bytes.length;
    return { bytesWritten: bytes.length, buffer: data };
  }

  /** Reads from the current position to the end of the file. */
  async readFile(): Promise<Uint8Array>;
  /**
   * Reads from the current position to the end of the file, as text.
   *
   * @param options `'utf8'` or `{ encoding: 'utf8' }`.
   */
  async readFile(
    options: 'utf8' | 'utf-8' | { readonly encoding: 'utf8' | 'utf-8' },
  ): Promise<string>;
  async readFile(
    options?: 'utf8' | 'utf-8' | { readonly encoding: 'utf8' | 'utf-8' },
  ): Promise<Uint8Array | string> {
    const file = this.#readable('read');
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const want = Math.min(READ_FILE_CHUNK, Math.max(1, file.size() - this.#position));
        const chunk = new Uint8Array(want);
        const n = await file.read(this.#position, chunk);
        if (n === 0) break;
        chunks.push(n === want ? chunk : chunk.subarray(0, n));
        total += n;
        this.#position += n;
      }
    } catch (e) {
      throw asHandleError(e, 'read');
    }
    const out = chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(total);
    if (chunks.length !== 1) {
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
    }
    return options === undefined ? out : decodeUtf8(out);
  }

  /**
   * Writes `data` at the current position (the end in append mode), like Node's
   * `filehandle.writeFile` — it does not truncate.
   *
   * @param data Bytes, or text written as UTF-8.
   */
  async writeFile(data: Uint8Array | string): Promise<void> {
    await this.write(typeof data === 'string' ? encodeUtf8(data) : data, 0, null, null);
  }

  /**
   * Same as {@link FileHandle.writeFile} (Node's alias; in append mode it appends).
   *
   * @param data Bytes, or text written as UTF-8.
   */
  async appendFile(data: Uint8Array | string): Promise<void> {
    await this.writeFile(data);
  }

  /** The file's metadata. */
  async stat(): Promise<Stats> {
    const file = this.#open('fstat');
    try {
      const s = file
        ? await file.stat()
        : await (this.#target.directoryStat as () => Promise<VolumeStat>)();
      return new Stats(s, this.#target.dev, this.#target.readOnly);
    } catch (e) {
      throw asHandleError(e, 'fstat');
    }
  }

  /**
   * Sets the file's size (zeros appended when it grows).
   *
   * @param length The new size. Default 0.
   */
  async truncate(length = 0): Promise<void> {
    const file = this.#open('ftruncate');
    if (!this.#target.mode.write || file === undefined) throw new FsError('EINVAL', 'ftruncate');
    checkPosition(length, 'ftruncate');
    try {
      await file.truncate(length);
    } catch (e) {
      throw asHandleError(e, 'ftruncate');
    }
  }

  /** Writes the file's data and metadata through to the device. */
  async sync(): Promise<void> {
    const file = this.#open('fsync');
    try {
      await file?.sync();
    } catch (e) {
      throw asHandleError(e, 'fsync');
    }
  }

  /** Same as {@link FileHandle.sync}: volumes flush data and metadata together. */
  async datasync(): Promise<void> {
    const file = this.#open('fdatasync');
    try {
      await file?.sync();
    } catch (e) {
      throw asHandleError(e, 'fdatasync');
    }
  }

  /** Releases the handle; later calls reject with `EBADF`. Closing again resolves. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#target.release();
    try {
      await this.#target.file?.close();
    } catch (e) {
      throw asHandleError(e, 'close');
    }
  }
}
