import { AllocatorError, type AllocatorErrorCode, BuddyPageAllocator, PAGE_SIZE } from '@libos/mem';
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

interface Live {
  readonly addr: number;
  readonly bytes: number;
}

/** Checks the invariants a buddy allocator must keep after every step. */
function checkInvariants(pages: BuddyPageAllocator, live: readonly Live[]): void {
  const end = pages.base + pages.capacityBytes;
  const free = pages.freeBlocks().map((b) => ({ addr: b.addr, bytes: PAGE_SIZE * 2 ** b.order }));
  const all = [...live, ...free].sort((a, b) => a.addr - b.addr);
  // Live and free blocks tile the range exactly: no overlap, no leak.
  let cursor = pages.base;
  for (const blk of all) {
    expect(blk.addr).toBe(cursor);
    expect(blk.addr % blk.bytes).toBe(0); // natural alignment
    cursor += blk.bytes;
  }
  expect(cursor).toBe(end);
  const s = pages.stats();
  const used = live.reduce((n, l) => n + l.bytes, 0);
  expect(s.usedBytes).toBe(used);
  expect(s.freeBytes).toBe(pages.capacityBytes - used);
  expect(s.liveAllocations).toBe(live.length);
}

describe('BuddyPageAllocator', () => {
  it('returns naturally aligned blocks and rounds up to a power of two', () => {
    const pages = new BuddyPageAllocator({ base: 0x100000, length: 0x100000 });
    expect(pages.maxOrder).toBe(8);
    const a = pages.alloc(3)!;
    expect(a % (4 * PAGE_SIZE)).toBe(0);
    expect(pages.blockSize(a)).toBe(4 * PAGE_SIZE);
    const b = pages.allocOrder(5)!;
    expect(b % (32 * PAGE_SIZE)).toBe(0);
    expect(pages.stats().usedBytes).toBe(36 * PAGE_SIZE);
    pages.free(a);
    pages.free(b);
    expect(pages.stats().freeBlocksByOrder[8]).toBe(1);
  });

  it('coalesces buddies back into the full block', () => {
    const pages = new BuddyPageAllocator({ base: 0, length: 16 * PAGE_SIZE });
    const addrs: number[] = [];
    for (let i = 0; i < 16; i++) addrs.push(pages.alloc(1)!);
    expect(new Set(addrs).size).toBe(16);
    expect(pages.alloc(1)).toBeNull();
    expect(pages.stats().failedAllocations).toBe(1);
    for (const a of addrs.reverse()) pages.free(a);
    expect(pages.freeBlocks()).toEqual([{ addr: 0, order: 4 }]);
    expect(pages.stats().largestFreeBlockBytes).toBe(16 * PAGE_SIZE);
  });

  it('manages a range that is not aligned to its largest block, keeping absolute natural alignment', () => {
    // 13 pages starting at page 3: seeded as 3 | 4-7 | 8-15 (pages 3..15).
    const pages = new BuddyPageAllocator({ base: 3 * PAGE_SIZE, length: 13 * PAGE_SIZE });
    expect(pages.freeBlocks().sort((x, y) => x.addr - y.addr)).toEqual([
      { addr: 3 * PAGE_SIZE, order: 0 },
      { addr: 4 * PAGE_SIZE, order: 2 },
      { addr: 8 * PAGE_SIZE, order: 3 },
    ]);
    const big = pages.allocOrder(3)!;
    expect(big).toBe(8 * PAGE_SIZE);
    expect(pages.allocOrder(3)).toBeNull();
    pages.free(big);
    // Page 3's buddy (page 2) is outside the range: it never merges.
    const one = pages.alloc(1)!;
    pages.free(one);
    expect(pages.stats().freeBlocksByOrder).toEqual([1, 0, 1, 1]);
  });

  it('detects double free, also after the block coalesced into a larger free block', () => {
    const pages = new BuddyPageAllocator({ base: 0, length: 8 * PAGE_SIZE });
    const a = pages.alloc(1)!;
    const b = pages.alloc(1)!;
    pages.free(a);
    expect(codeOf(() => pages.free(a))).toBe('DOUBLE_FREE');
    pages.free(b); // merges with a
    expect(codeOf(() => pages.free(b))).toBe('DOUBLE_FREE');
    expect(codeOf(() => pages.free(a))).toBe('DOUBLE_FREE');
  });

  it('rejects foreign frees: outside, misaligned, interior of a live block', () => {
    const pages = new BuddyPageAllocator({ base: 0x10000, length: 8 * PAGE_SIZE });
    const a = pages.alloc(4)!;
    expect(codeOf(() => pages.free(0))).toBe('FOREIGN_FREE');
    expect(codeOf(() => pages.free(0x10000 + 8 * PAGE_SIZE))).toBe('FOREIGN_FREE');
    expect(codeOf(() => pages.free(a + 1))).toBe('FOREIGN_FREE');
    expect(codeOf(() => pages.free(a + PAGE_SIZE))).toBe('FOREIGN_FREE');
    expect(codeOf(() => pages.free(Number.NaN))).toBe('FOREIGN_FREE');
    pages.free(a);
  });

  it('rejects bad sizes and ranges', () => {
    const pages = new BuddyPageAllocator({ base: 0, length: 8 * PAGE_SIZE });
    expect(codeOf(() => pages.alloc(0))).toBe('BAD_SIZE');
    expect(codeOf(() => pages.alloc(1.5))).toBe('BAD_SIZE');
    expect(codeOf(() => pages.alloc(9))).toBe('BAD_SIZE');
    expect(codeOf(() => pages.allocOrder(4))).toBe('BAD_SIZE');
    expect(codeOf(() => pages.allocOrder(-1))).toBe('BAD_SIZE');
    expect(codeOf(() => new BuddyPageAllocator({ base: 1, length: PAGE_SIZE }))).toBe('BAD_RANGE');
    expect(codeOf(() => new BuddyPageAllocator({ base: 0, length: PAGE_SIZE - 1 }))).toBe(
      'BAD_RANGE',
    );
    expect(
      codeOf(() => new BuddyPageAllocator({ base: 0, length: 4 * PAGE_SIZE, maxOrder: 3 })),
    ).toBe('BAD_RANGE');
  });

  it('random alloc/free sequences keep the invariants and return everything (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant('order' as const), order: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(op, { maxLength: 120 }),
        (basePage, pageCount, ops) => {
          const pages = new BuddyPageAllocator({
            base: basePage * PAGE_SIZE,
            length: pageCount * PAGE_SIZE,
          });
          const live: Live[] = [];
          for (const o of ops) {
            if (o.kind === 'free') {
              if (live.length === 0) continue;
              const [victim] = live.splice(o.pick % live.length, 1);
              pages.free(victim!.addr);
            } else {
              const order = o.kind === 'alloc' ? Math.ceil(Math.log2(o.pages)) : o.order;
              if (order > pages.maxOrder) continue;
              const addr = o.kind === 'alloc' ? pages.alloc(o.pages) : pages.allocOrder(o.order);
              if (addr === null) {
                // Exhaustion only when no free block of a sufficient order exists.
                expect(pages.freeBlocks().every((b) => b.order < order)).toBe(true);
                continue;
              }
              live.push({ addr, bytes: PAGE_SIZE * 2 ** order });
            }
            checkInvariants(pages, live);
          }
          for (const l of live.splice(0)) pages.free(l.addr);
          checkInvariants(pages, live);
          const fresh = new BuddyPageAllocator({
            base: basePage * PAGE_SIZE,
            length: pageCount * PAGE_SIZE,
          });
          const key = (b: { addr: number; order: number }): string => `${b.addr}:${b.order}`;
          expect(pages.freeBlocks().map(key).sort()).toEqual(fresh.freeBlocks().map(key).sort());
          expect(pages.stats().usedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
