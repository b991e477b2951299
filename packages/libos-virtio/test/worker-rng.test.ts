/**
 * virtio-rng in worker mode: the EntropyDeviceModel runs in a device worker over a
 * seeded backend; the EntropyDriver here reads the seeded stream, in order.
 */
import { SeededEntropy } from '@libos/sched';
import { EntropyDriver } from '@libos/virtio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bounded, DRIVER_TIMEOUT_MS, stopWorkers, TEST_MS, workerRig } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;

afterEach(stopWorkers);

function stream(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  new SeededEntropy(seed).fill(out);
  return out;
}

describe('virtio-rng (worker)', () => {
  it('read(n) returns the seeded stream, across many requests', async () => {
    const rig = await workerRig([
      { kind: 'rng', base: BASE, backend: { type: 'seeded', seed: 42 } },
    ]);
    const rng = await EntropyDriver.open({
      memory: rig.memory,
      dma: rig.dma,
      base: BASE,
      link: rig.link,
      poolSize: 4096,
      requestSize: 512,
      timeoutMs: DRIVER_TIMEOUT_MS,
    });
    const a = await bounded(rng.read(32), 'read(32)');
    const b = await bounded(rng.read(20_000), 'read(20000)');
    const got = new Uint8Array(a.length + b.length);
    got.set(a);
    got.set(b, a.length);
    expect(got).toEqual(stream(42, got.length));
    expect(rng.stats().bytesDelivered).toBe(20_032);
    await rng.close();
  });

  it('a different seed gives a different stream; the host backend works', async () => {
    const rig = await workerRig([
      { kind: 'rng', base: BASE, backend: { type: 'seeded', seed: 7 } },
      { kind: 'rng', base: BASE + 0x1000, backend: { type: 'host' } },
    ]);
    const open = (base: number) =>
      EntropyDriver.open({
        memory: rig.memory,
        dma: rig.dma,
        base,
        link: rig.link,
        timeoutMs: DRIVER_TIMEOUT_MS,
      });
    const seeded = await open(BASE);
    const host = await open(BASE + 0x1000);
    expect(await bounded(seeded.read(64), 'seeded read')).toEqual(stream(7, 64));
    const random = await bounded(host.read(64), 'host read');
    expect(random).not.toEqual(stream(7, 64));
    expect(new Set(random).size).toBeGreaterThan(16);
    await seeded.close();
    await host.close();
  });
});
