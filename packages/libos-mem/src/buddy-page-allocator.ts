import { AllocatorError } from './errors.js';
import { type AllocatorStats, StatsCounter } from './stats.js';

/**
 * The page size of the page allocator: 4 KiB.
 *
 * @example
 * ```ts
 * import { PAGE_SIZE } from '@libos/mem';
 * const bytes = 16 * PAGE_SIZE; // 64 KiB
 * ```
 */
export const PAGE_SIZE = 4096;

/** Largest order the allocator supports: 2^30 pages (4 TiB), so page indices stay int32. */
const MAX_SUPPORTED_ORDER = 30;

// Per-page state; only the first page ("head") of a block carries one of these.
const NOT_HEAD = 0;
const FREE_HEAD = 1;
const USED_HEAD = 2;

/**
 * Where a {@link BuddyPageAllocator} lives in guest memory.
 *
 * @example
 * ```ts
 * import { BuddyPageAllocator, type BuddyPageAllocatorOptions } from '@libos/mem';
 * const options: BuddyPageAllocatorOptions = { base: 0x100000, length: 0x400000, maxOrder: 9 };
 * const pages = new BuddyPageAllocator(options);
 * ```
 */
export interface BuddyPageAllocatorOptions {
  /** Guest address of the first managed byte; must be a multiple of {@link PAGE_SIZE}. */
  readonly base: number;
  /** Bytes to manage; a trailing partial page is not used. */
  readonly length: number;
  /** Largest block order (block = 2^order pages). Default and cap: the largest that fits the range (≤ 30). */
  readonly maxOrder?: number;
}

/**
 * {@link AllocatorStats} plus the buddy allocator's free-list shape.
 *
 * @example
 * ```ts
 * import { BuddyPageAllocator } from '@libos/mem';
 * const s = new BuddyPageAllocator({ base: 0, length: 1 << 16 }).stats();
 * s.freeBlocksByOrder; // [0, 0, 0, 0, 1]: one free 64 KiB block
 * ```
 */
export interface PageAllocatorStats extends AllocatorStats {
  /** Number of free blocks of each order, index = order. */
  readonly freeBlocksByOrder: readonly number[];
  /** Size in bytes of the largest free block (0 when full): the largest allocation that can succeed. */
  readonly largestFreeBlockBytes: number;
}

/**
 * One free block, as reported by {@link BuddyPageAllocator.freeBlocks}.
 *
 * @example
 * ```ts
 * import { BuddyPageAllocator, type FreeBlock } from '@libos/mem';
 * const blocks: FreeBlock[] = new BuddyPageAllocator({ base: 0, length: 8192 }).freeBlocks();
 * // [{ addr: 0, order: 1 }]
 * ```
 */
export interface FreeBlock {
  /** Guest address of the block, aligned to its size. */
  readonly addr: number;
  /** Block order: the block is 2^order pages. */
  readonly order: number;
}

/**
 * Number of the smallest order whose block holds `pages` pages: ⌈log2(pages)⌉.
 *
 * @param pages - a positive page count
 * @returns the order
 *
 * @example
 * ```ts
 * import { orderForPages } from '@libos/mem';
 * orderForPages(1); // 0
 * orderForPages(5); // 3
 * ```
 */
export function orderForPages(pages: number): number {
  return pages <= 1 ? 0 : 32 - Math.clz32(pages - 1);
}

/**
 * A binary buddy page allocator (Knowlton 1965; Knuth TAOCP vol. 1 §2.5) over a range
 * of guest memory, with 4 KiB pages.
 *
 * A block of order k is 2^k pages, and its guest address is aligned to its own size
 * (2^k × 4 KiB) — natural alignment, as DMA and virtqueue rings want. The buddy of the
 * block at page frame number `pfn` is at `pfn XOR 2^k`. The range need not be aligned
 * to the largest block: it is seeded with the largest naturally aligned blocks that
 * fit, and a buddy outside the range is simply never free (as Linux does with zones).
 *
 * Metadata lives in typed arrays (one state byte, one order byte and two free-list
 * links per page), not in per-block objects. Allocation and free are O(max order).
 * A request for `n` pages is rounded up to 2^⌈log2 n⌉ pages; the rounding counts as used.
 *
 * Exhaustion is a value: `alloc` returns `null`. Misuse throws {@link AllocatorError}.
 *
 * @example
 * ```ts
 * import { BuddyPageAllocator, PAGE_SIZE } from '@libos/mem';
 * const pages = new BuddyPageAllocator({ base: 1 << 20, length: 1 << 20 });
 * const a = pages.alloc(4); // 16 KiB, 16 KiB-aligned guest address
 * if (a !== null) pages.free(a);
 * pages.stats().usedBytes; // 0
 * ```
 */
export class BuddyPageAllocator {
  /** Guest address of the first managed page. */
  readonly base: number;
  /** Number of managed pages. */
  readonly pageCount: number;
  /** Largest block order. */
  readonly maxOrder: number;

  /** `basePfn mod 2^maxOrder`: added to a page index to get its position in buddy space. */
  readonly #skew: number;
  readonly #state: Uint8Array;
  readonly #order: Uint8Array;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #heads: Int32Array;
  readonly #freeCount: Int32Array;
  readonly #stats = new StatsCounter();

  /**
   * @param options - the managed range
   * @throws AllocatorError `BAD_RANGE` for a misaligned base, an empty or oversized range,
   *   or an invalid `maxOrder`
   */
  constructor(options: BuddyPageAllocatorOptions) {
    const { base, length } = options;
    if (!Number.isSafeInteger(base) || base < 0 || base % PAGE_SIZE !== 0) {
      throw new AllocatorError('BAD_RANGE', `base ${base} is not a page-aligned guest address`);
    }
    if (
      !Number.isSafeInteger(length) ||
      length < PAGE_SIZE ||
      length > Number.MAX_SAFE_INTEGER - base
    ) {
      throw new AllocatorError('BAD_RANGE', `length ${length} does not give at least one page`);
    }
    const pageCount = Math.floor(length / PAGE_SIZE);
    if (pageCount > 2 ** MAX_SUPPORTED_ORDER) {
      throw new AllocatorError(
        'BAD_RANGE',
        `range of ${pageCount} pages exceeds 2^${MAX_SUPPORTED_ORDER}`,
      );
    }
    const fitOrder = 31 - Math.clz32(pageCount);
    const maxOrder = options.maxOrder ?? fitOrder;
    if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > fitOrder) {
      throw new AllocatorError(
        'BAD_RANGE',
        `maxOrder ${maxOrder} must be an integer in [0, ${fitOrder}]`,
      );
    }
    this.base = base;
    this.pageCount = pageCount;
    this.maxOrder = maxOrder;
    this.#skew = (base / PAGE_SIZE) % 2 ** maxOrder;
    this.#state = new Uint8Array(pageCount);
    this.#order = new Uint8Array(pageCount);
    this.#next = new Int32Array(pageCount).fill(-1);
    this.#prev = new Int32Array(pageCount).fill(-1);
    this.#heads = new Int32Array(maxOrder + 1).fill(-1);
    this.#freeCount = new Int32Array(maxOrder + 1);
    // Seed with the largest naturally aligned blocks that fit.
    let idx = 0;
    while (idx < pageCount) {
      const j = idx + this.#skew;
      let k = maxOrder;
      while (k > 0 && ((j & ((1 << k) - 1)) !== 0 || idx + (1 << k) > pageCount)) k--;
      this.#push(idx, k);
      idx += 1 << k;
    }
  }

  /** Bytes managed: `pageCount × PAGE_SIZE`. */
  get capacityBytes(): number {
    return this.pageCount * PAGE_SIZE;
  }

  /**
   * Allocates at least `pages` pages (rounded up to a power of two).
   *
   * @param pages - a positive integer page count
   * @returns the guest address of the block (aligned to the block size), or `null` when
   *   no free block is large enough
   * @throws AllocatorError `BAD_SIZE` if `pages` is not a positive integer or exceeds the largest block
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * const pages = new BuddyPageAllocator({ base: 0, length: 1 << 20 });
   * pages.alloc(1); // 0
   * ```
   */
  alloc(pages: number): number | null {
    if (!Number.isSafeInteger(pages) || pages < 1) {
      throw new AllocatorError('BAD_SIZE', `page count ${pages} is not a positive integer`);
    }
    if (pages > 2 ** this.maxOrder) {
      throw new AllocatorError(
        'BAD_SIZE',
        `${pages} pages exceed the largest block (2^${this.maxOrder} pages)`,
      );
    }
    return this.allocOrder(orderForPages(pages));
  }

  /**
   * Allocates one block of exactly 2^`order` pages.
   *
   * @param order - block order in [0, maxOrder]
   * @returns the guest address of the block (aligned to 2^order × 4 KiB), or `null`
   * @throws AllocatorError `BAD_SIZE` for an order outside [0, maxOrder]
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * const pages = new BuddyPageAllocator({ base: 0, length: 1 << 20 });
   * pages.allocOrder(2); // a 16 KiB block
   * ```
   */
  allocOrder(order: number): number | null {
    if (!Number.isInteger(order) || order < 0 || order > this.maxOrder) {
      throw new AllocatorError('BAD_SIZE', `order ${order} is outside [0, ${this.maxOrder}]`);
    }
    let k = order;
    const heads = this.#heads;
    while (k <= this.maxOrder && heads[k]! < 0) k++;
    if (k > this.maxOrder) {
      this.#stats.failed++;
      return null;
    }
    const idx = heads[k]!;
    this.#unlink(idx, k);
    // Split down to the requested order, freeing the upper halves.
    while (k > order) {
      k--;
      this.#push(idx + (1 << k), k);
    }
    this.#state[idx] = USED_HEAD;
    this.#order[idx] = order;
    this.#stats.onAlloc((1 << order) * PAGE_SIZE);
    return this.base + idx * PAGE_SIZE;
  }

  /**
   * Returns a block to the allocator and merges it with its free buddies.
   *
   * @param addr - an address returned by {@link BuddyPageAllocator.alloc} / `allocOrder`
   * @throws AllocatorError `DOUBLE_FREE` if the block is already free; `FOREIGN_FREE`
   *   if `addr` is outside the range, not page-aligned, or not the start of a live block
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * const pages = new BuddyPageAllocator({ base: 0, length: 1 << 20 });
   * pages.free(pages.alloc(1)!);
   * ```
   */
  free(addr: number): void {
    let idx = this.#indexOf(addr);
    if (this.#state[idx] !== USED_HEAD) this.#refuseFree(addr, idx);
    let k = this.#order[idx]!;
    this.#state[idx] = NOT_HEAD;
    this.#stats.onFree((1 << k) * PAGE_SIZE);
    const skew = this.#skew;
    const state = this.#state;
    const orders = this.#order;
    while (k < this.maxOrder) {
      const buddy = ((idx + skew) ^ (1 << k)) - skew;
      if (buddy < 0 || buddy >= this.pageCount || state[buddy] !== FREE_HEAD || orders[buddy] !== k)
        break;
      this.#unlink(buddy, k);
      state[buddy] = NOT_HEAD;
      if (buddy < idx) idx = buddy;
      k++;
    }
    this.#push(idx, k);
  }

  /**
   * Size in bytes of the live block starting at `addr`.
   *
   * @param addr - start of a live block
   * @returns 2^order × 4 KiB
   * @throws AllocatorError as {@link BuddyPageAllocator.free} would
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * const pages = new BuddyPageAllocator({ base: 0, length: 1 << 20 });
   * pages.blockSize(pages.alloc(3)!); // 16384
   * ```
   */
  blockSize(addr: number): number {
    const idx = this.#indexOf(addr);
    if (this.#state[idx] !== USED_HEAD) this.#refuseFree(addr, idx);
    return (1 << this.#order[idx]!) * PAGE_SIZE;
  }

  /**
   * Whether `addr` lies inside the managed range.
   *
   * @param addr - a guest address
   * @returns `true` for `base <= addr < base + capacityBytes`
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * new BuddyPageAllocator({ base: 0, length: 8192 }).owns(4096); // true
   * ```
   */
  owns(addr: number): boolean {
    return addr >= this.base && addr - this.base < this.capacityBytes;
  }

  /**
   * Lists the free blocks, ordered by order then free-list position (a diagnostic, O(free blocks)).
   *
   * @returns the free blocks
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * new BuddyPageAllocator({ base: 0, length: 3 * 4096 }).freeBlocks();
   * // [{ addr: 8192, order: 0 }, { addr: 0, order: 1 }]
   * ```
   */
  freeBlocks(): FreeBlock[] {
    const out: FreeBlock[] = [];
    for (let k = 0; k <= this.maxOrder; k++) {
      for (let i = this.#heads[k]!; i >= 0; i = this.#next[i]!) {
        out.push({ addr: this.base + i * PAGE_SIZE, order: k });
      }
    }
    return out;
  }

  /**
   * Accounting snapshot (see {@link AllocatorStats}; `liveAllocations` counts blocks).
   *
   * @returns a fresh snapshot
   *
   * @example
   * ```ts
   * import { BuddyPageAllocator } from '@libos/mem';
   * new BuddyPageAllocator({ base: 0, length: 1 << 20 }).stats().freeBytes; // 1048576
   * ```
   */
  stats(): PageAllocatorStats {
    const freeBlocksByOrder = Array.from(this.#freeCount);
    let largest = 0;
    for (let k = this.maxOrder; k >= 0; k--) {
      if (freeBlocksByOrder[k]! > 0) {
        largest = (1 << k) * PAGE_SIZE;
        break;
      }
    }
    return {
      ...this.#stats.snapshot(this.capacityBytes),
      freeBlocksByOrder,
      largestFreeBlockBytes: largest,
    };
  }

  /** Page index of `addr`, or throws `FOREIGN_FREE`. */
  #indexOf(addr: number): number {
    const off = addr - this.base;
    if (
      !Number.isSafeInteger(addr) ||
      off < 0 ||
      off >= this.capacityBytes ||
      off % PAGE_SIZE !== 0
    ) {
      throw new AllocatorError('FOREIGN_FREE', `address ${addr} is not a page of this allocator`);
    }
    return off / PAGE_SIZE;
  }

  /**
   * Explains why page `idx` is not a live block head: finds the block containing it.
   * Walking up the orders, the first live head whose block covers `idx` is that block,
   * because every other aligned candidate below it is interior to it (and heads are exact).
   */
  #refuseFree(addr: number, idx: number): never {
    const j = idx + this.#skew;
    for (let k = 0; k <= this.maxOrder; k++) {
      const head = (j & ~((1 << k) - 1)) - this.#skew;
      if (head < 0) break;
      const s = this.#state[head];
      if (s !== NOT_HEAD && head + (1 << this.#order[head]!) > idx) {
        if (s === FREE_HEAD)
          throw new AllocatorError('DOUBLE_FREE', `page ${addr} is already free`);
        break;
      }
    }
    throw new AllocatorError(
      'FOREIGN_FREE',
      `address ${addr} is not the start of an allocated block`,
    );
  }

  #push(idx: number, k: number): void {
    const head = this.#heads[k]!;
    this.#next[idx] = head;
    this.#prev[idx] = -1;
    if (head >= 0) this.#prev[head] = idx;
    this.#heads[k] = idx;
    this.#state[idx] = FREE_HEAD;
    this.#order[idx] = k;
    this.#freeCount[k]!++;
  }

  #unlink(idx: number, k: number): void {
    const n = this.#next[idx]!;
    const p = this.#prev[idx]!;
    if (p >= 0) this.#next[p] = n;
    else this.#heads[k] = n;
    if (n >= 0) this.#prev[n] = p;
    this.#freeCount[k]!--;
  }
}
