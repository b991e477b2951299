/**
 * Mutated images (RELIABILITY.md "Parsers: property tests feeding random and mutated
 * bytes"): random bytes of a real image's metadata (boot sector, FATs, directories) are
 * overwritten; mounting, walking the whole tree, reading every file, writing, and
 * `checkFat` must either work or reject with an FsError — never throw anything else,
 * never hang.
 */
import { checkFat, FsError, formatFat, mountFat, RamDisk, type Volume } from '@libos/fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clock, pattern } from './fat-support.js';

async function baseImage(type: 12 | 16 | 32): Promise<{ bytes: Uint8Array; metaEnd: number }> {
  const disk = new RamDisk({ sectorCount: type === 32 ? 81920 : 8192 });
  await formatFat(disk, type === 32 ? { type, clusterSize: 512, clock } : { type, clock });
  const vol = await mountFat(disk, { clock });
  for (const d of [['dir one'], ['dir one', 'Sub Dir'], ['X']]) await vol.mkdir(d);
  let i = 0;
  for (const p of [
    ['a.txt'],
    ['Long Name File.bin'],
    ['dir one', 'inner.dat'],
    ['dir one', 'Sub Dir', 'deep file'],
  ]) {
    const f = await vol.open(p, { write: true, create: true });
    await f.write(0, pattern(700 * ++i, i));
    await f.close();
  }
  await vol.unmount();
  const g = vol.geometry;
  // Metadata: everything up to a few data clusters past the start of the data area.
  const metaEnd = (g.firstDataSector + 16 * g.sectorsPerCluster) * g.bytesPerSector;
  return { bytes: disk.contents, metaEnd };
}

async function walk(v: Volume, at: string[], depth: number): Promise<void> {
  if (depth > 8) return;
  for (const e of await v.readdir(at)) {
    const p = [...at, e.name];
    try {
      await v.stat(p);
      if (e.type === 'directory') await walk(v, p, depth + 1);
      else {
        const f = await v.open(p, {});
        const buf = new Uint8Array(Math.min(f.size(), 1 << 20));
        await f.read(0, buf);
        await f.close();
      }
    } catch (err) {
      if (!(err instanceof FsError)) throw err;
    }
  }
}

describe('mutated FAT images never escape typed errors', () => {
  for (const type of [12, 16, 32] as const) {
    it(`FAT${type}`, async () => {
      const base = await baseImage(type);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 40,
          }),
          async (mutations) => {
            const bytes = base.bytes.slice();
            for (const [at, value] of mutations) bytes[at % base.metaEnd] = value;
            const disk = new RamDisk({ contents: bytes });
            const report = await checkFat(disk);
            expect(report.problems.length === 0).toBe(report.clean);
            let vol: Volume;
            try {
              vol = await mountFat(disk, { clock });
            } catch (err) {
              expect(err).toBeInstanceOf(FsError);
              return;
            }
            try {
              await walk(vol, [], 0);
              const f = await vol.open(['new file.txt'], { write: true, create: true });
              await f.write(0, pattern(3000, 5));
              await f.close();
              await vol.mkdir(['new dir']);
            } catch (err) {
              expect(err).toBeInstanceOf(FsError);
            }
          },
        ),
        { numRuns: type === 32 ? 40 : 150, seed: 77 + type },
      );
    }, 120_000);
  }
});
