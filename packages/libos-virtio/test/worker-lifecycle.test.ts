/**
 * Device-worker lifecycle: build failures and start timeouts surface as typed
 * DeviceWorkerErrors; a worker that dies or is stopped under a live driver fences its
 * devices (DEVICE_NEEDS_RESET), so pending and later requests fail with typed errors
 * and register writes time out — bounded, nothing hangs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockDeviceError } from '@libos/fs';
import { GuestMemory } from '@libos/mem';
import { EntropyDriver, EntropyError, TransportError, VirtioBlockDriver } from '@libos/virtio';
import { DeviceWorkerError, startDeviceWorker } from '@libos/virtio/node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { bounded, stopWorkers, TEST_MS, WAIT_MS, workerRig } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;
const dir = mkdtempSync(join(tmpdir(), 'libos-worker-life-'));

afterEach(stopWorkers);
afterAll(async () => {
  await stopWorkers();
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  return bounded(
    p.then(
      () => new Error(`${what} resolved`),
      (e: unknown) => e,
    ),
    what,
  );
}

describe('device worker lifecycle', () => {
  it('a device that cannot be built rejects ready with DEVICE_FAILED', async () => {
    const errors: DeviceWorkerError[] = [];
    const memory = new GuestMemory(1 << 20, { shared: true });
    const worker = startDeviceWorker({
      memory,
      devices: [
        {
          kind: 'blk',
          base: BASE,
          backend: { type: 'file', path: join(dir, 'missing.img') },
        },
      ],
      onError: (e) => errors.push(e),
    });
    try {
      const error = await rejection(worker.ready, 'ready');
      expect(error).toBeInstanceOf(DeviceWorkerError);
      expect((error as DeviceWorkerError).code).toBe('DEVICE_FAILED');
      expect((error as DeviceWorkerError).message).toContain('ENOENT');
      expect(errors).toEqual([error]);
      await bounded(worker.exited, 'exit');
      expect(worker.alive).toBe(false);
    } finally {
      await worker.terminate();
    }
  });

  it('bad model options reject ready with DEVICE_FAILED naming the option error', async () => {
    const memory = new GuestMemory(1 << 20, { shared: true });
    const worker = startDeviceWorker({
      memory,
      devices: [
        {
          kind: 'blk',
          base: BASE,
          backend: { type: 'memory', buffer: new SharedArrayBuffer(64 * 512) },
          options: { blockSize: 1000 },
        },
      ],
    });
    try {
      const error = await rejection(worker.ready, 'ready');
      expect((error as DeviceWorkerError).code).toBe('DEVICE_FAILED');
      expect((error as DeviceWorkerError).message).toContain('BAD_OPTION');
    } finally {
      await worker.terminate();
    }
  });

  it('refuses non-shared memory and duplicate register blocks (BAD_OPTION)', () => {
    const local = new GuestMemory(1 << 20, { shared: false });
    const rng = { kind: 'rng', base: BASE, backend: { type: 'host' } } as const;
    expect(() => startDeviceWorker({ memory: local, devices: [rng] })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }),
    );
    const memory = new GuestMemory(1 << 20, { shared: true });
    expect(() => startDeviceWorker({ memory, devices: [rng, rng] })).toThrow(DeviceWorkerError);
  });

  it('a start timeout rejects ready with START_TIMEOUT and terminates the worker', async () => {
    const memory = new GuestMemory(1 << 20, { shared: true });
    const worker = startDeviceWorker({
      memory,
      devices: [{ kind: 'rng', base: BASE, backend: { type: 'host' } }],
      startTimeoutMs: 1,
    });
    try {
      const error = await rejection(worker.ready, 'ready');
      expect((error as DeviceWorkerError).code).toBe('START_TIMEOUT');
      await bounded(worker.exited, 'exit');
    } finally {
      await worker.terminate();
    }
  });

  it('a worker that dies under a reading driver: WORKER_EXITED, the read fails typed', async () => {
    const rig = await workerRig([
      { kind: 'rng', base: BASE, backend: { type: 'seeded', seed: 1 } },
    ]);
    const rng = await EntropyDriver.open({
      memory: rig.memory,
      dma: rig.dma,
      base: BASE,
      link: rig.link,
      timeoutMs: 200,
    });
    const big = rng.read(64 << 20); // thousands of round trips: still pending below
    await rig.worker.worker.terminate(); // a crash, as far as the handle knows
    await bounded(rig.worker.exited, 'exit');
    expect(rig.worker.failure?.code).toBe('WORKER_EXITED');
    const error = await rejection(big, 'read');
    expect(error).toBeInstanceOf(EntropyError);
    expect((error as EntropyError).code).toBe('DEVICE_FAILED');
    await expect(rejection(rng.read(16), 'second read')).resolves.toBeInstanceOf(EntropyError);
    const close = await rejection(rng.close(), 'close');
    expect(close).toBeInstanceOf(TransportError);
    expect((close as TransportError).code).toBe('TIMEOUT');
  });

  it('stop() under a live block driver: clean exit, later requests fail with EIO', async () => {
    const rig = await workerRig([
      {
        kind: 'blk',
        base: BASE,
        backend: { type: 'memory', buffer: new SharedArrayBuffer(64 * 512) },
      },
    ]);
    const disk = await VirtioBlockDriver.open({
      memory: rig.memory,
      dma: rig.dma,
      base: BASE,
      link: rig.link,
      timeoutMs: 200,
    });
    await disk.write(0, new Uint8Array(512).fill(7));
    await bounded(rig.worker.stop(), 'stop');
    expect(rig.worker.alive).toBe(false);
    expect(rig.worker.failure).toBeNull(); // asked to stop: not a failure
    const error = await rejection(disk.read(0, new Uint8Array(512)), 'read after stop');
    expect(error).toBeInstanceOf(BlockDeviceError);
    expect((error as BlockDeviceError).code).toBe('EIO');
    await expect(rejection(disk.close(), 'close')).resolves.toBeInstanceOf(TransportError);
  });

  it('terminate() is idempotent and bounded', async () => {
    const rig = await workerRig([{ kind: 'rng', base: BASE, backend: { type: 'host' } }]);
    const t0 = Date.now();
    await Promise.all([rig.worker.terminate(), rig.worker.terminate(), rig.worker.stop()]);
    expect(Date.now() - t0).toBeLessThan(WAIT_MS);
    expect(rig.worker.alive).toBe(false);
  });
});
