import type { DmaAllocator } from './dma-allocator.js';
import { AllocatorError } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import { type AllocatorStats, StatsCounter } from './stats.js';

/**
 * One fixed-size buffer of a {@link BufferPool}. The pool creates exactly one of these
 * per slot, up front, and hands the same object out every time the slot is allocated.
 *
 * ```
 *  pool region (one DMA allocation)
 *  addr                                                      addr + count × size
 *  ├── buffer 0 ──┼── buffer 1 ──┼── … ──┼── buffer count-1 ──┤
 * ```
 *
 * @example
 * ```ts
 * import { BufferPool, GuestMemory } from '@libos/mem';
 * const pool = new BufferPool(new GuestMemory(1 << 16), { addr: 0, count: 4, bufferSize: 2048 });
 * const buf = pool.alloc()!;
 * buf.bytes[0] = 0xff; // guest memory at buf.addr
 * pool.free(buf);
 * ```
 */
export class PoolBuffer {
  /** Slot number in the pool, 0 … count-1. */
  readonly index: number;
  /** Guest-physical address of the buffer. */
  readonly addr: number;
  /** View of the buffer's bytes in guest memory (length = the pool's buffer size). */
  readonly bytes: Uint8Array;

  /**
   * Created by {@link BufferPool} only.
   * @param index - slot number
   * @param addr - guest address
   * @param bytes - view of the slot
   */
  constructor(index: number, addr: number, bytes: Uint8Array) {
    this.index = index;
    this.addr = addr;
    this.bytes = bytes;
  }
}

/**
 * Geometry of a {@link BufferPool} over an explicit region of guest memory.
 *
 * @example
 * ```ts
 * import { BufferPool, type BufferPoolOptions, GuestMemory } from '@libos/mem';
 * const options: BufferPoolOptions = { addr: 0x1000, count: 8, bufferSize: 2048 };
 * const pool = new BufferPool(new GuestMemory(1 << 16), options);
 * ```
 */
export interface BufferPoolOptions {
  /** Guest address of the first buffer. */
  readonly addr: number;
  /** Number of buffers (≥ 1). */
  readonly count: number;
  /** Size of each buffer in bytes (≥ 1). Buffer i is at `addr + i × bufferSize`. */
  readonly bufferSize: number;
}

/**
 * N buffers of S bytes carved from one region of guest memory (packet buffers).
 *
 * `alloc` and `free` are O(1) through a free stack in an `Int32Array`, and allocate
 * nothing: the {@link PoolBuffer} objects and their views are created once, in the
 * constructor. An empty pool is a value (`alloc` returns `null`); misuse — freeing a
 * buffer twice, or one this pool did not hand out — throws {@link AllocatorError}.
 * Buffers are not cleared between uses.
 *
 * @example
 * ```ts
 * import { BufferPool, DmaAllocator, GuestMemory } from '@libos/mem';
 * const mem = new GuestMemory(1 << 20);
 * const dma = new DmaAllocator(mem, { base: 0, length: 1 << 20 });
 * const rx = BufferPool.fromDma(dma, 256, 2048);
 * const b = rx.alloc();
 * if (b !== null) rx.free(b);
 * ```
 */
export class BufferPool {
  /** Guest address of buffer 0. */
  readonly addr: number;
  /** Number of buffers. */
  readonly count: number;
  /** Bytes per buffer. */
  readonly bufferSize: number;
  /** Every buffer of the pool, by index (allocated or not). */
  readonly buffers: readonly PoolBuffer[];

  readonly #freeStack: Int32Array;
  #top: number;
  readonly #inUse: Uint8Array;
  readonly #stats = new StatsCounter();

  /**
   * @param memory - guest memory holding the region
   * @param options - region and geometry
   * @throws AllocatorError `BAD_RANGE` if the geometry is invalid or the region is not inside `memory`
   */
  constructor(memory: GuestMemory, options: BufferPoolOptions) {
    const { addr, count, bufferSize } = options;
    if (!Number.isSafeInteger(count) || count < 1 || count > 0x7fff_ffff) {
      throw new AllocatorError('BAD_RANGE', `buffer count ${count} is not a positive int32`);
    }
    if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
      throw new AllocatorError('BAD_RANGE', `buffer size ${bufferSize} is not a positive integer`);
    }
    if (
      bufferSize > Number.MAX_SAFE_INTEGER / count ||
      !memory.contains(addr, count * bufferSize)
    ) {
      throw new AllocatorError(
        'BAD_RANGE',
        `${count} × ${bufferSize} bytes at ${addr} is not inside guest memory`,
      );
    }
    this.addr = addr;
    this.count = count;
    this.bufferSize = bufferSize;
    const buffers: PoolBuffer[] = [];
    for (let i = 0; i < count; i++) {
      const a = addr + i * bufferSize;
      buffers.push(new PoolBuffer(i, a, new Uint8Array(memory.buffer, a, bufferSize)));
    }
    this.buffers = buffers;
    this.#freeStack = new Int32Array(count);
    // Lowest index on top, so a fresh pool hands out buffers in address order.
    for (let i = 0; i < count; i++) this.#freeStack[i] = count - 1 - i;
    this.#top = count;
    this.#inUse = new Uint8Array(count);
  }

  /**
   * Creates a pool whose region is one allocation from a {@link DmaAllocator}.
   *
   * @param dma - the allocator to take the region from
   * @param count - number of buffers
   * @param bufferSize - bytes per buffer
   * @param align - alignment of the region (default 64, a cache line); each buffer is
   *   aligned to it too when `bufferSize` is a multiple of it
   * @param zero - zero the buffers first (default true); pass false when every buffer is
   *   written before it is read (a NIC's frames), sparing the pages of fresh guest
   *   memory from being touched at boot
   * @returns the pool
   * @throws AllocatorError `OUT_OF_MEMORY` if the region cannot be allocated, or as
   *   {@link DmaAllocator.alloc} for bad sizes
   *
   * @example
   * ```ts
   * import { BufferPool, DmaAllocator, GuestMemory } from '@libos/mem';
   * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
   * const tx = BufferPool.fromDma(dma, 64, 2048);
   * ```
   */
  static fromDma(
    dma: DmaAllocator,
    count: number,
    bufferSize: number,
    align = 64,
    zero = true,
  ): BufferPool {
    if (
      !Number.isSafeInteger(count) ||
      count < 1 ||
      !Number.isSafeInteger(bufferSize) ||
      bufferSize < 1
    ) {
      throw new AllocatorError('BAD_RANGE', `invalid pool geometry ${count} × ${bufferSize}`);
    }
    const region = dma.alloc(count * bufferSize, align, zero);
    if (region === null) {
      throw new AllocatorError('OUT_OF_MEMORY', `no DMA region for ${count} × ${bufferSize} bytes`);
    }
    return new BufferPool(dma.memory, { addr: region.addr, count, bufferSize });
  }

  /** Number of buffers free right now. */
  get available(): number {
    return this.#top;
  }

  /** Number of buffers allocated right now. */
  get inUse(): number {
    return this.count - this.#top;
  }

  /**
   * Takes a buffer. O(1), allocation-free.
   *
   * @returns a buffer, or `null` when the pool is empty
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(4096), { addr: 0, count: 1, bufferSize: 2048 });
   * pool.alloc(); // buffer 0
   * pool.alloc(); // null
   * ```
   */
  alloc(): PoolBuffer | null {
    if (this.#top === 0) {
      this.#stats.failed++;
      return null;
    }
    const i = this.#freeStack[--this.#top]!;
    this.#inUse[i] = 1;
    this.#stats.onAlloc(this.bufferSize);
    return this.buffers[i]!;
  }

  /**
   * Returns a buffer. O(1), allocation-free.
   *
   * @param buf - a buffer obtained from this pool's {@link BufferPool.alloc}
   * @throws AllocatorError `FOREIGN_FREE` if `buf` is not one of this pool's buffers;
   *   `DOUBLE_FREE` if it is already free
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(4096), { addr: 0, count: 1, bufferSize: 2048 });
   * pool.free(pool.alloc()!);
   * ```
   */
  free(buf: PoolBuffer): void {
    const i = buf.index;
    if (this.buffers[i] !== buf) {
      throw new AllocatorError('FOREIGN_FREE', 'buffer does not belong to this pool');
    }
    this.#release(i);
  }

  /**
   * Returns the buffer that starts at guest address `addr` (e.g. from a virtqueue used
   * element). O(1).
   *
   * @param addr - the buffer's guest address
   * @throws AllocatorError `FOREIGN_FREE` if no buffer of this pool starts at `addr`;
   *   `DOUBLE_FREE` if it is already free
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(4096), { addr: 0, count: 2, bufferSize: 2048 });
   * pool.freeAddr(pool.alloc()!.addr);
   * ```
   */
  freeAddr(addr: number): void {
    const b = this.bufferAt(addr);
    if (b === null)
      throw new AllocatorError('FOREIGN_FREE', `no buffer of this pool starts at ${addr}`);
    this.#release(b.index);
  }

  /**
   * The buffer that starts at guest address `addr`, allocated or not.
   *
   * @param addr - a guest address
   * @returns the buffer, or `null` if no buffer of this pool starts there
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(4096), { addr: 0, count: 2, bufferSize: 2048 });
   * pool.bufferAt(2048)?.index; // 1
   * ```
   */
  bufferAt(addr: number): PoolBuffer | null {
    const off = addr - this.addr;
    if (!(off >= 0 && off % this.bufferSize === 0)) return null;
    return this.buffers[off / this.bufferSize] ?? null;
  }

  /**
   * Whether `buf` is one of this pool's buffers and currently allocated.
   *
   * @param buf - a buffer
   * @returns `true` if allocated from this pool and not yet freed
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(4096), { addr: 0, count: 1, bufferSize: 2048 });
   * pool.isAllocated(pool.alloc()!); // true
   * ```
   */
  isAllocated(buf: PoolBuffer): boolean {
    return this.buffers[buf.index] === buf && this.#inUse[buf.index] === 1;
  }

  /**
   * Accounting snapshot: bytes are whole buffers; `liveAllocations` is buffers in use.
   *
   * @returns a fresh snapshot
   *
   * @example
   * ```ts
   * import { BufferPool, GuestMemory } from '@libos/mem';
   * const pool = new BufferPool(new GuestMemory(8192), { addr: 0, count: 4, bufferSize: 2048 });
   * pool.stats().capacityBytes; // 8192
   * ```
   */
  stats(): AllocatorStats {
    return this.#stats.snapshot(this.count * this.bufferSize);
  }

  #release(i: number): void {
    if (this.#inUse[i] === 0)
      throw new AllocatorError('DOUBLE_FREE', `buffer ${i} is already free`);
    this.#inUse[i] = 0;
    this.#freeStack[this.#top++] = i;
    this.#stats.onFree(this.bufferSize);
  }
}
