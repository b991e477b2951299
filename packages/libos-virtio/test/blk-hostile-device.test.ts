/**
 * VirtioBlockDriver against a hostile or broken device (a DeviceModelCore with a
 * hand-written serve): a missing or invented status byte is an EIO, never a success;
 * a nonsensical configuration does not produce an unusable geometry.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  BlkFeature,
  DeviceModelCore,
  type DeviceModelSpec,
  DeviceType,
  encodeBlkConfig,
  featureMask,
  InlineLink,
  VirtioBlockDriver,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

type Serve = DeviceModelSpec['serve'];

async function hostile(serve: Serve, blkSize = 512, capacity = 64n) {
  const memory = new GuestMemory(1 << 21);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 21) - 0x10000 });
  const device = new DeviceModelCore(
    { memory, base: 0x1000, link },
    {
      deviceId: DeviceType.BLOCK,
      features: featureMask(BlkFeature.BLK_SIZE, BlkFeature.FLUSH),
      queueMaxSizes: [16],
      config: encodeBlkConfig({
        capacity,
        sizeMax: 0,
        segMax: 0,
        blkSize,
        maxDiscardSectors: 0,
        maxDiscardSeg: 0,
        discardSectorAlignment: 0,
      }),
      serve,
    },
  );
  device.start();
  const driver = await VirtioBlockDriver.open({ memory, dma, base: 0x1000, link, queueSize: 16 });
  return { memory, driver };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('VirtioBlockDriver against a hostile device', () => {
  it('a request returned without a status byte written is EIO', async () => {
    const { driver } = await hostile((_q, queue) => {
      for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) queue.pushUsed(c, 0);
      return true;
    });
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EIO');
    expect(await codeOf(driver.flush())).toBe('EIO');
  });

  it('an invented status value is EIO, and UNSUPP is EIO too', async () => {
    let status = 7;
    const { memory, driver } = await hostile((_q, queue) => {
      for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) {
        const last = c.segmentCount - 1;
        memory.writeU8(c.segmentAddress(last) + c.segmentLength(last) - 1, status);
        queue.pushUsed(c, 1);
      }
      return true;
    });
    expect(await codeOf(driver.write(0, new Uint8Array(512)))).toBe('EIO');
    status = 2; // VIRTIO_BLK_S_UNSUPP
    expect(await codeOf(driver.getId())).toBe('EIO');
    status = 0;
    await expect(driver.flush()).resolves.toBeUndefined();
  });

  it('ignores a blk_size that is not a power of two and falls back to 512', async () => {
    const { driver } = await hostile(() => true, 1000, 80n);
    expect(driver.sectorSize).toBe(512);
    expect(driver.sectorCount).toBe(80);
  });

  it('a capacity beyond 2^53 bytes gives an empty disk rather than a wrong one', async () => {
    const { driver } = await hostile(() => true, 512, 1n << 60n);
    expect(driver.sectorCount).toBe(0);
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EINVAL');
  });
});
