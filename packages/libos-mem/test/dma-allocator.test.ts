import {
  AllocatorError,
  type AllocatorErrorCode,
  DmaAllocator,
  type DmaRegion,
  GuestMemory,
  PAGE_SIZE,
} from '@libos/mem';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

function codeOf(f: () => unknown): AllocatorErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof AllocatorError ? e.code : 'other error';
  }
}

const BASE = 0x40000; // aligned to the 256 KiB range, so it coalesces into one block
const LENGTH = 64 * PAGE_SIZE;

function setup(zero = true): { mem: GuestMemory; dma: DmaAllocator } {
  const mem = new GuestMemory(BASE + LENGTH + 0x1000);
  return { mem, dma: new DmaAllocator(mem, { base: BASE, length: LENGTH, zero }) };
}

describe('DmaAllocator', () => {
  it('returns regions whose bytes are views of guest memory at addr', () => {
    const { mem, dma } = setup();
    const r = dma.alloc(100, 8)!;
    expect(r.size).toBe(100);
    expect(r.bytes.length).toBe(100);
    expect(r.bytes.buffer).toBe(mem.buffer);
    expect(r.bytes.byteOffset).toBe(r.addr);
    r.bytes[5] = 0x42;
    expect(mem.readU8(r.addr + 5)).toBe(0x42);
  });

  it('packs small allocations into one slab page instead of a page each', () => {
    const { dma } = setup();
    const regions: DmaRegion[] = [];
    for (let i = 0; i < 64; i++) regions.push(dma.alloc(60)!);
    const pages = new Set(regions.map((r) => Math.floor(r.addr / PAGE_SIZE)));
    expect(pages.size).toBe(1); // 64 × 64-byte slots = one 4 KiB page
    expect(dma.stats().pageBytes).toBe(PAGE_SIZE);
    expect(dma.stats().usedBytes).toBe(64 * 64);
    dma.alloc(60);
    expect(dma.stats().pageBytes).toBe(2 * PAGE_SIZE);
  });

  it('honours alignment for slab and large allocations', () => {
    const { dma } = setup();
    for (const [size, align] of [
      [1, 1],
      [6, 2],
      [16 * 256, 16],
      [10, 1024],
      [100, 8192],
      [5000, 4096],
      [1, 65536],
    ] as const) {
      const r = dma.alloc(size, align)!;
      expect(r.addr % align).toBe(0);
      expect(r.addr).toBeGreaterThanOrEqual(BASE);
      expect(r.addr + size).toBeLessThanOrEqual(BASE + LENGTH);
    }
  });

  it('zeroes allocations by default, and not when asked', () => {
    const { mem, dma } = setup();
    mem.fill(BASE, LENGTH, 0xff);
    expect(Array.from(dma.alloc(32)!.bytes)).toEqual(new Array(32).fill(0));
    const raw = setup(false);
    raw.mem.fill(BASE, LENGTH, 0xff);
    expect(raw.dma.alloc(4)!.bytes[0]).toBe(0xff);
    // Per call: opt out on a zeroing allocator, opt in on a non-zeroing one.
    expect(dma.alloc(64 * 1024, 64, false)!.bytes.every((b) => b === 0xff)).toBe(true);
    expect(raw.dma.alloc(64 * 1024, 64, true)!.bytes.every((b) => b === 0)).toBe(true);
  });

  it('rejects bad sizes and alignments', () => {
    const { dma } = setup();
    expect(codeOf(() => dma.alloc(0))).toBe('BAD_SIZE');
    expect(codeOf(() => dma.alloc(-5))).toBe('BAD_SIZE');
    expect(codeOf(() => dma.alloc(1.5))).toBe('BAD_SIZE');
    expect(codeOf(() => dma.alloc(LENGTH + 1))).toBe('BAD_SIZE');
    expect(codeOf(() => dma.alloc(8, 3))).toBe('BAD_ALIGNMENT');
    expect(codeOf(() => dma.alloc(8, 0))).toBe('BAD_ALIGNMENT');
    expect(codeOf(() => dma.alloc(8, 2 ** 31))).toBe('BAD_ALIGNMENT');
    expect(codeOf(() => dma.alloc(8, LENGTH * 2))).toBe('BAD_ALIGNMENT');
  });

  it('rejects a range outside guest memory', () => {
    const mem = new GuestMemory(8 * PAGE_SIZE);
    expect(
      codeOf(() => new DmaAllocator(mem, { base: 4 * PAGE_SIZE, length: 8 * PAGE_SIZE })),
    ).toBe('BAD_RANGE');
    expect(codeOf(() => new DmaAllocator(mem, { base: 100, length: PAGE_SIZE }))).toBe('BAD_RANGE');
  });

  it('detects double and foreign frees', () => {
    const { dma } = setup();
    const small = dma.alloc(40)!;
    const keep = dma.alloc(40)!; // keeps the slab page alive
    const large = dma.alloc(3 * PAGE_SIZE)!;
    dma.free(small);
    expect(codeOf(() => dma.free(small))).toBe('DOUBLE_FREE');
    expect(codeOf(() => dma.free(keep.addr + 8))).toBe('FOREIGN_FREE'); // inside a slot
    expect(codeOf(() => dma.free(large.addr + PAGE_SIZE))).toBe('FOREIGN_FREE'); // inside a block
    expect(codeOf(() => dma.free(0))).toBe('FOREIGN_FREE'); // below the range
    expect(codeOf(() => dma.free(BASE + LENGTH))).toBe('FOREIGN_FREE'); // past the range
    dma.free(large);
    expect(codeOf(() => dma.free(large))).toBe('DOUBLE_FREE');
    dma.free(keep);
    expect(dma.stats().usedBytes).toBe(0);
    expect(dma.stats().pageBytes).toBe(0);
  });

  it('random alloc/free sequences: disjoint, aligned, in range, and everything returns (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('alloc' as const),
        size: fc.oneof(
          fc.integer({ min: 1, max: 2048 }),
          fc.integer({ min: 1, max: 5 * PAGE_SIZE }),
        ),
        alignShift: fc.integer({ min: 0, max: 14 }),
      }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const { mem, dma } = setup(false);
        const live: DmaRegion[] = [];
        for (const o of ops) {
          if (o.kind === 'free') {
            if (live.length === 0) continue;
            const [victim] = live.splice(o.pick % live.length, 1);
            // Ownership: the region still holds the stamp written at allocation.
            expect(victim!.bytes[0]).toBe(victim!.addr & 0xff);
            dma.free(victim!);
            continue;
          }
          const align = 2 ** o.alignShift;
          const r = dma.alloc(o.size, align);
          if (r === null) continue;
          expect(r.addr % align).toBe(0);
          expect(r.addr).toBeGreaterThanOrEqual(BASE);
          expect(r.addr + o.size).toBeLessThanOrEqual(BASE + LENGTH);
          for (const l of live) {
            expect(r.addr + r.size <= l.addr || l.addr + l.size <= r.addr).toBe(true);
          }
          r.bytes.fill(r.addr & 0xff);
          live.push(r);
          const s = dma.stats();
          expect(s.liveAllocations).toBe(live.length);
          expect(s.usedBytes).toBeGreaterThanOrEqual(live.reduce((n, l) => n + l.size, 0));
          expect(s.pageBytes).toBeGreaterThanOrEqual(s.usedBytes);
          expect(s.pageBytes).toBeLessThanOrEqual(LENGTH);
        }
        for (const l of live.splice(0)) dma.free(l);
        const s = dma.stats();
        expect(s.usedBytes).toBe(0);
        expect(s.pageBytes).toBe(0);
        expect(s.liveAllocations).toBe(0);
        // Coalesced back: the whole range is allocatable in one block again.
        expect(dma.alloc(LENGTH, PAGE_SIZE)?.addr).toBe(BASE);
        expect(mem.size).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
