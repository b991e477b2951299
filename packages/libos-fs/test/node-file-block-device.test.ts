import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockDeviceError } from '@libos/fs';
import { FileBlockDevice } from '@libos/fs/node';
import { describeBlockDevice } from '@libos/fs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir = '';
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'libos-fbd-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeBlockDevice('FileBlockDevice', {
  create: async () => {
    const path = join(dir, `disk-${n++}.img`);
    const device = await FileBlockDevice.open(path, { create: true, byteLength: 128 * 512 });
    return { device, dispose: () => device.close() };
  },
  createReadOnly: async () => {
    const path = join(dir, `disk-${n++}.img`);
    await writeFile(path, new Uint8Array(128 * 512));
    const device = await FileBlockDevice.open(path, { readOnly: true });
    return { device, dispose: () => device.close() };
  },
});

describe('FileBlockDevice specifics', () => {
  it('persists writes in the host file and extends a short file', async () => {
    const path = join(dir, 'persist.img');
    const d = await FileBlockDevice.open(path, {
      create: true,
      byteLength: 4096,
      sectorSize: 1024,
    });
    expect([d.sectorSize, d.sectorCount]).toEqual([1024, 4]);
    await d.write(3, new Uint8Array(1024).fill(9));
    await d.close();
    expect((await stat(path)).size).toBe(4096);
    const again = await FileBlockDevice.open(path, { sectorSize: 1024 });
    const back = new Uint8Array(1024);
    await again.read(3, back);
    expect(back.every((b) => b === 9)).toBe(true);
    await again.read(0, back);
    expect(back.every((b) => b === 0)).toBe(true);
    await again.close();
    await expect(again.read(0, back)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('refuses bad geometry, a missing file without create, and an empty file', async () => {
    await expect(
      FileBlockDevice.open(join(dir, 'x.img'), { sectorSize: 700 }),
    ).rejects.toBeInstanceOf(BlockDeviceError);
    await expect(
      FileBlockDevice.open(join(dir, 'x.img'), { create: true, byteLength: 1000 }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(FileBlockDevice.open(join(dir, 'missing.img'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await writeFile(join(dir, 'tiny.img'), new Uint8Array(100));
    await expect(FileBlockDevice.open(join(dir, 'tiny.img'))).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(
      FileBlockDevice.open(join(dir, 'tiny.img'), { readOnly: true, create: true }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
