import { BlockDeviceError, RamDisk } from '@libos/fs';
import { describeBlockDevice } from '@libos/fs/testing';
import { describe, expect, it } from 'vitest';

describeBlockDevice('RamDisk (512-byte sectors)', {
  create: async () => ({ device: new RamDisk({ sectorCount: 128 }) }),
  createReadOnly: async () => ({ device: new RamDisk({ sectorCount: 128, readOnly: true }) }),
});

describeBlockDevice('RamDisk (4096-byte sectors)', {
  create: async () => ({ device: new RamDisk({ sectorSize: 4096, sectorCount: 64 }) }),
});

describe('RamDisk', () => {
  it('uses given contents in place and derives the sector count', async () => {
    const image = new Uint8Array(4 * 512);
    image[512] = 0x42;
    const disk = new RamDisk({ contents: image });
    expect(disk.sectorCount).toBe(4);
    const b = new Uint8Array(512);
    await disk.read(1, b);
    expect(b[0]).toBe(0x42);
    await disk.write(3, new Uint8Array(512).fill(9));
    expect(image[3 * 512]).toBe(9);
  });

  it('discard zeroes exactly the discarded sectors', async () => {
    const disk = new RamDisk({ sectorCount: 8 });
    disk.contents.fill(0xff);
    await disk.discard(2, 3);
    expect(disk.contents.subarray(2 * 512, 5 * 512).every((b) => b === 0)).toBe(true);
    expect(disk.contents[2 * 512 - 1]).toBe(0xff);
    expect(disk.contents[5 * 512]).toBe(0xff);
    await expect(disk.discard(0, 0)).rejects.toBeInstanceOf(BlockDeviceError);
  });

  it('rejects invalid geometries', () => {
    expect(() => new RamDisk({ sectorCount: 0 })).toThrow(BlockDeviceError);
    expect(() => new RamDisk({ sectorSize: 1000, sectorCount: 1 })).toThrow(BlockDeviceError);
    expect(() => new RamDisk({ sectorSize: 256, sectorCount: 1 })).toThrow(BlockDeviceError);
    expect(() => new RamDisk({})).toThrow(BlockDeviceError);
    expect(() => new RamDisk({ contents: new Uint8Array(513) })).toThrow(BlockDeviceError);
    expect(() => new RamDisk({ contents: new Uint8Array(1024), sectorCount: 3 })).toThrow(
      BlockDeviceError,
    );
  });
});
