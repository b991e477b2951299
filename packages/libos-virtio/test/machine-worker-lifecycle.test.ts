/**
 * Worker-mode machine lifecycle: a worker that cannot start (a missing disk file, bad
 * model options) or drivers that cannot open make createWorkerMachine throw a
 * MachineError with everything torn down (the worker thread has exited); close is
 * bounded, flushes a file disk and stops the worker (idempotence and drivers refusing
 * work are shared with inline mode in machine-lifecycle.test.ts); a worker that dies
 * under the machine fences its devices so pending and later requests fail typed
 * instead of hanging.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { BlockDeviceError } from '@libos/fs';
import { createLink } from '@libos/net';
import { EntropyError, MachineError } from '@libos/virtio';
import { DeviceWorkerError } from '@libos/virtio/node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { bounded, stopMachines, TEST_MS, WAIT_MS, workerMachine } from './machine-worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const dir = mkdtempSync(join(tmpdir(), 'libos-machine-worker-'));

/** Worker threads created by this thread since the last reset. */
const started: Worker[] = [];
const onWorker = (w: Worker): void => {
  started.push(w);
};
process.on('worker', onWorker);

afterEach(async () => {
  await stopMachines();
  started.length = 0;
});
afterAll(async () => {
  await stopMachines();
  process.off('worker', onWorker);
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

/** Every worker thread started in this test has exited (threadId is -1 once gone). */
function noWorkerRunning(): void {
  expect(started.length).toBeGreaterThan(0);
  for (const w of started) expect(w.threadId).toBe(-1);
}

describe('createWorkerMachine failures', () => {
  it('a disk file that cannot be opened: WORKER_FAILED, the worker has exited', async () => {
    const [backend] = createLink();
    const error = await rejection(
      workerMachine({
        memoryBytes: 8 << 20,
        devices: [
          { kind: 'net', backend },
          { kind: 'blk', backend: { type: 'file', path: join(dir, 'missing.img') } },
        ],
      }),
      'createWorkerMachine',
    );
    expect(error).toBeInstanceOf(MachineError);
    expect((error as MachineError).code).toBe('WORKER_FAILED');
    expect((error as MachineError).message).toContain('ENOENT');
    const cause = (error as MachineError).cause;
    expect(cause).toBeInstanceOf(DeviceWorkerError);
    expect((cause as DeviceWorkerError).code).toBe('DEVICE_FAILED');
    noWorkerRunning();
  });

  it('bad model options: WORKER_FAILED naming the option error', async () => {
    const error = await rejection(
      workerMachine({
        memoryBytes: 8 << 20,
        devices: [
          {
            kind: 'blk',
            backend: { type: 'memory', buffer: new SharedArrayBuffer(64 * 512) },
            blockSize: 1000,
          },
        ],
      }),
      'createWorkerMachine',
    );
    expect((error as MachineError).code).toBe('WORKER_FAILED');
    expect((error as MachineError).message).toContain('BAD_OPTION');
    noWorkerRunning();
  });

  it('a start timeout: WORKER_FAILED, the worker terminated', async () => {
    const error = await rejection(
      workerMachine({
        memoryBytes: 4 << 20,
        devices: [{ kind: 'rng', source: { type: 'host' } }],
        startTimeoutMs: 1,
      }),
      'createWorkerMachine',
    );
    expect((error as MachineError).code).toBe('WORKER_FAILED');
    expect(((error as MachineError).cause as DeviceWorkerError).code).toBe('START_TIMEOUT');
    noWorkerRunning();
  });

  it('DMA too small for the drivers: MEMORY_TOO_SMALL, drivers closed, worker stopped', async () => {
    const [backend] = createLink();
    const error = await rejection(
      workerMachine({
        memoryBytes: 256 * 1024,
        devices: [
          { kind: 'rng', source: { type: 'host' } },
          { kind: 'net', backend },
        ],
      }),
      'createWorkerMachine',
    );
    expect(error).toBeInstanceOf(MachineError);
    expect((error as MachineError).code).toBe('MEMORY_TOO_SMALL');
    expect((error as MachineError).device).toBe(1);
    noWorkerRunning();
  });
});

describe('worker machine close and fencing', () => {
  it('close flushes a file disk and stops the worker within a bound (drivers refusing work: machine-lifecycle)', async () => {
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(64 * 512));
    const machine = await workerMachine({
      memoryBytes: 8 << 20,
      devices: [{ kind: 'blk', backend: { type: 'file', path }, driver: { timeoutMs: 200 } }],
    });
    const [blk] = machine.devices;
    await bounded(blk.driver.write(0, new Uint8Array(512).fill(9)), 'write');
    const t0 = Date.now();
    await bounded(machine.close(), 'close');
    expect(Date.now() - t0).toBeLessThan(WAIT_MS);
    expect(machine.worker.alive).toBe(false);
    expect(machine.worker.failure).toBeNull(); // asked to stop: not a failure
    expect(machine.poller().pollAt()).toBeNull();
    expect(new Uint8Array(readFileSync(path)).subarray(0, 512)).toEqual(
      new Uint8Array(512).fill(9),
    );
    const read = await rejection(blk.driver.read(0, new Uint8Array(512)), 'read');
    expect(read).toBeInstanceOf(BlockDeviceError);
    expect((read as BlockDeviceError).code).toBe('EIO');
  });

  it('a worker that dies under the machine: requests fail typed, close stays bounded', async () => {
    const buffer = new SharedArrayBuffer(64 * 512);
    const failures: Error[] = [];
    const machine = await workerMachine({
      memoryBytes: 8 << 20,
      devices: [
        { kind: 'blk', backend: { type: 'memory', buffer }, driver: { timeoutMs: 200 } },
        {
          kind: 'rng',
          source: { type: 'seeded', seed: 1 },
          driver: { timeoutMs: 200, onFailure: (e) => failures.push(e) },
        },
      ],
    });
    const [blk, rng] = machine.devices;
    await bounded(blk.driver.write(0, new Uint8Array(512).fill(3)), 'write');
    const big = rng.driver.read(64 << 20); // thousands of round trips: still pending below
    await machine.worker.worker.terminate(); // a crash, as far as the machine knows
    await bounded(machine.worker.exited, 'exit');
    expect(machine.worker.failure?.code).toBe('WORKER_EXITED');
    const pending = await rejection(big, 'rng read');
    expect(pending).toBeInstanceOf(EntropyError);
    expect((pending as EntropyError).code).toBe('DEVICE_FAILED');
    const read = await rejection(blk.driver.read(0, new Uint8Array(512)), 'read after death');
    expect(read).toBeInstanceOf(BlockDeviceError);
    expect((read as BlockDeviceError).code).toBe('EIO');
    await bounded(machine.close(), 'close');
    expect(machine.closed).toBe(true);
    expect(new Uint8Array(buffer, 0, 512)).toEqual(new Uint8Array(512).fill(3));
  });
});
