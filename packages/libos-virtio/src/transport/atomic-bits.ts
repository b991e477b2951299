import type { GuestMemory } from '@libos/mem';

/**
 * Atomically ORs `bits` into the u32 at `addr` (a compare-exchange loop; GuestMemory
 * has no `Atomics.or`). Internal to the transport.
 *
 * @returns the previous value
 */
export function atomicOrU32(memory: GuestMemory, addr: number, bits: number): number {
  for (;;) {
    const old = memory.atomicLoadU32(addr);
    const next = (old | bits) >>> 0;
    if (memory.atomicCompareExchangeU32(addr, old, next) === old) return old;
  }
}

/**
 * Atomically clears `bits` in the u32 at `addr`. Internal to the transport.
 *
 * @returns the previous value
 */
export function atomicClearU32(memory: GuestMemory, addr: number, bits: number): number {
  for (;;) {
    const old = memory.atomicLoadU32(addr);
    const next = (old & ~bits) >>> 0;
    if (memory.atomicCompareExchangeU32(addr, old, next) === old) return old;
  }
}
