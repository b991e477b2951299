import { BuddyPageAllocator, orderForPages, PAGE_SIZE } from './buddy-page-allocator.js';
import { AllocatorError } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import { type AllocatorStats, StatsCounter } from './stats.js';

/** Smallest slab slot: 16 bytes (a virtqueue descriptor). */
const MIN_SLOT_SHIFT = 4;
/** Largest slab slot: 2 KiB; anything larger (or more aligned) takes whole buddy blocks. */
const MAX_SLOT_SHIFT = 11;
const CLASS_COUNT = MAX_SLOT_SHIFT - MIN_SLOT_SHIFT + 1;
/** Bitmap words per slab page: 4096 / 16 = 256 slots = 8 × 32 bits. */
const WORDS_PER_PAGE = (PAGE_SIZE >> MIN_SLOT_SHIFT) >> 5;

// `#kind` per page: a slab class index (0…7), or one of these.
const KIND_NONE = -1;
const KIND_LARGE = -2;

/**
 * A DMA allocation: a guest address and a view of its bytes.
 *
 * @example
 * ```ts
 * import { DmaAllocator, type DmaRegion, GuestMemory } from '@libos/mem';
 * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
 * const region: DmaRegion | null = dma.alloc(512, 64);
 * region?.bytes.fill(0xff); // what the device sees at region.addr
 * ```
 */
export interface DmaRegion {
  /** Guest-physical address of the first byte (what a device is told). */
  readonly addr: number;
  /** Requested size in bytes. */
  readonly size: number;
  /** View of `[addr, addr + size)` in guest memory (no copy). */
  readonly bytes: Uint8Array;
}

/**
 * Where a {@link DmaAllocator} lives and how it behaves.
 *
 * @example
 * ```ts
 * import { DmaAllocator, type DmaAllocatorOptions, GuestMemory } from '@libos/mem';
 * const options: DmaAllocatorOptions = { base: 0, length: 1 << 20, zero: false };
 * const dma = new DmaAllocator(new GuestMemory(1 << 20), options);
 * ```
 */
export interface DmaAllocatorOptions {
  /** Guest address of the managed range; a multiple of 4 KiB. */
  readonly base: number;
  /** Bytes to manage (a trailing partial page is unused). */
  readonly length: number;
  /** Zero each allocation before returning it (default `true`: no data leaks between users). */
  readonly zero?: boolean;
}

/**
 * {@link AllocatorStats} of a {@link DmaAllocator}, plus the pages it holds.
 *
 * `usedBytes` counts slab slots and buddy blocks of live allocations; `pageBytes` counts
 * the pages taken from the page allocator (≥ `usedBytes`: partly used slab pages).
 *
 * @example
 * ```ts
 * import { DmaAllocator, GuestMemory } from '@libos/mem';
 * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
 * dma.alloc(100, 16);
 * dma.stats().usedBytes; // 128: the 128-byte size class
 * dma.stats().pageBytes; // 4096: one slab page
 * ```
 */
export interface DmaAllocatorStats extends AllocatorStats {
  /** Bytes of 4 KiB pages held from the underlying page allocator. */
  readonly pageBytes: number;
}

/**
 * Allocates DMA-able regions of guest memory: `alloc(size, align)` → `{ addr, bytes }`.
 *
 * Two tiers, both over one {@link BuddyPageAllocator} on the range:
 * - sizes up to 2 KiB (with `align` ≤ the rounded size) come from **slabs**: a page is
 *   cut into equal slots of a power-of-two size class (16 B … 2 KiB), tracked by a
 *   bitmap; a slab page returns to the page allocator when its last slot is freed. A
 *   slot of class c is naturally aligned to c, so alignment up to c is free.
 * - larger sizes (or larger alignments) take a buddy block of 2^k pages, naturally
 *   aligned to its size, hence to any power of two up to it.
 *
 * Metadata is typed arrays indexed by page (kind byte, slot count, 256-bit bitmap,
 * partial-slab links); there are no per-block objects. Exhaustion returns `null`;
 * misuse throws {@link AllocatorError}. A double free is detected while the memory is
 * still free; once it has been handed out again, no allocator can tell the two apart.
 *
 * @example
 * ```ts
 * import { DmaAllocator, GuestMemory } from '@libos/mem';
 * const mem = new GuestMemory(1 << 20);
 * const dma = new DmaAllocator(mem, { base: 0x10000, length: 0x80000 });
 * const ring = dma.alloc(16 * 256, 16); // a descriptor table
 * if (ring) {
 *   ring.bytes[0] = 1; // writes guest memory at ring.addr
 *   dma.free(ring);
 * }
 * ```
 */
export class DmaAllocator {
  /** The guest memory the regions live in. */
  readonly memory: GuestMemory;
  /** Guest address of the managed range. */
  readonly base: number;

  readonly #pages: BuddyPageAllocator;
  readonly #zero: boolean;
  readonly #kind: Int8Array;
  readonly #slotsUsed: Uint16Array;
  readonly #bits: Int32Array;
  readonly #slabNext: Int32Array;
  readonly #slabPrev: Int32Array;
  readonly #partial: Int32Array;
  readonly #stats = new StatsCounter();

  /**
   * @param memory - guest memory holding the range
   * @param options - the managed range
   * @throws AllocatorError `BAD_RANGE` if the range is not inside `memory` or not page-aligned
   */
  constructor(memory: GuestMemory, options: DmaAllocatorOptions) {
    if (!memory.contains(options.base, options.length)) {
      throw new AllocatorError(
        'BAD_RANGE',
        `range ${options.base}+${options.length} is not inside guest memory`,
      );
    }
    this.memory = memory;
    this.base = options.base;
    this.#pages = new BuddyPageAllocator({ base: options.base, length: options.length });
    this.#zero = options.zero ?? true;
    const n = this.#pages.pageCount;
    this.#kind = new Int8Array(n).fill(KIND_NONE);
    this.#slotsUsed = new Uint16Array(n);
    this.#bits = new Int32Array(n * WORDS_PER_PAGE);
    this.#slabNext = new Int32Array(n).fill(-1);
    this.#slabPrev = new Int32Array(n).fill(-1);
    this.#partial = new Int32Array(CLASS_COUNT).fill(-1);
  }

  /** Bytes managed (whole pages). */
  get capacityBytes(): number {
    return this.#pages.capacityBytes;
  }

  /**
   * Allocates `size` bytes aligned to `align`.
   *
   * @param size - bytes, a positive safe integer
   * @param align - a power of two (default 16)
   * @param zero - zero the region (default: the allocator's `zero` option). Pass false
   *   for a buffer the caller overwrites completely anyway, such as a bounce buffer a
   *   device fills: it saves a pass over the bytes
   * @returns the region, or `null` when memory is exhausted
   * @throws AllocatorError `BAD_SIZE` (not a positive integer, or larger than the
   *   largest block); `BAD_ALIGNMENT` (not a power of two, or larger than the largest block)
   *
   * @example
   * ```ts
   * import { DmaAllocator, GuestMemory } from '@libos/mem';
   * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
   * const r = dma.alloc(6, 2)!; // an avail ring header, 2-aligned
   * r.addr % 2; // 0
   * ```
   */
  alloc(size: number, align = 16, zero = this.#zero): DmaRegion | null {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new AllocatorError('BAD_SIZE', `size ${size} is not a positive integer`);
    }
    if (
      !Number.isSafeInteger(align) ||
      align < 1 ||
      (align & (align - 1)) !== 0 ||
      align > 2 ** 30
    ) {
      throw new AllocatorError('BAD_ALIGNMENT', `alignment ${align} is not a power of two`);
    }
    const want = Math.max(size, align);
    const addr =
      want <= 1 << MAX_SLOT_SHIFT ? this.#allocSlot(want) : this.#allocLarge(size, align);
    if (addr < 0) {
      this.#stats.failed++;
      return null;
    }
    if (zero) this.memory.u8.fill(0, addr, addr + size);
    // The range was checked against guest memory in the constructor.
    return { addr, size, bytes: new Uint8Array(this.memory.buffer, addr, size) };
  }

  /**
   * Frees a region (or the address of one).
   *
   * @param region - the region returned by {@link DmaAllocator.alloc}, or its `addr`
   * @throws AllocatorError `DOUBLE_FREE` if already free; `FOREIGN_FREE` if not the start
   *   of a live allocation of this allocator
   *
   * @example
   * ```ts
   * import { DmaAllocator, GuestMemory } from '@libos/mem';
   * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
   * dma.free(dma.alloc(64)!);
   * ```
   */
  free(region: DmaRegion | number): void {
    const addr = typeof region === 'number' ? region : region.addr;
    const off = addr - this.base;
    if (!Number.isSafeInteger(addr) || off < 0 || off >= this.capacityBytes) {
      throw new AllocatorError('FOREIGN_FREE', `address ${addr} is outside this DMA allocator`);
    }
    const page = Math.floor(off / PAGE_SIZE);
    const kind = this.#kind[page]!;
    if (kind >= 0) {
      this.#freeSlot(addr, page, kind);
    } else if (kind === KIND_LARGE && off % PAGE_SIZE === 0) {
      const bytes = this.#pages.blockSize(addr);
      this.#pages.free(addr);
      this.#kind[page] = KIND_NONE;
      this.#stats.onFree(bytes);
    } else if (kind === KIND_NONE && off % PAGE_SIZE === 0) {
      // Not ours as a live allocation; let the page allocator say whether it is free
      // (DOUBLE_FREE) or inside another block (FOREIGN_FREE). It cannot succeed: every
      // live block head here is marked KIND_LARGE or a slab.
      this.#pages.blockSize(addr);
      throw new AllocatorError('FOREIGN_FREE', `address ${addr} is not a DMA allocation`);
    } else {
      throw new AllocatorError(
        'FOREIGN_FREE',
        `address ${addr} is not the start of a DMA allocation`,
      );
    }
  }

  /**
   * Accounting snapshot (see {@link DmaAllocatorStats}).
   *
   * @returns a fresh snapshot
   *
   * @example
   * ```ts
   * import { DmaAllocator, GuestMemory } from '@libos/mem';
   * const dma = new DmaAllocator(new GuestMemory(1 << 20), { base: 0, length: 1 << 20 });
   * dma.stats().liveAllocations; // 0
   * ```
   */
  stats(): DmaAllocatorStats {
    return {
      ...this.#stats.snapshot(this.capacityBytes),
      pageBytes: this.#pages.stats().usedBytes,
    };
  }

  // ── slabs ────────────────────────────────────────────────────────────────────────

  /** Returns a slot address, or -1 when no page is available. */
  #allocSlot(want: number): number {
    const shift = Math.max(MIN_SLOT_SHIFT, 32 - Math.clz32(want - 1));
    const cls = shift - MIN_SLOT_SHIFT;
    const slotSize = 1 << shift;
    const slots = PAGE_SIZE >> shift;
    let page = this.#partial[cls]!;
    if (page < 0) {
      const pageAddr = this.#pages.allocOrder(0);
      if (pageAddr === null) return -1;
      page = (pageAddr - this.base) / PAGE_SIZE;
      this.#kind[page] = cls;
      this.#slotsUsed[page] = 0;
      this.#bits.fill(0, page * WORDS_PER_PAGE, (page + 1) * WORDS_PER_PAGE);
      this.#linkPartial(page, cls);
    }
    // First clear bit among this page's `slots` bits.
    const bits = this.#bits;
    const w0 = page * WORDS_PER_PAGE;
    const words = slots >= 32 ? slots >> 5 : 1;
    const lastMask = slots >= 32 ? -1 : (1 << slots) - 1;
    let slot = -1;
    for (let w = 0; w < words; w++) {
      const free = ~bits[w0 + w]! & lastMask;
      if (free !== 0) {
        const bit = 31 - Math.clz32(free & -free);
        bits[w0 + w] = bits[w0 + w]! | (1 << bit);
        slot = (w << 5) + bit;
        break;
      }
    }
    // A page on the partial list always has a clear bit.
    const used = this.#slotsUsed[page]! + 1;
    this.#slotsUsed[page] = used;
    if (used === slots) this.#unlinkPartial(page, cls);
    this.#stats.onAlloc(slotSize);
    return this.base + page * PAGE_SIZE + slot * slotSize;
  }

  #freeSlot(addr: number, page: number, cls: number): void {
    const shift = cls + MIN_SLOT_SHIFT;
    const slotSize = 1 << shift;
    const slots = PAGE_SIZE >> shift;
    const inPage = addr - this.base - page * PAGE_SIZE;
    if (inPage % slotSize !== 0) {
      throw new AllocatorError(
        'FOREIGN_FREE',
        `address ${addr} is not the start of a ${slotSize}-byte slot`,
      );
    }
    const slot = inPage >> shift;
    const wi = page * WORDS_PER_PAGE + (slot >> 5);
    const mask = 1 << (slot & 31);
    const word = this.#bits[wi]!;
    if ((word & mask) === 0)
      throw new AllocatorError('DOUBLE_FREE', `slot ${addr} is already free`);
    this.#bits[wi] = word & ~mask;
    const used = this.#slotsUsed[page]! - 1;
    this.#slotsUsed[page] = used;
    this.#stats.onFree(slotSize);
    if (used === slots - 1) this.#linkPartial(page, cls); // was full
    if (used === 0) {
      this.#unlinkPartial(page, cls);
      this.#kind[page] = KIND_NONE;
      this.#pages.free(this.base + page * PAGE_SIZE);
    }
  }

  #linkPartial(page: number, cls: number): void {
    const head = this.#partial[cls]!;
    this.#slabNext[page] = head;
    this.#slabPrev[page] = -1;
    if (head >= 0) this.#slabPrev[head] = page;
    this.#partial[cls] = page;
  }

  #unlinkPartial(page: number, cls: number): void {
    const n = this.#slabNext[page]!;
    const p = this.#slabPrev[page]!;
    if (p >= 0) this.#slabNext[p] = n;
    else this.#partial[cls] = n;
    if (n >= 0) this.#slabPrev[n] = p;
    this.#slabNext[page] = -1;
    this.#slabPrev[page] = -1;
  }

  // ── large blocks ─────────────────────────────────────────────────────────────────

  /** Returns a block address, or -1 when no block is available. */
  #allocLarge(size: number, align: number): number {
    const pages = Math.ceil(size / PAGE_SIZE);
    const alignOrder = align > PAGE_SIZE ? 31 - Math.clz32(align / PAGE_SIZE) : 0;
    if (pages > 2 ** this.#pages.maxOrder) {
      throw new AllocatorError(
        'BAD_SIZE',
        `size ${size} exceeds the largest block of this allocator`,
      );
    }
    if (alignOrder > this.#pages.maxOrder) {
      throw new AllocatorError(
        'BAD_ALIGNMENT',
        `alignment ${align} exceeds the largest block of this allocator`,
      );
    }
    const order = Math.max(orderForPages(pages), alignOrder);
    const addr = this.#pages.allocOrder(order);
    if (addr === null) return -1;
    this.#kind[(addr - this.base) / PAGE_SIZE] = KIND_LARGE;
    this.#stats.onAlloc((1 << order) * PAGE_SIZE);
    return addr;
  }
}
