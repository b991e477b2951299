/**
 * Durability through the block stack: power cuts at random points of random workloads, on
 * a PowerLossBlockDevice alone and under a BlockCache. Everything flushed survives; every
 * sector holds either its flushed contents or the data of a write made after that flush.
 * Partition table writers, cut after every k-th write, leave the old table or the new one.
 */
import {
  BlockCache,
  type BlockDevice,
  GPT_TYPE,
  type PowerCutOptions,
  PowerLossBlockDevice,
  RamDisk,
  readPartitionTable,
  writeGpt,
  writeMbr,
} from '@libos/fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fill, firstDiff } from './block-helpers.js';

const S = 512;
const SECTORS = 24;

const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      flush: fc.constant(false),
      sector: fc.nat(SECTORS - 1),
      count: fc.integer({ min: 1, max: 4 }),
      seed: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      flush: fc.constant(true),
      sector: fc.constant(0),
      count: fc.constant(0),
      seed: fc.constant(0),
    }),
  },
);

const cutOptions: fc.Arbitrary<PowerCutOptions> = fc.record({
  survivors: fc.constantFrom('none' as const, 'all' as const, 'prefix' as const, 'subset' as const),
  reorder: fc.boolean(),
  tear: fc.boolean(),
  seed: fc.nat(),
});

/**
 * Runs `ops` against `device`, then cuts the power, and checks each sector of `platter`
 * against what may legally be there.
 */
async function checkCut(
  write: (sector: number, data: Uint8Array) => Promise<void>,
  flush: () => Promise<void>,
  cut: () => Promise<unknown>,
  platter: RamDisk,
  ops: { flush: boolean; sector: number; count: number; seed: number }[],
): Promise<void> {
  const durable = new Uint8Array(SECTORS * S);
  const latest = new Uint8Array(SECTORS * S);
  // Per sector: every version written since the last flush.
  let since: Uint8Array[][] = Array.from({ length: SECTORS }, () => []);
  for (const o of ops) {
    if (o.flush) {
      await flush();
      durable.set(latest);
      since = Array.from({ length: SECTORS }, () => []);
      continue;
    }
    const count = Math.min(o.count, SECTORS - o.sector);
    const data = fill(o.seed, count * S);
    await write(o.sector, data);
    latest.set(data, o.sector * S);
    for (let i = 0; i < count; i++) since[o.sector + i]!.push(data.subarray(i * S, (i + 1) * S));
  }
  await cut();
  for (let s = 0; s < SECTORS; s++) {
    const got = platter.contents.subarray(s * S, (s + 1) * S);
    const allowed = [durable.subarray(s * S, (s + 1) * S), ...since[s]!];
    expect(allowed.some((a) => firstDiff(a, got) === -1)).toBe(true);
  }
}

describe('durability under power cuts', () => {
  it('PowerLossBlockDevice: flushed data survives any cut; unflushed sectors hold a written version', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), cutOptions, async (ops, options) => {
        const platter = new RamDisk({ sectorCount: SECTORS });
        const d = new PowerLossBlockDevice(platter);
        await checkCut(
          (s, data) => d.write(s, data),
          () => d.flush(),
          () => d.powerCut(options),
          platter,
          ops,
        );
        // After any cut the journal is empty: the disk rebooted.
        expect(d.unflushedWrites).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("a 'none' cut leaves exactly the flushed state; an 'all' cut leaves exactly the latest", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        for (const survivors of ['none', 'all'] as const) {
          const platter = new RamDisk({ sectorCount: SECTORS });
          const d = new PowerLossBlockDevice(platter);
          const model = new RamDisk({ sectorCount: SECTORS });
          const flushed = new RamDisk({ sectorCount: SECTORS });
          for (const o of ops) {
            if (o.flush) {
              await d.flush();
              flushed.contents.set(model.contents);
              continue;
            }
            const data = fill(o.seed, Math.min(o.count, SECTORS - o.sector) * S);
            await d.write(o.sector, data);
            await model.write(o.sector, data);
          }
          await d.powerCut({ survivors });
          const want = survivors === 'none' ? flushed : model;
          expect(firstDiff(platter.contents, want.contents)).toBe(-1);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('BlockCache over a PowerLossBlockDevice keeps the durability contract', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        cutOptions,
        fc.integer({ min: 1, max: 10 }),
        async (ops, options, capacity) => {
          const platter = new RamDisk({ sectorCount: SECTORS });
          const power = new PowerLossBlockDevice(platter);
          const cache = new BlockCache(power, { capacitySectors: capacity, maxWriteSectors: 3 });
          await checkCut(
            (s, data) => cache.write(s, data),
            () => cache.flush(),
            () => power.powerCut(options),
            platter,
            ops,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a cache flush makes writes survive a cut; without one they are lost', async () => {
    const platter = new RamDisk({ sectorCount: SECTORS });
    const power = new PowerLossBlockDevice(platter);
    const cache = new BlockCache(power, { capacitySectors: 8 });
    await cache.write(1, fill(1, S));
    await cache.flush();
    await cache.write(2, fill(2, S));
    await power.powerCut();
    expect(platter.contents.subarray(S, 2 * S)).toEqual(fill(1, S));
    expect(platter.contents.subarray(2 * S, 3 * S).every((b) => b === 0)).toBe(true);
  });

  describe('partition tables written with the power cut after every k-th write', () => {
    const guid = (n: number) => `0000000${n}-0000-4000-8000-000000000000`;
    const oldGpt = [{ start: 100, size: 50, type: GPT_TYPE.linuxSwap, guid: guid(1), name: 'old' }];
    const newGpt = [
      { start: 40, size: 200, type: GPT_TYPE.linuxFilesystem, guid: guid(2), name: 'new' },
      { start: 300, size: 100, type: GPT_TYPE.basicData, guid: guid(3) },
    ];
    const extents = (ps: readonly { start: number; size: number }[]) =>
      JSON.stringify(ps.map((p) => [p.start, p.size]));

    /** The writes of `write` stay unflushed (its final flush never completes); then cut. */
    async function cutAfter(
      platter: RamDisk,
      write: (d: BlockDevice) => Promise<void>,
      options: PowerCutOptions,
    ): Promise<number> {
      const power = new PowerLossBlockDevice(platter);
      const noFlush: BlockDevice = {
        sectorSize: power.sectorSize,
        sectorCount: power.sectorCount,
        readOnly: false,
        read: (s, b) => power.read(s, b),
        write: (s, b) => power.write(s, b),
        flush: () => Promise.resolve(),
      };
      await write(noFlush);
      const writes = power.unflushedWrites;
      await power.powerCut(options);
      return writes;
    }

    for (const tear of [false, true]) {
      it(`writeGpt: the table read back is the old one or the new one${tear ? ' (last write torn)' : ''}`, async () => {
        for (const start of ['blank', 'old'] as const) {
          const old = start === 'old' ? oldGpt : [];
          for (let k = 0; ; k++) {
            const platter = new RamDisk({ sectorCount: 1024 });
            if (start === 'old') await writeGpt(platter, oldGpt, { diskGuid: guid(8) });
            const writes = await cutAfter(
              platter,
              (d) => writeGpt(d, newGpt, { diskGuid: guid(9) }),
              { survivors: 'prefix', keep: k, tear, seed: k },
            );
            const t = await readPartitionTable(platter);
            expect([extents(old), extents(newGpt)]).toContain(extents(t.partitions));
            if (k >= writes) {
              // Every write made it (unless the last one, the protective MBR, was torn away).
              if (!tear) expect(extents(t.partitions)).toBe(extents(newGpt));
              if (!tear) expect(t.damage).toEqual([]);
              break;
            }
          }
        }
      });
    }

    it('writeMbr with logical partitions: the table read back is the old one or the new one', async () => {
      const parts = [
        { start: 10, size: 50, type: 0x83 },
        { start: 101, size: 100, type: 0x83, logical: true },
        { start: 300, size: 100, type: 0x82, logical: true },
      ];
      const options = { extended: { start: 100, size: 400 } };
      for (let k = 0; ; k++) {
        const platter = new RamDisk({ sectorCount: 1024 });
        await writeMbr(platter, [{ start: 600, size: 10, type: 0x0c }]);
        const writes = await cutAfter(platter, (d) => writeMbr(d, parts, options), {
          survivors: 'prefix',
          keep: k,
        });
        const t = await readPartitionTable(platter);
        const primaryOnly = t.partitions.filter((p) => p.scheme === 'mbr' && p.kind !== 'extended');
        expect([extents([{ start: 600, size: 10 }]), extents(parts)]).toContain(
          extents(primaryOnly),
        );
        if (k >= writes) {
          expect(extents(primaryOnly)).toBe(extents(parts));
          break;
        }
      }
    });
  });
});
