import {
  AllocatorError,
  type AllocatorErrorCode,
  BufferPool,
  DmaAllocator,
  GuestMemory,
  PoolBuffer,
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

describe('BufferPool', () => {
  it('hands out buffers carved from its region, with guest addresses and views', () => {
    const mem = new GuestMemory(1 << 16);
    const pool = new BufferPool(mem, { addr: 0x1000, count: 4, bufferSize: 2048 });
    const a = pool.alloc()!;
    const b = pool.alloc()!;
    expect(a.addr).toBe(0x1000);
    expect(b.addr).toBe(0x1800);
    expect(a.bytes.length).toBe(2048);
    b.bytes[0] = 0x77;
    expect(mem.readU8(0x1800)).toBe(0x77);
    expect(pool.inUse).toBe(2);
    expect(pool.available).toBe(2);
  });

  it('returns null when empty (and counts the failure), and reuses the same objects', () => {
    const pool = new BufferPool(new GuestMemory(8192), { addr: 0, count: 2, bufferSize: 1500 });
    const a = pool.alloc()!;
    const b = pool.alloc()!;
    expect(pool.alloc()).toBeNull();
    expect(pool.stats().failedAllocations).toBe(1);
    pool.free(a);
    expect(pool.alloc()).toBe(a); // same object: no garbage per alloc
    pool.free(b);
    pool.free(a);
    expect(pool.stats().usedBytes).toBe(0);
    expect(pool.stats().highWaterAllocations).toBe(2);
    expect(pool.stats().highWaterBytes).toBe(3000);
  });

  it('throws on double free and foreign free', () => {
    const mem = new GuestMemory(1 << 16);
    const pool = new BufferPool(mem, { addr: 0, count: 4, bufferSize: 2048 });
    const other = new BufferPool(mem, { addr: 0x8000, count: 4, bufferSize: 2048 });
    const a = pool.alloc()!;
    pool.free(a);
    expect(codeOf(() => pool.free(a))).toBe('DOUBLE_FREE');
    expect(codeOf(() => pool.freeAddr(a.addr))).toBe('DOUBLE_FREE');
    const o = other.alloc()!;
    expect(codeOf(() => pool.free(o))).toBe('FOREIGN_FREE');
    // A look-alike with the same index and address is still foreign.
    expect(codeOf(() => pool.free(new PoolBuffer(0, 0, new Uint8Array(2048))))).toBe(
      'FOREIGN_FREE',
    );
    expect(codeOf(() => pool.freeAddr(0x8000))).toBe('FOREIGN_FREE');
    expect(codeOf(() => pool.freeAddr(10))).toBe('FOREIGN_FREE');
    expect(other.isAllocated(o)).toBe(true);
    expect(pool.isAllocated(o)).toBe(false);
    other.freeAddr(o.addr);
    expect(other.isAllocated(o)).toBe(false);
  });

  it('validates geometry', () => {
    const mem = new GuestMemory(8192);
    expect(codeOf(() => new BufferPool(mem, { addr: 0, count: 0, bufferSize: 10 }))).toBe(
      'BAD_RANGE',
    );
    expect(codeOf(() => new BufferPool(mem, { addr: 0, count: 1, bufferSize: 0 }))).toBe(
      'BAD_RANGE',
    );
    expect(codeOf(() => new BufferPool(mem, { addr: 0, count: 5, bufferSize: 2048 }))).toBe(
      'BAD_RANGE',
    );
    expect(codeOf(() => new BufferPool(mem, { addr: -1, count: 1, bufferSize: 1 }))).toBe(
      'BAD_RANGE',
    );
  });

  it('takes its region from a DmaAllocator, and fails typed when it cannot', () => {
    const mem = new GuestMemory(1 << 20);
    const dma = new DmaAllocator(mem, { base: 0, length: 1 << 20 });
    const pool = BufferPool.fromDma(dma, 256, 2048);
    expect(pool.addr % 64).toBe(0);
    expect(dma.stats().usedBytes).toBe(512 * 1024);
    expect(codeOf(() => BufferPool.fromDma(dma, 300, 2048))).toBe('OUT_OF_MEMORY'); // needs the whole 1 MiB block
    expect(codeOf(() => BufferPool.fromDma(dma, 1024, 2048))).toBe('BAD_SIZE'); // can never fit
  });

  it('alloc/free cycles keep addresses distinct and inside the region (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.oneof(fc.constant(-1), fc.nat()), { maxLength: 200 }),
        (count, size, ops) => {
          const mem = new GuestMemory(64 + count * size);
          const pool = new BufferPool(mem, { addr: 64, count, bufferSize: size });
          const live: PoolBuffer[] = [];
          for (const op of ops) {
            if (op === -1) {
              const b = pool.alloc();
              if (live.length === count) {
                expect(b).toBeNull();
                continue;
              }
              expect(b).not.toBeNull();
              expect(live).not.toContain(b);
              expect(b!.addr).toBeGreaterThanOrEqual(64);
              expect(b!.addr + size).toBeLessThanOrEqual(64 + count * size);
              expect((b!.addr - 64) % size).toBe(0);
              expect(pool.bufferAt(b!.addr)).toBe(b);
              live.push(b!);
            } else if (live.length > 0) {
              const [b] = live.splice(op % live.length, 1);
              pool.free(b!);
            }
            expect(new Set(live.map((b) => b.addr)).size).toBe(live.length);
            expect(pool.inUse).toBe(live.length);
            expect(pool.stats().usedBytes).toBe(live.length * size);
          }
          for (const b of live.splice(0)) pool.free(b);
          expect(pool.available).toBe(count);
          expect(pool.stats().usedBytes).toBe(0);
        },
      ),
    );
  });
});
