import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GuestMemory } from '@libos/mem';
import {
  AtomicsLink,
  DeviceStatus,
  DeviceType,
  FeatureBit,
  featureMask,
  MmioDriverTransport,
  TransportError,
} from '@libos/virtio';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceCommand, DeviceEvent, DeviceWorkerData } from './transport-device.worker.js';
import { BLOCK_BASE, MEMORY_SIZE, OFFERED, queueSetup, SUPPORTED } from './transport-fixture.js';

/** Upper bound on any single wait in this file: nothing can hang. */
const WAIT_MS = 5000;

interface DeviceWorker {
  readonly worker: Worker;
  readonly events: DeviceEvent[];
  send(command: DeviceCommand): void;
  /** Resolves with the first event (already seen or future) matching `predicate`. */
  next(predicate: (event: DeviceEvent) => boolean, after?: number): Promise<DeviceEvent>;
}

/**
 * Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's entry
 * module, so a tiny eval'd bootstrap registers tsx's ESM hooks, then imports the
 * TypeScript worker.
 */
const TSX_API = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
const WORKER_URL = new URL('./transport-device.worker.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); });`;

const running: Worker[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.terminate()));
});

async function startDevice(buffer: SharedArrayBuffer): Promise<DeviceWorker> {
  const workerData: DeviceWorkerData = {
    buffer,
    base: BLOCK_BASE,
    deviceId: DeviceType.ENTROPY,
    features: OFFERED,
    queueMaxSizes: [256, 128],
  };
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    execArgv: ['--conditions=libos-source'],
    workerData,
  });
  running.push(worker);
  const events: DeviceEvent[] = [];
  const listeners = new Set<() => void>();
  let failure: unknown = null;
  worker.on('message', (event: DeviceEvent) => {
    events.push(event);
    for (const l of listeners) l();
  });
  worker.on('error', (error) => {
    failure = error;
    for (const l of listeners) l();
  });
  const handle: DeviceWorker = {
    worker,
    events,
    send: (command) => worker.postMessage(command),
    next: (predicate, after = 0) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (failure !== null) {
            reject(failure);
            return true;
          }
          const found = events.slice(after).find(predicate);
          if (found === undefined) return false;
          resolve(found);
          return true;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `no matching worker event within ${WAIT_MS} ms; saw ${JSON.stringify(events, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
            ),
          );
        }, WAIT_MS);
        const listener = (): void => {
          if (check()) {
            clearTimeout(timer);
            listeners.delete(listener);
          }
        };
        listeners.add(listener);
      }),
  };
  await handle.next((e) => e.type === 'started');
  return handle;
}

/** Polls `condition` on the event loop until true, bounded. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('worker mode: device model in a worker_threads Worker', () => {
  it('initialises, notifies, interrupts and resets across threads', async () => {
    const memory = new GuestMemory(MEMORY_SIZE, { shared: true });
    const device = await startDevice(memory.buffer as SharedArrayBuffer);
    let used = 0;
    let needsReset = 0;
    let configChanges = 0;
    const driver = new MmioDriverTransport({
      memory,
      base: BLOCK_BASE,
      link: new AtomicsLink(memory),
      timeoutMs: WAIT_MS,
      handlers: {
        onUsedBuffer: () => used++,
        onNeedsReset: () => needsReset++,
        onConfigChange: () => configChanges++,
      },
    });
    driver.start();
    try {
      const options = {
        expectedDeviceId: DeviceType.ENTROPY,
        supportedFeatures: SUPPORTED,
        queues: [queueSetup(0, 64), queueSetup(1, 128)],
      };
      const result = await driver.initialize(options);
      const intersection = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX);
      expect(result.negotiatedFeatures).toBe(intersection);
      const ok = await device.next((e) => e.type === 'driver-ok');
      expect(ok).toEqual({ type: 'driver-ok', features: intersection });
      const ready = device.events.filter((e) => e.type === 'queue-ready');
      expect(ready).toEqual([
        {
          type: 'queue-ready',
          index: 0,
          size: 64,
          descriptorArea: BigInt(queueSetup(0, 64).descriptorArea),
        },
        {
          type: 'queue-ready',
          index: 1,
          size: 128,
          descriptorArea: BigInt(queueSetup(1, 128).descriptorArea),
        },
      ]);
      expect(driver.status & DeviceStatus.DRIVER_OK).toBe(DeviceStatus.DRIVER_OK);

      // Notifications: each reaches the device (a worker may coalesce a burst, so
      // send one at a time and wait for it).
      for (let i = 1; i <= 5; i++) {
        driver.notify(i % 2);
        const n = await device.next((e) => e.type === 'notify' && e.total === i);
        expect(n).toMatchObject({ queue: i % 2 });
      }

      // Interrupts: the worker raises used-buffer interrupts, the driver's callback runs.
      device.send({ type: 'used', count: 1 });
      await until(() => used === 1);
      device.send({ type: 'used', count: 3 });
      await until(() => used >= 2);
      await new Promise((r) => setTimeout(r, 20));
      expect(used).toBeGreaterThanOrEqual(2); // a burst may coalesce into fewer interrupts
      expect(used).toBeLessThanOrEqual(4);
      expect(driver.readRegister(0x60)).toBe(0);

      device.send({ type: 'config', offset: 0, bytes: new Uint8Array([1, 2, 3, 4]) });
      await until(() => configChanges === 1);
      expect(driver.readConfig(0, 4)).toEqual(new Uint8Array([1, 2, 3, 4]));

      // NEEDS_RESET, then reset and re-initialise.
      device.send({ type: 'needs-reset', reason: 'test' });
      await until(() => needsReset === 1);
      expect(() => driver.checkDevice()).toThrow(TransportError);
      const beforeReset = device.events.length;
      await driver.reset();
      expect(driver.status).toBe(0);
      await device.next((e) => e.type === 'reset', beforeReset);
      device.send({ type: 'state' });
      const state = await device.next((e) => e.type === 'state', beforeReset);
      expect(state).toEqual({ type: 'state', status: 0, readyQueues: [] });

      await driver.initialize(options);
      expect(driver.needsReset).toBe(false);
      const beforeQuery = device.events.length;
      device.send({ type: 'state' });
      const live = await device.next((e) => e.type === 'state', beforeQuery);
      expect(live).toMatchObject({ readyQueues: [0, 1] });
      expect(device.events.some((e) => e.type === 'violation')).toBe(false);

      device.send({ type: 'stop' });
      await device.next((e) => e.type === 'stopped');
    } finally {
      driver.stop();
    }
  }, 20_000);

  it('the worker device refuses an unoffered feature: FEATURES_REJECTED and FAILED', async () => {
    const memory = new GuestMemory(MEMORY_SIZE, { shared: true });
    const device = await startDevice(memory.buffer as SharedArrayBuffer);
    const driver = new MmioDriverTransport({
      memory,
      base: BLOCK_BASE,
      link: new AtomicsLink(memory),
      timeoutMs: WAIT_MS,
    });
    const error = await driver
      .initialize({
        supportedFeatures: SUPPORTED,
        selectFeatures: (offered) => offered | featureMask(FeatureBit.RING_PACKED),
        queues: [],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('FEATURES_REJECTED');
    expect(driver.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
    const violation = await device.next((e) => e.type === 'violation');
    expect(violation).toEqual({ type: 'violation', code: 'FEATURES_NOT_OFFERED' });
  }, 20_000);

  it('a driver whose worker device has stopped gets TIMEOUT, bounded', async () => {
    const memory = new GuestMemory(MEMORY_SIZE, { shared: true });
    const device = await startDevice(memory.buffer as SharedArrayBuffer);
    device.send({ type: 'stop' });
    await device.next((e) => e.type === 'stopped');
    const driver = new MmioDriverTransport({
      memory,
      base: BLOCK_BASE,
      link: new AtomicsLink(memory),
      timeoutMs: 50,
    });
    const error = await driver.reset().catch((e: unknown) => e);
    expect((error as TransportError).code).toBe('TIMEOUT');
  }, 20_000);
});
