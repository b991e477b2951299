import { AllocatorError, DmaAllocator } from '@libos/mem';

/**
 * A {@link DmaAllocator} that remembers whether it ever ran out (an allocation returned
 * `null`, or asked for more than its largest block), so that a driver failing to open
 * can be reported as `MEMORY_TOO_SMALL` whatever error type the driver wrapped it in.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * // internal to the machine (not exported)
 * const dma = new TrackingDmaAllocator(new GuestMemory(1 << 20), { base: 0x20000, length: 0xe0000 });
 * dma.alloc(1 << 30); // throws BAD_SIZE …
 * dma.exhausted; // … and remembers it: true
 * ```
 */
export class TrackingDmaAllocator extends DmaAllocator {
  #exhausted = false;

  /** Whether an allocation has failed for lack of memory since construction. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /**
   * {@link DmaAllocator.alloc}, recording exhaustion.
   *
   * @param size - bytes, a positive safe integer
   * @param align - a power of two (default 16)
   * @param zero - zero the region (default: the allocator's `zero` option)
   * @returns the region, or `null` when memory is exhausted
   * @example
   * ```ts
   * const ring = dma.alloc(4096, 4096);
   * ```
   */
  override alloc(size: number, align = 16, zero?: boolean): ReturnType<DmaAllocator['alloc']> {
    try {
      const region = zero === undefined ? super.alloc(size, align) : super.alloc(size, align, zero);
      if (region === null) this.#exhausted = true;
      return region;
    } catch (e) {
      // A well-formed request larger than the largest block: memory is too small for it.
      if (e instanceof AllocatorError && Number.isSafeInteger(size) && size > 0) {
        this.#exhausted = true;
      }
      throw e;
    }
  }
}
