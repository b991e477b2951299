import { ManualWallClock, MemoryVolume, type MemoryVolumeOptions } from '@libos/fs';
import { describeVolume, type VolumeUnderTest } from '@libos/fs/testing';
import { describe, expect, it } from 'vitest';

function make(options: Omit<MemoryVolumeOptions, 'clock'>): () => Promise<VolumeUnderTest> {
  return async () => {
    const clock = new ManualWallClock(Date.UTC(2020, 5, 1));
    return { volume: new MemoryVolume({ clock, ...options }), clock };
  };
}

function readOnlyCopy(options: Omit<MemoryVolumeOptions, 'clock'>) {
  return async (populate: (v: MemoryVolume) => Promise<void>): Promise<VolumeUnderTest> => {
    const clock = new ManualWallClock(Date.UTC(2020, 5, 1));
    const writable = new MemoryVolume({ clock, ...options });
    await populate(writable);
    return { volume: writable.clone({ readOnly: true }), clock };
  };
}

describeVolume('MemoryVolume (case-sensitive)', {
  create: make({ capacityBytes: 64 << 20 }),
  createSmall: make({ capacityBytes: 1 << 20, blockSize: 512 }),
  createReadOnly: readOnlyCopy({}),
});

describeVolume('MemoryVolume (case-insensitive, FAT-like 2 s times)', {
  create: make({ capacityBytes: 64 << 20, caseInsensitive: true }),
  createSmall: make({ capacityBytes: 256 << 10, caseInsensitive: true, blockSize: 2048 }),
  createReadOnly: readOnlyCopy({ caseInsensitive: true }),
  caseInsensitive: true,
  timeResolutionMs: 2000,
});

describeVolume('MemoryVolume (unlimited, short names)', {
  create: make({ maxNameLength: 64 }),
  createSmall: make({ capacityBytes: 100_000, blockSize: 1000, maxNameLength: 64 }),
  maxNameLength: 64,
});

describe('MemoryVolume specifics', () => {
  it('EFBIG past maxFileBytes, without changing the file', async () => {
    const v = new MemoryVolume({ clock: new ManualWallClock(), maxFileBytes: 1000 });
    const f = await v.open(['f'], { write: true, create: true });
    await f.write(0, new Uint8Array(1000).fill(1));
    await expect(f.write(1000, new Uint8Array(1))).rejects.toMatchObject({ code: 'EFBIG' });
    await expect(f.truncate(1001)).rejects.toMatchObject({ code: 'EFBIG' });
    expect(f.size()).toBe(1000);
  });

  it('clone is independent of the original', async () => {
    const v = new MemoryVolume({ clock: new ManualWallClock() });
    await v.mkdir(['d']);
    const f = await v.open(['d', 'f'], { write: true, create: true });
    await f.write(0, new Uint8Array([1, 2, 3]));
    const copy = v.clone();
    await f.write(0, new Uint8Array([9]));
    await f.close();
    const g = await copy.open(['d', 'f'], {});
    const back = new Uint8Array(3);
    await g.read(0, back);
    expect(back).toEqual(new Uint8Array([1, 2, 3]));
    expect(await copy.statfs()).toEqual(await v.statfs());
    await copy.mkdir(['e']);
    expect((await v.readdir([])).map((e) => e.name)).toEqual(['d']);
  });

  it('case-insensitive lookup folds unit by unit, like FAT (ß is not SS)', async () => {
    const v = new MemoryVolume({ clock: new ManualWallClock(), caseInsensitive: true });
    await v.mkdir(['straße']);
    expect((await v.stat(['STRAßE'])).type).toBe('directory');
    await expect(v.stat(['STRASSE'])).rejects.toMatchObject({ code: 'ENOENT' });
    await v.mkdir(['Ünïcode']);
    expect((await v.stat(['üNÏCODE'])).type).toBe('directory');
  });

  it('sparse files cost only what was written', async () => {
    const v = new MemoryVolume({ clock: new ManualWallClock() });
    const f = await v.open(['s'], { write: true, create: true });
    await f.write(10 ** 12, new Uint8Array([5]));
    expect(f.size()).toBe(10 ** 12 + 1);
    const back = new Uint8Array(2);
    expect(await f.read(10 ** 12 - 1, back)).toBe(2);
    expect(back).toEqual(new Uint8Array([0, 5]));
  });

  it('rejects bad geometry', () => {
    const clock = new ManualWallClock();
    expect(() => new MemoryVolume({ clock, blockSize: 0 })).toThrow(RangeError);
    expect(() => new MemoryVolume({ clock, capacityBytes: 100, blockSize: 512 })).toThrow(
      RangeError,
    );
  });
});
