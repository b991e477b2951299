import { formatFat, mountFat, RamDisk } from '@libos/fs';
import { describe, expect, it } from 'vitest';
import { clock, pattern } from './fat-support.js';

describe('FAT smoke', () => {
  for (const [type, sectors] of [
    [12, 4096],
    [16, 65536],
    [32, 140000],
  ] as const) {
    it(`FAT${type}: write, read back after remount`, async () => {
      const disk = new RamDisk({ sectorCount: sectors });
      const g = await formatFat(disk, { clock, type });
      expect(g.type).toBe(type);
      const vol = await mountFat(disk, { clock });
      await vol.mkdir(['Some Dir']);
      const f = await vol.open(['Some Dir', 'hello world.txt'], { write: true, create: true });
      const data = pattern(10000, 3);
      await f.write(0, data);
      await f.close();
      await vol.unmount();
      const vol2 = await mountFat(disk, { clock });
      expect((await vol2.readdir([])).map((e) => e.name)).toEqual(['Some Dir']);
      expect((await vol2.readdir(['some dir'])).map((e) => e.name)).toEqual(['hello world.txt']);
      const g2 = await vol2.open(['SOME DIR', 'Hello World.txt'], {});
      const back = new Uint8Array(g2.size());
      expect(await g2.read(0, back)).toBe(10000);
      expect(back).toEqual(data);
      await g2.close();
    });
  }
});

describe('sector sizes', () => {
  it('formats 4096-byte-sector devices and mounts the image on a 512-byte-sector device', async () => {
    const disk = new RamDisk({ sectorSize: 4096, sectorCount: 4096 }); // 16 MiB
    const g = await formatFat(disk, { clock });
    expect(g.bytesPerSector).toBe(4096);
    const vol = await mountFat(disk, { clock });
    const f = await vol.open(['odd size.bin'], { write: true, create: true });
    const data = pattern(123_457, 9);
    await f.write(0, data.subarray(0, 1000));
    await f.write(1000, data.subarray(1000));
    await f.close();
    await vol.unmount();
    const small = new RamDisk({ contents: disk.contents.slice() });
    expect(small.sectorSize).toBe(512);
    const again = await mountFat(small, { clock });
    const h = await again.open(['ODD SIZE.BIN'], {});
    const back = new Uint8Array(h.size());
    await h.read(0, back);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    await h.close();
  });

  it('refuses a volume whose sectors are smaller than the device sectors', async () => {
    const disk = new RamDisk({ sectorCount: 8192 });
    await formatFat(disk, { clock });
    const big = new RamDisk({ sectorSize: 4096, contents: disk.contents });
    await expect(mountFat(big, { clock })).rejects.toMatchObject({ kind: 'bad-boot-sector' });
  });

  it('refuses impossible format requests with EINVAL', async () => {
    await expect(
      formatFat(new RamDisk({ sectorCount: 8192 }), { type: 32, clock }),
    ).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(
      formatFat(new RamDisk({ sectorCount: 2 * 1024 * 1024 }), {
        type: 12,
        clusterSize: 512,
        clock,
      }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(
      formatFat(new RamDisk({ sectorCount: 8192 }), { clusterSize: 3000, clock }),
    ).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(
      formatFat(new RamDisk({ sectorCount: 8192 }), { label: 'bad:label', clock }),
    ).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });
});
