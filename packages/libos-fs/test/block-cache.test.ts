import {
  BlockCache,
  BlockDeviceError,
  FaultyBlockDevice,
  RamDisk,
  TracingBlockDevice,
} from '@libos/fs';
import { describeBlockDevice } from '@libos/fs/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeferredDisk, drive, fill, firstDiff, settle } from './block-helpers.js';

describeBlockDevice('BlockCache (roomy, 512-byte sectors)', {
  create: async () => ({ device: new BlockCache(new RamDisk({ sectorCount: 128 })) }),
  createReadOnly: async () => ({
    device: new BlockCache(new RamDisk({ sectorCount: 128, readOnly: true })),
  }),
});

describeBlockDevice('BlockCache (8 sectors over a reordering disk: constant eviction)', {
  create: async () => ({
    device: new BlockCache(new DeferredDisk(new RamDisk({ sectorCount: 128 }), 'shuffle', 7), {
      capacitySectors: 8,
      maxWriteSectors: 4,
    }),
  }),
});

describeBlockDevice('BlockCache (4096-byte sectors, capacity in bytes)', {
  create: async () => ({
    device: new BlockCache(new RamDisk({ sectorSize: 4096, sectorCount: 64 }), {
      capacityBytes: 16 * 4096,
    }),
  }),
});

const S = 512;

describe('BlockCache', () => {
  it('serves repeated reads from memory and counts hits and misses', async () => {
    const disk = new TracingBlockDevice(new RamDisk({ sectorCount: 64 }));
    const cache = new BlockCache(disk, { capacitySectors: 16 });
    const b = new Uint8Array(4 * S);
    await cache.read(4, b);
    await cache.read(4, b);
    await cache.read(5, b.subarray(0, S));
    expect(disk.records().filter((r) => r.op === 'read')).toHaveLength(1);
    expect(cache.stats).toMatchObject({ hits: 5, misses: 4 });
  });

  it('keeps writes in memory until flush, then writes them and only then flushes below', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const disk = new TracingBlockDevice(ram);
    const cache = new BlockCache(disk, { capacitySectors: 32 });
    await cache.write(10, fill(1, 2 * S));
    await cache.write(20, fill(2, S));
    await cache.write(12, fill(3, S)); // adjacent to 10..11: coalesced into one write
    expect(disk.records()).toHaveLength(0);
    expect(ram.contents.subarray(10 * S, 11 * S).every((x) => x === 0)).toBe(true);
    expect(cache.dirtySectors).toBe(4);
    await cache.flush();
    const trace = disk.records();
    const writes = trace.filter((r) => r.op === 'write');
    expect(writes.map((w) => [w.sector, w.count])).toEqual([
      [10, 3],
      [20, 1],
    ]);
    const flush = trace.find((r) => r.op === 'flush')!;
    for (const w of writes) expect(w.endSeq).toBeLessThan(flush.startSeq);
    expect(ram.contents.subarray(10 * S, 12 * S)).toEqual(fill(1, 2 * S));
    expect(ram.contents.subarray(12 * S, 13 * S)).toEqual(fill(3, S));
    expect(cache.dirtySectors).toBe(0);
    expect(cache.stats).toMatchObject({ writebacks: 2, sectorsWrittenBack: 4 });
  });

  it('flush waits for writes still in flight below before flushing the device', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    const traced = new TracingBlockDevice(deferred);
    const cache = new BlockCache(traced, { capacitySectors: 4 });
    await cache.write(0, fill(1, S));
    await cache.write(30, fill(2, S));
    const flushed = cache.flush();
    await settle(2);
    expect(deferred.pending.map((p) => p.op)).toEqual(['write', 'write']);
    deferred.release(1);
    await settle(2);
    expect(deferred.pending.map((p) => p.op)).toEqual(['write']); // no flush yet
    deferred.release(0);
    await settle(2);
    expect(deferred.pending.map((p) => p.op)).toEqual(['flush']);
    deferred.release(0);
    await flushed;
    const trace = traced.records();
    const flush = trace.find((r) => r.op === 'flush')!;
    expect(trace.filter((r) => r.op === 'write').every((w) => w.endSeq < flush.startSeq)).toBe(
      true,
    );
  });

  it('evicts the least recently used sector, writing it back if dirty', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const cache = new BlockCache(ram, { capacitySectors: 3 });
    const b = new Uint8Array(S);
    await cache.write(1, fill(1, S));
    await cache.read(2, b);
    await cache.read(3, b);
    await cache.read(1, b); // 1 is now the most recent; 2 is the oldest
    await cache.read(4, b); // evicts 2 (clean)
    expect([1, 2, 3, 4].map((s) => cache.has(s))).toEqual([true, false, true, true]);
    await cache.read(5, b); // evicts 3
    await cache.read(6, b); // evicts 1: dirty, so it is written back first
    expect(cache.has(1)).toBe(false);
    expect(ram.contents.subarray(S, 2 * S)).toEqual(fill(1, S));
    expect(cache.stats.evictions).toBe(3);
    expect(cache.cachedSectors).toBe(3);
  });

  it('coalesces adjacent dirty sectors when evicting', async () => {
    const traced = new TracingBlockDevice(new RamDisk({ sectorCount: 64 }));
    const cache = new BlockCache(traced, { capacitySectors: 8, maxWriteSectors: 8 });
    for (let s = 0; s < 8; s++) await cache.write(s, fill(s, S));
    await cache.write(40, fill(40, S)); // needs room: the oldest (0) goes, with 1..7 alongside
    const writes = traced.records().filter((r) => r.op === 'write');
    expect(writes.map((w) => [w.sector, w.count])).toEqual([[0, 8]]);
  });

  it('never holds more than its capacity, even with many requests in flight', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 256 }), 'shuffle', 3);
    const cache = new BlockCache(deferred, { capacitySectors: 10 });
    let max = 0;
    const watch = setInterval(() => {
      max = Math.max(max, cache.cachedSectors);
    }, 0);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2
          ? cache.write((i * 37) % 250, fill(i, 3 * S))
          : cache.read(i * 3, new Uint8Array(2 * S)),
      ),
    );
    clearInterval(watch);
    max = Math.max(max, cache.cachedSectors);
    expect(max).toBeLessThanOrEqual(10);
  });

  it('a write landing during a read miss is not overwritten by the older disk data', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    deferred.ram.contents.fill(0xaa, 5 * S, 6 * S);
    const cache = new BlockCache(deferred, { capacitySectors: 4 });
    const readBuf = new Uint8Array(S);
    const reading = cache.read(5, readBuf);
    await settle(1);
    expect(deferred.pending).toHaveLength(1);
    await cache.write(5, fill(9, S)); // lands while the miss is in flight
    deferred.release(0);
    await reading;
    // The read may return either version; the cache must keep the newer one.
    const back = new Uint8Array(S);
    await cache.read(5, back);
    expect(back).toEqual(fill(9, S));
    const flushing = cache.flush();
    await settle(2);
    deferred.release(0); // the write-back
    await settle(2);
    deferred.release(0); // the flush
    await flushing;
    expect(deferred.ram.contents.subarray(5 * S, 6 * S)).toEqual(fill(9, S));
  });

  it('a write during an eviction write-back of the same sector is not lost', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    const cache = new BlockCache(deferred, { capacitySectors: 1 });
    await cache.write(1, fill(1, S));
    const second = cache.write(2, fill(2, S)); // must evict 1: write-back in flight
    await settle(1);
    expect(deferred.pending.map((p) => [p.op, p.sector])).toEqual([['write', 1]]);
    // 1 is still cached while its write-back runs, so this lands in the cache at once.
    await cache.write(1, fill(3, S));
    await drive(deferred, second);
    await drive(deferred, cache.flush());
    const back = new Uint8Array(S);
    await drive(deferred, cache.read(1, back));
    expect(back).toEqual(fill(3, S));
    expect(deferred.ram.contents.subarray(S, 2 * S)).toEqual(fill(3, S));
    expect(deferred.ram.contents.subarray(2 * S, 3 * S)).toEqual(fill(2, S));
  });

  it('a failed write-back rejects the flush and keeps the data dirty', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const faulty = new FaultyBlockDevice(ram);
    const cache = new BlockCache(faulty, { capacitySectors: 16 });
    await cache.write(7, fill(7, S));
    const rule = faulty.addRule({ ops: ['write'], start: 7 });
    await expect(cache.flush()).rejects.toMatchObject({ code: 'EIO' });
    expect(cache.dirtySectors).toBe(1);
    expect(cache.stats.writebackErrors).toBe(1);
    faulty.removeRule(rule);
    await cache.flush();
    expect(ram.contents.subarray(7 * S, 8 * S)).toEqual(fill(7, S));
    expect(cache.dirtySectors).toBe(0);
  });

  it('a write that needs room from a failing write-back rejects, and no data is lost', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const faulty = new FaultyBlockDevice(ram);
    const cache = new BlockCache(faulty, { capacitySectors: 2 });
    await cache.write(0, fill(0, 2 * S));
    faulty.addRule({ ops: ['write'] });
    await expect(cache.write(9, fill(9, S))).rejects.toBeInstanceOf(BlockDeviceError);
    const back = new Uint8Array(2 * S);
    await cache.read(0, back);
    expect(back).toEqual(fill(0, 2 * S));
    faulty.clearRules();
    await cache.write(9, fill(9, S));
    await cache.flush();
    expect(ram.contents.subarray(0, 2 * S)).toEqual(fill(0, 2 * S));
    expect(ram.contents.subarray(9 * S, 10 * S)).toEqual(fill(9, S));
  });

  it('a failed read miss rejects and caches nothing', async () => {
    const faulty = new FaultyBlockDevice(new RamDisk({ sectorCount: 64 }));
    const cache = new BlockCache(faulty, { capacitySectors: 8 });
    const rule = faulty.addRule({ ops: ['read'], start: 3 });
    await expect(cache.read(2, new Uint8Array(2 * S))).rejects.toMatchObject({ code: 'EIO' });
    expect(cache.cachedSectors).toBe(0);
    faulty.removeRule(rule);
    await cache.read(2, new Uint8Array(2 * S));
    expect(cache.cachedSectors).toBe(2);
  });

  it('reads larger than half the cache bypass it', async () => {
    const cache = new BlockCache(new RamDisk({ sectorCount: 64 }), { capacitySectors: 8 });
    await cache.read(0, new Uint8Array(32 * S));
    expect(cache.cachedSectors).toBe(0);
    expect(cache.stats.misses).toBe(32);
  });

  it('writes larger than the cache go through in chunks', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const cache = new BlockCache(ram, { capacitySectors: 4 });
    await cache.write(3, fill(5, 40 * S));
    const back = new Uint8Array(40 * S);
    await cache.read(3, back);
    expect(back).toEqual(fill(5, 40 * S));
    await cache.flush();
    expect(ram.contents.subarray(3 * S, 43 * S)).toEqual(fill(5, 40 * S));
  });

  it('discard drops cached data of the range (dirty too) and passes the discard down', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const traced = new TracingBlockDevice(ram);
    const cache = new BlockCache(traced, { capacitySectors: 16 });
    await cache.write(4, fill(4, 4 * S)); // 4..7 dirty
    await cache.read(20, new Uint8Array(S)); // clean
    await cache.discard!(5, 2);
    expect([4, 5, 6, 7].map((s) => cache.has(s))).toEqual([true, false, false, true]);
    expect(cache.dirtySectors).toBe(2);
    await cache.flush();
    const ops = traced.records().map((r) => [r.op, r.sector, r.count]);
    expect(ops).toContainEqual(['discard', 5, 2]);
    expect(ops.filter(([op]) => op === 'write')).toEqual([
      ['write', 4, 1],
      ['write', 7, 1],
    ]);
    await expect(cache.discard!(63, 2)).rejects.toMatchObject({ code: 'EINVAL' });
    const ro = new BlockCache(new RamDisk({ sectorCount: 8, readOnly: true }));
    await expect(ro.discard!(0, 1)).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('a write made while a discard is in flight is not overtaken by it', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    const cache = new BlockCache(deferred, { capacitySectors: 4 });
    await cache.write(5, fill(1, S));
    const discarding = cache.discard!(5, 1);
    await settle(1);
    expect(deferred.pending.map((p) => p.op)).toEqual(['discard']);
    await cache.write(5, fill(2, S)); // newer than the discard
    const flushing = cache.flush();
    await settle(2);
    // The write-back waits for the discard below to complete.
    expect(deferred.pending.map((p) => p.op)).toEqual(['discard']);
    deferred.release(0);
    await discarding;
    await drive(deferred, flushing);
    expect(deferred.ram.contents.subarray(5 * S, 6 * S)).toEqual(fill(2, S));
  });

  it('has no discard when the device below has none', () => {
    const lower = new TracingBlockDevice({
      sectorSize: 512,
      sectorCount: 8,
      readOnly: false,
      read: () => Promise.resolve(),
      write: () => Promise.resolve(),
      flush: () => Promise.resolve(),
    });
    expect(new BlockCache(lower).discard).toBeUndefined();
  });

  it('rejects bad options', () => {
    const ram = new RamDisk({ sectorCount: 8 });
    expect(() => new BlockCache(ram, { capacitySectors: 0 })).toThrow(BlockDeviceError);
    expect(() => new BlockCache(ram, { capacityBytes: 100 })).toThrow(BlockDeviceError);
    expect(() => new BlockCache(ram, { capacitySectors: 2, capacityBytes: 1024 })).toThrow(
      BlockDeviceError,
    );
    expect(() => new BlockCache(ram, { maxWriteSectors: 0 })).toThrow(BlockDeviceError);
  });

  it('matches a plain RAM disk under random concurrent operations, flushes, discards and evictions', async () => {
    const SECTORS = 48;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        sector: fc.nat(SECTORS - 1),
        count: fc.integer({ min: 1, max: 6 }),
        seed: fc.nat(),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        sector: fc.nat(SECTORS - 1),
        count: fc.integer({ min: 1, max: 6 }),
        seed: fc.constant(0),
      }),
      fc.record({
        kind: fc.constant('discard' as const),
        sector: fc.nat(SECTORS - 1),
        count: fc.integer({ min: 1, max: 6 }),
        seed: fc.constant(0),
      }),
      fc.record({
        kind: fc.constant('flush' as const),
        sector: fc.constant(0),
        count: fc.constant(0),
        seed: fc.constant(0),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        async (batches, capacity, diskSeed) => {
          const lower = new DeferredDisk(
            new RamDisk({ sectorCount: SECTORS }),
            'shuffle',
            diskSeed,
          );
          const cache = new BlockCache(lower, { capacitySectors: capacity, maxWriteSectors: 3 });
          const model = new RamDisk({ sectorCount: SECTORS });
          // Sectors discarded and not written since: their contents are unspecified.
          const unknown = new Set<number>();
          const same = (a: Uint8Array, b: Uint8Array, first: number) => {
            for (let i = 0; i < a.length / S; i++) {
              if (unknown.has(first + i)) continue;
              const d = firstDiff(a.subarray(i * S, (i + 1) * S), b.subarray(i * S, (i + 1) * S));
              if (d !== -1) return false;
            }
            return true;
          };
          for (const batch of batches) {
            // Operations in a batch run concurrently; overlapping ones are dropped so the
            // expected result does not depend on completion order.
            const used = new Set<number>();
            const chosen = batch.filter((o) => {
              const count = Math.min(o.count, SECTORS - o.sector);
              const range = Array.from({ length: count }, (_, i) => o.sector + i);
              if (o.kind === 'flush') return batch.length === 1;
              if (range.some((s) => used.has(s))) return false;
              for (const s of range) used.add(s);
              return true;
            });
            await Promise.all(
              chosen.map(async (o) => {
                const count = Math.min(o.count, SECTORS - o.sector);
                if (o.kind === 'write') {
                  const data = fill(o.seed, count * S);
                  await model.write(o.sector, data);
                  for (let i = 0; i < count; i++) unknown.delete(o.sector + i);
                  await cache.write(o.sector, data);
                } else if (o.kind === 'discard') {
                  for (let i = 0; i < count; i++) unknown.add(o.sector + i);
                  await cache.discard!(o.sector, count);
                } else if (o.kind === 'read') {
                  const want = new Uint8Array(count * S);
                  await model.read(o.sector, want);
                  const got = new Uint8Array(count * S);
                  await cache.read(o.sector, got);
                  expect(same(got, want, o.sector)).toBe(true);
                } else {
                  await cache.flush();
                  expect(same(lower.ram.contents, model.contents, 0)).toBe(true);
                }
              }),
            );
            expect(cache.cachedSectors).toBeLessThanOrEqual(capacity);
          }
          await cache.flush();
          expect(same(lower.ram.contents, model.contents, 0)).toBe(true);
        },
      ),
      { numRuns: Number(process.env['BLOCK_RUNS'] ?? 60) },
    );
  });
});
