import type { BlockBackend } from './block-backend.js';

/**
 * Options of a {@link MemoryBlockBackend}.
 *
 * @example
 * ```ts
 * import { MemoryBlockBackend, type MemoryBlockBackendOptions } from '@libos/virtio';
 * const options: MemoryBlockBackendOptions = { readOnly: true };
 * const disk = new MemoryBlockBackend(new Uint8Array(1 << 20), options);
 * ```
 */
export interface MemoryBlockBackendOptions {
  /** Refuse writes and discards (the device offers VIRTIO_BLK_F_RO). Default false. */
  readonly readOnly?: boolean;
}

/**
 * A {@link BlockBackend} over a `Uint8Array` used in place (not copied): every request
 * completes as soon as its promise is awaited, and completed writes are durable, so
 * `flush` does nothing. `discard` zeroes the range. Browser-safe.
 *
 * @example
 * ```ts
 * import { MemoryBlockBackend } from '@libos/virtio';
 * const image = new Uint8Array(64 * 512);
 * const backend = new MemoryBlockBackend(image);
 * await backend.write(512, new Uint8Array(512).fill(1)); // image[512] === 1
 * ```
 */
export class MemoryBlockBackend implements BlockBackend {
  /** The disk's bytes. */
  readonly bytes: Uint8Array;
  /** Size of the disk in bytes. */
  readonly byteLength: number;
  /** Whether writes and discards are refused. */
  readonly readOnly: boolean;

  /**
   * @param bytes - the disk image, used in place
   * @param options - read-only flag
   */
  constructor(bytes: Uint8Array, options: MemoryBlockBackendOptions = {}) {
    this.bytes = bytes;
    this.byteLength = bytes.length;
    this.readOnly = options.readOnly ?? false;
  }

  /**
   * Copies `[offset, offset + dst.length)` into `dst`.
   * @param offset - byte offset
   * @param dst - destination
   * @returns a settled promise
   * @example
   * ```ts
   * await backend.read(0, new Uint8Array(512));
   * ```
   */
  read(offset: number, dst: Uint8Array): Promise<void> {
    if (!this.#inRange(offset, dst.length)) return Promise.reject(this.#rangeError(offset, dst));
    dst.set(this.bytes.subarray(offset, offset + dst.length));
    return Promise.resolve();
  }

  /**
   * Copies `src` to `offset`.
   * @param offset - byte offset
   * @param src - the bytes
   * @returns a settled promise (rejected for a read-only disk)
   * @example
   * ```ts
   * await backend.write(0, new Uint8Array(512));
   * ```
   */
  write(offset: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) return Promise.reject(new Error('the disk is read-only'));
    if (!this.#inRange(offset, src.length)) return Promise.reject(this.#rangeError(offset, src));
    this.bytes.set(src, offset);
    return Promise.resolve();
  }

  /**
   * Nothing to do: memory writes are durable when they complete.
   * @returns a resolved promise
   * @example
   * ```ts
   * await backend.flush();
   * ```
   */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Zeroes `[offset, offset + length)`.
   * @param offset - byte offset
   * @param length - bytes
   * @returns a settled promise (rejected for a read-only disk)
   * @example
   * ```ts
   * await backend.discard(0, 4096);
   * ```
   */
  discard(offset: number, length: number): Promise<void> {
    if (this.readOnly) return Promise.reject(new Error('the disk is read-only'));
    if (!this.#inRange(offset, length)) {
      return Promise.reject(new RangeError(`discard [${offset}, +${length}) is outside the disk`));
    }
    this.bytes.fill(0, offset, offset + length);
    return Promise.resolve();
  }

  #inRange(offset: number, length: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      length <= this.byteLength - offset
    );
  }

  #rangeError(offset: number, buffer: Uint8Array): RangeError {
    return new RangeError(
      `[${offset}, +${buffer.length}) is outside the ${this.byteLength}-byte disk`,
    );
  }
}
