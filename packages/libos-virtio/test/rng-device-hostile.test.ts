/**
 * virtio-rng device model against a hostile driver (virtio 1.2 §5.4.6.1): chains are
 * built by hand with DriverCore / SplitQueueDriver, bypassing EntropyDriver.
 */
import { SeededEntropy } from '@libos/sched';
import {
  DescriptorFlag,
  DeviceStatus,
  DeviceType,
  DriverCore,
  EntropyDeviceModel,
  type EntropyDeviceModelOptions,
  type TransportError,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { BASE, memoryAndLink, RecordingEntropy } from './rng-fixture.js';

async function rawPair(options: EntropyDeviceModelOptions = {}) {
  const { memory, link, dma } = memoryAndLink();
  const backend = new RecordingEntropy(new SeededEntropy(3));
  const device = new EntropyDeviceModel({ memory, base: BASE, link }, backend, options);
  device.start();
  const failures: Error[] = [];
  const driver = await DriverCore.open({
    memory,
    dma,
    base: BASE,
    link,
    deviceId: DeviceType.ENTROPY,
    features: 0n,
    queueSizes: [16],
    onFailure: (e) => failures.push(e),
  });
  return { memory, dma, backend, device, driver, failures };
}

function needsReset(device: EntropyDeviceModel): boolean {
  return (device.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET) !== 0;
}

describe('EntropyDeviceModel: requests', () => {
  it('fills a multi-segment writable chain and reports the length it wrote', async () => {
    const { dma, backend, driver } = await rawPair();
    const a = dma.alloc(40, 16)!;
    const b = dma.alloc(24, 16)!;
    const q = driver.queue(0);
    expect(
      q.addChain(
        [],
        [
          { addr: a.addr, len: 40 },
          { addr: b.addr, len: 24 },
        ],
        9,
      ),
    ).toBe(true);
    driver.kick(0);
    const used: [number, number][] = [];
    q.pollUsed((t, len) => used.push([t, len]));
    expect(used).toEqual([[9, 64]]);
    const written = new Uint8Array(64);
    written.set(a.bytes, 0);
    written.set(b.bytes, 40);
    expect(written).toEqual(backend.drawn());
  });

  it('caps a request at maxBytesPerRequest (§5.4.6.2: may use less than the buffer)', async () => {
    const { dma, backend, driver } = await rawPair({ maxBytesPerRequest: 10 });
    const a = dma.alloc(64, 16)!;
    const q = driver.queue(0);
    q.addBuffer(a.addr, 64, true, 1);
    driver.kick(0);
    const lens: number[] = [];
    q.pollUsed((_t, len) => lens.push(len));
    expect(lens).toEqual([10]);
    expect(backend.calls).toEqual([10]);
    expect(Array.from(a.bytes.subarray(10))).toEqual(new Array(54).fill(0));
  });

  it('rejects a bad maxBytesPerRequest', () => {
    const { memory, link } = memoryAndLink();
    expect(
      () =>
        new EntropyDeviceModel({ memory, base: BASE, link }, new SeededEntropy(1), {
          maxBytesPerRequest: 0,
        }),
    ).toThrow(RangeError);
  });
});

describe('EntropyDeviceModel: hostile driver', () => {
  it('a device-readable descriptor is a BAD_REQUEST violation: NEEDS_RESET, nothing written, no throw', async () => {
    const { dma, backend, device, driver, failures } = await rawPair();
    const r = dma.alloc(16, 16)!;
    const w = dma.alloc(64, 16)!;
    const q = driver.queue(0);
    expect(q.addChain([{ addr: r.addr, len: 16 }], [{ addr: w.addr, len: 64 }], 1)).toBe(true);
    expect(() => driver.kick(0)).not.toThrow();
    expect(device.core.queue(0)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(device)).toBe(true);
    expect(backend.calls).toEqual([]);
    expect(Array.from(w.bytes)).toEqual(new Array(64).fill(0));
    expect(failures).toHaveLength(1);
    expect((failures[0] as TransportError).code).toBe('DEVICE_NEEDS_RESET');
    // Later requests are not served either.
    q.pollUsed(() => {});
    expect(device.stats().requests).toBe(0);
  });

  it('a readable-only buffer is a violation too', async () => {
    const { dma, device, driver } = await rawPair();
    const r = dma.alloc(16, 16)!;
    driver.queue(0).addBuffer(r.addr, 16, false, 1);
    expect(() => driver.kick(0)).not.toThrow();
    expect(device.core.queue(0)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(device)).toBe(true);
  });

  it('a descriptor loop is caught by the queue: NEEDS_RESET, no throw, no hang', async () => {
    const { memory, device, driver } = await rawPair();
    const q = driver.queue(0);
    memory.writeU64(q.addresses.desc, 0x20000n);
    memory.writeU32(q.addresses.desc + 8, 16);
    memory.writeU16(q.addresses.desc + 12, DescriptorFlag.NEXT | DescriptorFlag.WRITE);
    memory.writeU16(q.addresses.desc + 14, 0);
    memory.writeU16(q.addresses.avail + 4, 0);
    memory.atomicStoreU16(q.addresses.avail + 2, 1);
    expect(() => driver.transport.notify(0)).not.toThrow();
    expect(device.core.queue(0)?.violation?.code).toBe('DESCRIPTOR_LOOP');
    expect(needsReset(device)).toBe(true);
  });

  it('a zero-length writable buffer is answered with length 0', async () => {
    const { dma, backend, driver, device } = await rawPair();
    const w = dma.alloc(16, 16)!;
    const q = driver.queue(0);
    q.addBuffer(w.addr, 0, true, 5);
    driver.kick(0);
    const used: [number, number][] = [];
    q.pollUsed((t, len) => used.push([t, len]));
    expect(used).toEqual([[5, 0]]);
    expect(backend.calls).toEqual([]);
    expect(needsReset(device)).toBe(false);
  });
});
