/**
 * Typed errors of @libos/mem. API misuse and hostile input throw one of these classes,
 * each carrying a stable string `code`; hot-path outcomes (an exhausted pool or
 * allocator) are return values (`null`) instead.
 */

/** Why a {@link GuestMemory} access was refused. */
export type GuestMemoryErrorCode =
  /** The access (address + width or length) does not fit inside guest memory. */
  | 'OUT_OF_BOUNDS'
  /** The address is not a non-negative safe integer (or a bigint outside [0, 2^64)). */
  | 'BAD_ADDRESS'
  /** The length is not a non-negative safe integer (or a bigint outside [0, 2^64)). */
  | 'BAD_LENGTH'
  /** An atomic access at an address that is not a multiple of its width. */
  | 'MISALIGNED'
  /** `notify` / `waitAsync` on memory that is not backed by a `SharedArrayBuffer`. */
  | 'NOT_SHARED'
  /** A value read or written does not fit the requested representation. */
  | 'BAD_VALUE'
  /** The requested memory size is not a non-negative safe integer. */
  | 'BAD_SIZE'
  /** The host lacks a capability (SharedArrayBuffer, a little-endian byte order for atomics). */
  | 'UNSUPPORTED_HOST';

/**
 * Thrown when guest memory is accessed out of range, with a malformed address, or
 * misaligned (atomics).
 *
 * @example
 * ```ts
 * import { GuestMemory, GuestMemoryError } from '@libos/mem';
 * const mem = new GuestMemory(4096);
 * try {
 *   mem.readU32(4094);
 * } catch (e) {
 *   if (e instanceof GuestMemoryError && e.code === 'OUT_OF_BOUNDS') console.log('rejected');
 * }
 * ```
 */
export class GuestMemoryError extends Error {
  /** Stable machine-readable reason. */
  readonly code: GuestMemoryErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: GuestMemoryErrorCode, message: string) {
    super(message);
    this.name = 'GuestMemoryError';
    this.code = code;
  }
}

/** Why an allocator call was refused. */
export type AllocatorErrorCode =
  /** The managed range (base, length) or pool geometry is invalid. */
  | 'BAD_RANGE'
  /** The requested size, page count or order is not valid for this allocator. */
  | 'BAD_SIZE'
  /** The requested alignment is not a power of two, or larger than the allocator can give. */
  | 'BAD_ALIGNMENT'
  /** The address or buffer was already free. */
  | 'DOUBLE_FREE'
  /** The address or buffer was never handed out by this allocator (or is not the start of one). */
  | 'FOREIGN_FREE'
  /** A constructor or setup helper could not obtain the memory it needs (hot paths return `null`). */
  | 'OUT_OF_MEMORY';

/**
 * Thrown by the page allocator, DMA allocator and buffer pool on misuse: invalid sizes
 * or alignments, double frees and frees of memory they do not own.
 *
 * @example
 * ```ts
 * import { AllocatorError, BuddyPageAllocator } from '@libos/mem';
 * const pages = new BuddyPageAllocator({ base: 0, length: 64 * 1024 });
 * const a = pages.alloc(1)!;
 * pages.free(a);
 * try {
 *   pages.free(a);
 * } catch (e) {
 *   if (e instanceof AllocatorError) console.log(e.code); // 'DOUBLE_FREE'
 * }
 * ```
 */
export class AllocatorError extends Error {
  /** Stable machine-readable reason. */
  readonly code: AllocatorErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: AllocatorErrorCode, message: string) {
    super(message);
    this.name = 'AllocatorError';
    this.code = code;
  }
}

/** Why a {@link ByteRing} call was refused. */
export type ByteRingErrorCode =
  /** `commit` / `consume` / an offset asked for more bytes than the ring holds or has room for. */
  'BAD_COUNT';

/**
 * Thrown by {@link ByteRing} when a caller commits or consumes more bytes than exist.
 *
 * @example
 * ```ts
 * import { ByteRing, ByteRingError } from '@libos/mem';
 * const ring = new ByteRing(new Uint8Array(8));
 * try {
 *   ring.consume(1);
 * } catch (e) {
 *   if (e instanceof ByteRingError) console.log(e.code); // 'BAD_COUNT'
 * }
 * ```
 */
export class ByteRingError extends Error {
  /** Stable machine-readable reason. */
  readonly code: ByteRingErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: ByteRingErrorCode, message: string) {
    super(message);
    this.name = 'ByteRingError';
    this.code = code;
  }
}
