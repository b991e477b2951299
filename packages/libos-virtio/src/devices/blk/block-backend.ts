/**
 * Where a virtio-blk device model keeps its bytes: a disk image in memory, a host file,
 * a remote store. Byte-addressed and asynchronous; the device model validates every
 * request (alignment to 512 bytes, bounds) before calling it, so a backend sees only
 * ranges inside `[0, byteLength)`.
 *
 * A backend must not keep `dst` / `src` after its promise settles: they may be views of
 * guest memory.
 *
 * @example
 * ```ts
 * import type { BlockBackend } from '@libos/virtio';
 * const zeros: BlockBackend = {
 *   byteLength: 1 << 20,
 *   readOnly: true,
 *   read: async (_offset, dst) => { dst.fill(0); },
 *   write: async () => { throw new Error('read-only'); },
 *   flush: async () => {},
 * };
 * ```
 */
export interface BlockBackend {
  /** Size of the disk in bytes (the device exposes whole blocks of it). */
  readonly byteLength: number;
  /** Whether the disk refuses writes; the device then offers VIRTIO_BLK_F_RO. */
  readonly readOnly: boolean;
  /** Fills `dst` with the bytes at `[offset, offset + dst.length)`. */
  read(offset: number, dst: Uint8Array): Promise<void>;
  /** Stores `src` at `[offset, offset + src.length)`. */
  write(offset: number, src: Uint8Array): Promise<void>;
  /** Resolves once every write that completed before the call is durable. */
  flush(): Promise<void>;
  /**
   * Tells the backend `[offset, offset + length)` is unused (may deallocate or zero).
   * When absent the device does not offer VIRTIO_BLK_F_DISCARD.
   */
  discard?(offset: number, length: number): Promise<void>;
}
