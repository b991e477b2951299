/**
 * virtio-blk in worker mode: the BlockDeviceModel runs in a device worker on shared
 * guest memory, the VirtioBlockDriver here on an AtomicsLink. The BlockDevice
 * conformance suite passes over a memory disk (a SharedArrayBuffer the test can see)
 * and over a file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlockDevice } from '@libos/fs/testing';
import { VirtioBlockDriver } from '@libos/virtio';
import type { BlockBackendDescription } from '@libos/virtio/node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DRIVER_TIMEOUT_MS, pattern, stopWorkers, TEST_MS, workerRig } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;
const dir = mkdtempSync(join(tmpdir(), 'libos-worker-blk-'));
let counter = 0;

afterEach(stopWorkers);
afterAll(async () => {
  await stopWorkers();
  rmSync(dir, { recursive: true, force: true });
});

async function subject(backend: BlockBackendDescription, blockSize = 512) {
  const rig = await workerRig([{ kind: 'blk', base: BASE, backend, options: { blockSize } }]);
  const driver = await VirtioBlockDriver.open({
    memory: rig.memory,
    dma: rig.dma,
    base: BASE,
    link: rig.link,
    timeoutMs: DRIVER_TIMEOUT_MS,
  });
  return {
    rig,
    driver,
    device: driver,
    dispose: async () => {
      await driver.close();
      await rig.worker.stop();
    },
  };
}

const memoryDisk = (bytes: number, readOnly: boolean): BlockBackendDescription => ({
  type: 'memory',
  buffer: new SharedArrayBuffer(bytes),
  readOnly,
});

function fileDisk(bytes: number, readOnly: boolean): BlockBackendDescription {
  const path = join(dir, `disk-${counter++}.img`);
  writeFileSync(path, new Uint8Array(bytes));
  return { type: 'file', path, readOnly };
}

describeBlockDevice('virtio-blk (worker, memory backend)', {
  create: () => subject(memoryDisk(128 * 512, false)),
  createReadOnly: () => subject(memoryDisk(128 * 512, true)),
});

describeBlockDevice('virtio-blk (worker, memory backend, 4096-byte blocks)', {
  create: () => subject(memoryDisk(96 * 4096, false), 4096),
  createReadOnly: () => subject(memoryDisk(96 * 4096, true), 4096),
});

describeBlockDevice('virtio-blk (worker, file backend)', {
  create: () => subject(fileDisk(128 * 512, false)),
  createReadOnly: () => subject(fileDisk(128 * 512, true)),
});

describe('virtio-blk (worker)', () => {
  it('writes land in the shared disk image the parent can read', async () => {
    const buffer = new SharedArrayBuffer(64 * 4096);
    const s = await subject({ type: 'memory', buffer }, 4096);
    const a = pattern(1, 4096);
    const b = pattern(2, 3 * 4096);
    await Promise.all([s.driver.write(0, a), s.driver.write(10, b), s.driver.write(63, a)]);
    const image = new Uint8Array(buffer);
    expect(image.slice(0, 4096)).toEqual(a);
    expect(image.slice(10 * 4096, 13 * 4096)).toEqual(b);
    expect(image.slice(63 * 4096)).toEqual(a);
    image.set(pattern(3, 4096), 5 * 4096); // the parent writes, the guest reads it back
    const back = new Uint8Array(4096);
    await s.driver.read(5, back);
    expect(back).toEqual(pattern(3, 4096));
    await s.dispose();
  });

  it('keeps 32 requests in flight across threads', async () => {
    const s = await subject(memoryDisk(256 * 4096, false), 4096);
    const blocks = Array.from({ length: 32 }, (_, i) => pattern(100 + i, 4096));
    await Promise.all(blocks.map((b, i) => s.driver.write(i * 7, b)));
    const back = blocks.map(() => new Uint8Array(4096));
    await Promise.all(back.map((b, i) => s.driver.read(i * 7, b)));
    expect(back).toEqual(blocks);
    await s.dispose();
  });

  it('a file backend: bytes reach the file, the worker closes it on stop', async () => {
    const path = join(dir, `disk-${counter++}.img`);
    writeFileSync(path, new Uint8Array(32 * 4096));
    const s = await subject({ type: 'file', path }, 4096);
    await s.driver.write(3, pattern(9, 4096));
    await s.driver.flush();
    expect(new Uint8Array(readFileSync(path).subarray(3 * 4096, 4 * 4096))).toEqual(
      pattern(9, 4096),
    );
    await s.dispose();
    expect(s.rig.worker.alive).toBe(false);
    expect(s.rig.worker.failure).toBeNull();
  });
});
