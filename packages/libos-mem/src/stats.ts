/**
 * Accounting shared by every allocator in @libos/mem, so higher layers (socket buffers,
 * reassembly, virtqueues) can enforce memory budgets.
 *
 * Byte figures count what the allocator reserved for each live allocation, including
 * its rounding (a buddy block of 2^k pages, a slab slot of a size class, a whole pool
 * buffer), because that is what the budget really pays for.
 *
 * @example
 * ```ts
 * import { BuddyPageAllocator } from '@libos/mem';
 * const pages = new BuddyPageAllocator({ base: 0, length: 1 << 20 });
 * pages.alloc(3);
 * const s = pages.stats();
 * s.usedBytes; // 16384: three pages round up to an order-2 block
 * s.usedBytes + s.freeBytes === s.capacityBytes; // true
 * ```
 */
export interface AllocatorStats {
  /** Bytes the allocator manages. */
  readonly capacityBytes: number;
  /** Bytes reserved by live allocations (with rounding). */
  readonly usedBytes: number;
  /** `capacityBytes - usedBytes` (may be fragmented). */
  readonly freeBytes: number;
  /** The largest `usedBytes` ever observed. */
  readonly highWaterBytes: number;
  /** Number of live allocations. */
  readonly liveAllocations: number;
  /** The largest `liveAllocations` ever observed. */
  readonly highWaterAllocations: number;
  /** Successful allocations since construction. */
  readonly totalAllocations: number;
  /** Frees since construction. */
  readonly totalFrees: number;
  /** Allocation attempts that failed for lack of memory (returned `null`). */
  readonly failedAllocations: number;
}

/**
 * Mutable counters behind {@link AllocatorStats}. Internal helper, one per allocator.
 * @internal
 */
export class StatsCounter {
  usedBytes = 0;
  highWaterBytes = 0;
  live = 0;
  highWaterLive = 0;
  allocs = 0;
  frees = 0;
  failed = 0;

  /** Records a successful allocation of `bytes`. */
  onAlloc(bytes: number): void {
    this.usedBytes += bytes;
    if (this.usedBytes > this.highWaterBytes) this.highWaterBytes = this.usedBytes;
    this.live++;
    if (this.live > this.highWaterLive) this.highWaterLive = this.live;
    this.allocs++;
  }

  /** Records a free of `bytes`. */
  onFree(bytes: number): void {
    this.usedBytes -= bytes;
    this.live--;
    this.frees++;
  }

  /** Snapshot for a `stats()` method. */
  snapshot(capacityBytes: number): AllocatorStats {
    return {
      capacityBytes,
      usedBytes: this.usedBytes,
      freeBytes: capacityBytes - this.usedBytes,
      highWaterBytes: this.highWaterBytes,
      liveAllocations: this.live,
      highWaterAllocations: this.highWaterLive,
      totalAllocations: this.allocs,
      totalFrees: this.frees,
      failedAllocations: this.failed,
    };
  }
}
