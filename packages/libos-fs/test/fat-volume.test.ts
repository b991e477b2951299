/**
 * The Volume conformance suite against FatVolume on FAT12, FAT16 and FAT32, plus
 * FAT-specific behaviour (fixed root full, EFBIG, open-unlinked files, statfs, FSInfo).
 */
import {
  checkFat,
  FatTable,
  type FatType,
  formatFat,
  ManualWallClock,
  mountFat,
  parseBootSector,
  RamDisk,
} from '@libos/fs';
import { describeVolume, type VolumeUnderTest } from '@libos/fs/testing';
import { describe, expect, it } from 'vitest';

const MIB = 1024 * 1024;

/**
 * Marks all but `keepFree` clusters bad in every FAT copy: a small volume that is still
 * a valid FAT32 (which needs ≥ 65525 clusters) for ENOSPC tests.
 */
function reserveAsBad(disk: RamDisk, keepFree: number): void {
  const geo = parseBootSector(disk.contents.subarray(0, 512));
  if (typeof geo === 'string') throw new Error(geo);
  const bps = geo.bytesPerSector;
  for (let copy = 0; copy < geo.numFats; copy++) {
    const start = (geo.reservedSectors + copy * geo.fatSectors) * bps;
    const fat = new FatTable(
      geo.type,
      disk.contents.subarray(start, start + geo.fatSectors * bps),
      bps,
      geo.clusterCount,
    );
    let free = 0;
    for (let c = 2; c <= fat.maxCluster; c++) {
      if (fat.get(c) !== 0) continue;
      if (free < keepFree) free++;
      else fat.set(c, fat.badCluster);
    }
  }
}

async function make(
  type: FatType,
  bytes: number,
  clusterSize: number | undefined,
  keepFree?: number,
): Promise<VolumeUnderTest> {
  const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
  const disk = new RamDisk({ sectorCount: bytes / 512 });
  await formatFat(disk, clusterSize ? { type, clusterSize, clock } : { type, clock });
  if (keepFree !== undefined) reserveAsBad(disk, keepFree);
  return { volume: await mountFat(disk, { clock }), clock };
}

const configs: { type: FatType; big: number; small: number; cs?: number; smallFree?: number }[] = [
  { type: 12, big: 40 * MIB, small: 2 * MIB },
  { type: 16, big: 64 * MIB, small: 4 * MIB },
  { type: 32, big: 64 * MIB, small: 40 * MIB, cs: 512, smallFree: 4096 },
];

for (const c of configs) {
  describeVolume(`FatVolume FAT${c.type}`, {
    create: () => make(c.type, c.big, c.cs),
    createSmall: () => make(c.type, c.small, c.cs, c.smallFree),
    createReadOnly: async (populate) => {
      const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
      const disk = new RamDisk({ sectorCount: c.small / 512 });
      await formatFat(
        disk,
        c.cs ? { type: c.type, clusterSize: c.cs, clock } : { type: c.type, clock },
      );
      const rw = await mountFat(disk, { clock });
      await populate(rw);
      await rw.unmount();
      return { volume: await mountFat(disk, { clock, readOnly: true }), clock };
    },
    caseInsensitive: true,
    timeResolutionMs: 2000,
    accessTimeResolutionMs: 86_400_000,
  });
}

describe('FatVolume specifics', () => {
  it('the fixed FAT12/16 root fills up with ENOSPC while subdirectories grow', async () => {
    const { volume } = await make(12, 2 * MIB, undefined);
    let created = 0;
    let error: unknown;
    for (let i = 0; i < 1000; i++) {
      try {
        await volume.mkdir([`D${i}`]);
        created++;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(created).toBe(512);
    expect((error as { code: string }).code).toBe('ENOSPC');
    // A deleted entry (0xE5) is reused.
    await volume.rmdir(['D7']);
    await volume.mkdir(['REUSED']);
    await expect(volume.mkdir(['ONE MORE'])).rejects.toMatchObject({ code: 'ENOSPC' });
    for (let i = 0; i < 600; i++)
      await (await volume.open(['D0', `file ${i}.txt`], { write: true, create: true })).close();
    expect((await volume.readdir(['D0'])).length).toBe(600);
    expect((await volume.stat(['D0'])).size).toBeGreaterThan(600 * 64);
  });

  it('refuses to grow a file past 4 GiB - 1 with EFBIG', async () => {
    const { volume } = await make(32, 40 * MIB, 512);
    const f = await volume.open(['big'], { write: true, create: true });
    await expect(f.write(0xffffffff, new Uint8Array(1))).rejects.toMatchObject({ code: 'EFBIG' });
    await expect(f.truncate(0x100000000)).rejects.toMatchObject({ code: 'EFBIG' });
    expect(f.size()).toBe(0);
    await f.close();
  });

  it('keeps an unlinked open file readable and frees its clusters at close', async () => {
    const { volume } = await make(16, 8 * MIB, 512);
    const before = (await volume.statfs()).freeBlocks;
    const f = await volume.open(['x.bin'], { write: true, create: true });
    await f.write(0, new Uint8Array(5000).fill(7));
    await volume.unlink(['x.bin']);
    const back = new Uint8Array(5000);
    expect(await f.read(0, back)).toBe(5000);
    expect(back.every((b) => b === 7)).toBe(true);
    expect((await volume.statfs()).freeBlocks).toBe(before - 10);
    await f.close();
    expect((await volume.statfs()).freeBlocks).toBe(before);
  });

  it('keeps FSInfo right and corrects a wrong one at mount', async () => {
    const clock = new ManualWallClock();
    const disk = new RamDisk({ sectorCount: (40 * MIB) / 512 });
    await formatFat(disk, { type: 32, clusterSize: 512, clock });
    const vol = await mountFat(disk, { clock });
    const f = await vol.open(['a'], { write: true, create: true });
    await f.write(0, new Uint8Array(2048));
    await f.close();
    const free = (await vol.statfs()).freeBlocks;
    await vol.unmount();
    const info = disk.contents.subarray(512, 1024);
    const view = new DataView(info.buffer, info.byteOffset, 512);
    expect(view.getUint32(488, true)).toBe(free);
    view.setUint32(488, 12345, true); // a lie
    const again = await mountFat(disk, { clock });
    expect((await again.statfs()).freeBlocks).toBe(free);
  });

  it('sync alone (files still open) leaves a consistent image with the data', async () => {
    const clock = new ManualWallClock();
    const disk = new RamDisk({ sectorCount: (8 * MIB) / 512 });
    await formatFat(disk, { type: 16, clock });
    const vol = await mountFat(disk, { clock });
    await vol.mkdir(['d']);
    const f = await vol.open(['d', 'open file.bin'], { write: true, create: true });
    await f.write(0, new Uint8Array(70_000).fill(3));
    await vol.sync();
    const copy = new RamDisk({ contents: disk.contents.slice() });
    expect((await checkFat(copy)).problems).toEqual([]);
    const seen = await mountFat(copy, { clock, readOnly: true });
    expect((await seen.stat(['d', 'open file.bin'])).size).toBe(70_000);
    await f.close();
  });

  it('rejects names FAT cannot store', async () => {
    const { volume } = await make(16, 8 * MIB, 512);
    await expect(volume.mkdir(['a:b'])).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(
      volume.open(['x'.repeat(256)], { create: true, write: true }),
    ).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
    });
  });
});
