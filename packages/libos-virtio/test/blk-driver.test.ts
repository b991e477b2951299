/**
 * VirtioBlockDriver ↔ BlockDeviceModel inline: concurrency beyond the ring size,
 * zero-copy buffers, split transfers, errors and device failure.
 */
import { BlockDeviceError } from '@libos/fs';
import {
  BlkFeature,
  type BlockBackend,
  DeviceStatus,
  MemoryBlockBackend,
  VirtioBlockDriver,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { blkPair, memoryBackend, pattern } from './blk-fixture.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof BlockDeviceError ? e.code : `other: ${String(e)}`;
  }
}

describe('VirtioBlockDriver', () => {
  it('reports the negotiated geometry', async () => {
    const { driver } = await blkPair(memoryBackend(80 * 4096), { blockSize: 4096 });
    expect(driver.sectorSize).toBe(4096);
    expect(driver.sectorCount).toBe(80);
    expect(driver.readOnly).toBe(false);
    expect(typeof driver.discard).toBe('function');
    expect(driver.core.has(BlkFeature.FLUSH)).toBe(true);
  });

  it('completes 200 concurrent writes then 200 reads on a queue of 16', async () => {
    const backend = memoryBackend(256 * 512);
    const { driver, model } = await blkPair(backend, {}, 16);
    const writes = Array.from({ length: 200 }, (_, i) => driver.write(i, pattern(i + 1, 512)));
    expect(driver.pending).toBeGreaterThan(16); // the rest wait for ring space
    await Promise.all(writes);
    for (let i = 0; i < 200; i++) {
      expect(backend.bytes.subarray(i * 512, (i + 1) * 512)).toEqual(pattern(i + 1, 512));
    }
    const buffers = Array.from({ length: 200 }, () => new Uint8Array(512));
    await Promise.all(buffers.map((b, i) => driver.read(199 - i, b)));
    buffers.forEach((b, i) => {
      expect(b).toEqual(pattern(200 - i, 512));
    });
    expect(driver.pending).toBe(0);
    expect(model.inFlight).toBe(0);
  });

  it('interleaves 200 mixed reads and writes of different sizes', async () => {
    const backend = memoryBackend(1024 * 512);
    const { driver } = await blkPair(backend, {}, 16);
    const ops: Promise<void>[] = [];
    const reads: [number, Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 100; i++) {
      const sectors = 1 + (i % 4);
      const data = pattern(1000 + i, sectors * 512);
      backend.bytes.set(data, (i * 5 + 256) * 512); // for the reads below
      ops.push(driver.write(i * 4, pattern(i, 512)));
      const into = new Uint8Array(sectors * 512);
      reads.push([i, into, data]);
      ops.push(driver.read(i * 5 + 256, into));
    }
    await Promise.all(ops);
    for (const [, into, data] of reads) expect(into).toEqual(data);
    for (let i = 0; i < 100; i++) {
      expect(backend.bytes.subarray(i * 4 * 512, i * 4 * 512 + 512)).toEqual(pattern(i, 512));
    }
  });

  it('uses a caller buffer in guest memory in place (zero-copy) and allocates no bounce buffer', async () => {
    const backend = memoryBackend(64 * 512);
    const { driver, dma } = await blkPair(backend);
    const region = dma.alloc(2048, 64)!;
    region.bytes.set(pattern(5, 2048));
    const before = dma.stats().usedBytes;
    await driver.write(4, region.bytes);
    expect(backend.bytes.subarray(2048, 4096)).toEqual(pattern(5, 2048));
    region.bytes.fill(0);
    await driver.read(4, region.bytes);
    expect(region.bytes).toEqual(pattern(5, 2048));
    expect(dma.stats().usedBytes).toBe(before);
  });

  it('splits transfers larger than maxTransferBytes', async () => {
    const backend = memoryBackend(1024 * 512);
    const { driver, model } = await blkPair(backend, {}, 8, 4096);
    let peak = 0;
    const read = backend.read.bind(backend);
    backend.read = (offset, dst) => {
      peak = Math.max(peak, dst.length);
      return read(offset, dst);
    };
    const data = pattern(6, 300 * 512);
    await driver.write(10, data);
    expect(backend.bytes.subarray(10 * 512, 310 * 512)).toEqual(data);
    const back = new Uint8Array(data.length);
    await driver.read(10, back);
    expect(back).toEqual(data);
    expect(peak).toBe(4096);
    expect(model.inFlight).toBe(0);
  });

  it('discards through the device and splits by max_discard_seg', async () => {
    const discards: [number, number][] = [];
    const inner = new MemoryBlockBackend(new Uint8Array(64 * 512).fill(7));
    const backend: BlockBackend = {
      byteLength: inner.byteLength,
      readOnly: false,
      read: (o, d) => inner.read(o, d),
      write: (o, s) => inner.write(o, s),
      flush: () => inner.flush(),
      discard: (o, l) => {
        discards.push([o, l]);
        return inner.discard(o, l);
      },
    };
    const { driver } = await blkPair(backend);
    await driver.discard!(8, 16);
    expect(discards).toEqual([[4096, 8192]]);
    expect(inner.bytes.subarray(4096, 12288).every((b) => b === 0)).toBe(true);
    expect(inner.bytes[4095]).toBe(7);
    expect(await codeOf(driver.discard!(63, 2))).toBe('EINVAL');
    expect(await codeOf(driver.discard!(0, 0))).toBe('EINVAL');
  });

  it('has no discard member when the device does not offer it', async () => {
    const inner = new MemoryBlockBackend(new Uint8Array(64 * 512));
    const backend: BlockBackend = {
      byteLength: inner.byteLength,
      readOnly: false,
      read: (o, d) => inner.read(o, d),
      write: (o, s) => inner.write(o, s),
      flush: () => inner.flush(),
    };
    const { driver } = await blkPair(backend);
    expect(driver.discard).toBeUndefined();
  });

  it('getId returns the serial', async () => {
    const { driver } = await blkPair(memoryBackend(64 * 512), { serial: 'libos-disk-7' });
    expect(await driver.getId()).toBe('libos-disk-7');
  });

  it('maps a device IOERR to EIO and keeps working', async () => {
    let failReads = true;
    const inner = new MemoryBlockBackend(new Uint8Array(64 * 512));
    const backend: BlockBackend = {
      byteLength: inner.byteLength,
      readOnly: false,
      read: (o, d) => (failReads ? Promise.reject(new Error('media')) : inner.read(o, d)),
      write: (o, s) => inner.write(o, s),
      flush: () => inner.flush(),
    };
    const { driver, dma } = await blkPair(backend);
    const used = dma.stats().usedBytes;
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EIO');
    expect(dma.stats().usedBytes).toBe(used); // slot and bounce buffer given back
    failReads = false;
    await driver.write(1, pattern(9, 512));
    const back = new Uint8Array(512);
    await driver.read(1, back);
    expect(back).toEqual(pattern(9, 512));
  });

  it('rejects every pending request with EIO when the device fails', async () => {
    const never: BlockBackend = {
      byteLength: 64 * 512,
      readOnly: false,
      read: () => new Promise<void>(() => {}),
      write: () => new Promise<void>(() => {}),
      flush: () => new Promise<void>(() => {}),
    };
    const { driver, model } = await blkPair(never, {}, 4);
    const pending = Array.from({ length: 10 }, (_, i) =>
      codeOf(driver.read(i, new Uint8Array(512))),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(model.inFlight).toBe(4);
    model.core.queue(0)!.reportViolation('BAD_REQUEST', 'test: the device gives up');
    expect(model.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBeTruthy();
    expect(await Promise.all(pending)).toEqual(Array(10).fill('EIO'));
    expect(await codeOf(driver.write(0, new Uint8Array(512)))).toBe('EIO');
    expect(driver.pending).toBe(0);
  });

  it('refuses (EIO) a transfer the DMA allocator cannot hold instead of waiting forever', async () => {
    const backend = memoryBackend(16 << 20);
    const { driver } = await blkPair(backend, { sizeMax: 16 << 20 }, 16, 16 << 20);
    expect(await codeOf(driver.write(0, new Uint8Array(6 << 20)))).toBe('EIO');
    // A request queued behind it is not stuck either, and small ones still work.
    const big = codeOf(driver.read(0, new Uint8Array(6 << 20)));
    const small = driver.write(1, pattern(8, 512));
    expect(await big).toBe('EIO');
    await small;
    expect(backend.bytes.subarray(512, 1024)).toEqual(pattern(8, 512));
  });

  it('rejects requests after close', async () => {
    const { driver } = await blkPair(memoryBackend(64 * 512));
    await driver.close();
    expect(await codeOf(driver.read(0, new Uint8Array(512)))).toBe('EIO');
    expect(await codeOf(driver.flush())).toBe('EIO');
  });

  it('refuses to open a device that is not a block device', async () => {
    const { memory, dma, link } = await blkPair(memoryBackend(64 * 512));
    await expect(
      VirtioBlockDriver.open({ memory, dma, base: 0x3000, link, timeoutMs: 50 }),
    ).rejects.toBeInstanceOf(Error);
  });
});
