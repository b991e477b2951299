/**
 * Shared setup of the worker-mode tests: shared guest memory, a DMA allocator and an
 * AtomicsLink for the drivers (this thread), and a device worker that is always
 * terminated after the test (`afterEach(stopWorkers)`).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { AtomicsLink } from '@libos/virtio';
import { type DeviceWorker, type DeviceWorkerSpec, startDeviceWorker } from '@libos/virtio/node';

/** Upper bound on any single wait in the worker tests: nothing can hang. */
export const WAIT_MS = 5000;
/** Driver register-write timeout on the AtomicsLink. */
export const DRIVER_TIMEOUT_MS = 3000;
export const MEMORY_SIZE = 8 << 20;
/** Bound on a worker's start (tsx compiles the sources in each worker: slow under load). */
export const START_MS = 15_000;
/** Per-test bound for worker tests (`vi.setConfig({ testTimeout })`), start included. */
export const TEST_MS = 30_000;

const running = new Set<DeviceWorker>();

/** Terminates every worker started by {@link workerRig} (use in afterEach / afterAll). */
export async function stopWorkers(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((w) => w.terminate()));
}

export async function workerRig(devices: readonly DeviceWorkerSpec[], memorySize = MEMORY_SIZE) {
  const memory = new GuestMemory(memorySize, { shared: true });
  const dma = new DmaAllocator(memory, { base: 0x10000, length: memorySize - 0x10000 });
  const link = new AtomicsLink(memory);
  const worker = startDeviceWorker({ memory, devices, startTimeoutMs: START_MS });
  running.add(worker);
  await worker.ready;
  return { memory, dma, link, worker };
}

/** Resolves `p`, or rejects after `ms` (so no await in a test can hang). */
export function bounded<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Polls `condition` on the event loop until true, bounded. */
export async function until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
