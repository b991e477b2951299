import { FsError } from '../fs-error.js';
import type { VolumeFile, VolumeStat } from '../volume.js';
import type { MemoryFileNode } from './memory-node.js';

/**
 * What an open {@link MemoryVolumeFile} needs from its volume.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-volume-file.ts)
 * declare const host: MemoryFileHost;
 * host.now();
 * ```
 */
export interface MemoryFileHost {
  /** The clock reading for timestamps. */
  now(): number;
  /** Changes a file's size, charging or refunding space; rejects `ENOSPC`/`EFBIG`. */
  resize(node: MemoryFileNode, size: number, syscall: string): void;
  /** The metadata of a node. */
  statOf(node: MemoryFileNode): VolumeStat;
  /** Called once when the handle closes. */
  release(): void;
}

/**
 * An open file of a {@link MemoryVolume}.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * const volume = new MemoryVolume({ clock: new ManualWallClock() });
 * const file = await volume.open(['a'], { write: true, create: true });
 * await file.write(0, new Uint8Array([1, 2, 3]));
 * await file.close();
 * ```
 */
export class MemoryVolumeFile implements VolumeFile {
  readonly #node: MemoryFileNode;
  readonly #host: MemoryFileHost;
  readonly #writable: boolean;
  #closed = false;

  /**
   * @param node The file.
   * @param host The volume's services.
   * @param writable Whether writes and truncation are allowed.
   */
  constructor(node: MemoryFileNode, host: MemoryFileHost, writable: boolean) {
    this.#node = node;
    this.#host = host;
    this.#writable = writable;
  }

  #check(syscall: string, write: boolean): void {
    if (this.#closed || (write && !this.#writable)) throw new FsError('EBADF', syscall);
  }

  /** The file's current size in bytes. */
  size(): number {
    return this.#node.size;
  }

  /**
   * Reads up to `buffer.length` bytes at `position`.
   *
   * @param position Byte offset.
   * @param buffer Receives the bytes.
   */
  async read(position: number, buffer: Uint8Array): Promise<number> {
    this.#check('read', false);
    checkPosition(position, 'read');
    const n = Math.max(0, Math.min(buffer.length, this.#node.size - position));
    if (n > 0) this.#node.bytes.read(position, buffer.subarray(0, n));
    this.#node.times.atimeMs = this.#host.now();
    return n;
  }

  /**
   * Writes all of `data` at `position`.
   *
   * @param position Byte offset.
   * @param data The bytes (copied).
   */
  async write(position: number, data: Uint8Array): Promise<void> {
    this.#check('write', true);
    checkPosition(position, 'write');
    // POSIX write(2): a zero-length write to a regular file has no other effect.
    if (data.length === 0) return;
    const end = position + data.length;
    if (end > this.#node.size) this.#host.resize(this.#node, end, 'write');
    this.#node.bytes.write(position, data);
    this.#node.times.mtimeMs = this.#host.now();
  }

  /**
   * Sets the size.
   *
   * @param size The new size in bytes.
   */
  async truncate(size: number): Promise<void> {
    this.#check('ftruncate', true);
    checkPosition(size, 'ftruncate');
    this.#host.resize(this.#node, size, 'ftruncate');
    this.#node.times.mtimeMs = this.#host.now();
  }

  /** The file's metadata. */
  async stat(): Promise<VolumeStat> {
    this.#check('fstat', false);
    return this.#host.statOf(this.#node);
  }

  /** Nothing to write through in memory; rejects `EBADF` after close. */
  async sync(): Promise<void> {
    this.#check('fsync', false);
  }

  /** Releases the handle. */
  async close(): Promise<void> {
    this.#check('close', false);
    this.#closed = true;
    this.#host.release();
  }
}

function checkPosition(position: number, syscall: string): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new FsError('EINVAL', syscall);
}
