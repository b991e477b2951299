import type { DmaAllocator } from '@libos/mem';
import { splitQueueLayout } from '../split-ring-layout.js';
import type { SplitQueueAddresses } from './split-queue-options.js';

/**
 * Places a split virtqueue of `size` entries in guest memory: three zeroed DMA regions
 * with the alignment of virtio 1.2 §2.7 (descriptor table 16, available ring 2, used
 * ring 4), taken from `dma`.
 *
 * @param dma - allocator of the guest memory the rings live in (it should zero
 *   allocations, its default; the rings must start zeroed)
 * @param size - queue size, a power of two in 1..32768
 * @returns the three guest addresses, or `null` when `dma` is exhausted (nothing is kept)
 * @throws RangeError if `size` is not a valid queue size; AllocatorError (`BAD_SIZE`) from
 *   `dma` if a part is larger than the allocator's largest block
 *
 * @example
 * ```ts
 * import { DmaAllocator, GuestMemory } from '@libos/mem';
 * import { allocateSplitQueue } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const dma = new DmaAllocator(memory, { base: 0, length: 1 << 20 });
 * const addresses = allocateSplitQueue(dma, 256); // { desc, avail, used }
 * ```
 */
export function allocateSplitQueue(dma: DmaAllocator, size: number): SplitQueueAddresses | null {
  const layout = splitQueueLayout(size);
  const desc = dma.alloc(layout.descriptorTable.bytes, layout.descriptorTable.align);
  if (desc === null) return null;
  const avail = dma.alloc(layout.availableRing.bytes, layout.availableRing.align);
  if (avail === null) {
    dma.free(desc);
    return null;
  }
  const used = dma.alloc(layout.usedRing.bytes, layout.usedRing.align);
  if (used === null) {
    dma.free(avail);
    dma.free(desc);
    return null;
  }
  return { desc: desc.addr, avail: avail.addr, used: used.addr };
}

/**
 * Returns the regions of a queue placed by {@link allocateSplitQueue} to `dma`.
 *
 * @param dma - the allocator the queue came from
 * @param addresses - what {@link allocateSplitQueue} returned
 *
 * @example
 * ```ts
 * import { allocateSplitQueue, freeSplitQueue } from '@libos/virtio';
 * const addresses = allocateSplitQueue(dma, 64)!;
 * freeSplitQueue(dma, addresses);
 * ```
 */
export function freeSplitQueue(dma: DmaAllocator, addresses: SplitQueueAddresses): void {
  dma.free(addresses.used);
  dma.free(addresses.avail);
  dma.free(addresses.desc);
}
