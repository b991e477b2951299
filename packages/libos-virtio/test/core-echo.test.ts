/**
 * DriverCore + DeviceModelCore end to end, inline: an "echo" device that copies each
 * chain's readable bytes into its writable part; and the failure path when the driver
 * side's descriptors are hostile.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  DescriptorFlag,
  DeviceModelCore,
  DeviceStatus,
  DriverCore,
  FeatureBit,
  InlineLink,
  TransportError,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const ECHO_DEVICE_ID = 0x7f; // not a registered type; the test device

async function echoPair(queueSize = 16) {
  const memory = new GuestMemory(1 << 20);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 20) - 0x10000 });
  let served = 0;
  const device = new DeviceModelCore(
    { memory, base: 0x1000, link },
    {
      deviceId: ECHO_DEVICE_ID,
      features: 0n,
      queueMaxSizes: [64],
      config: new Uint8Array(8),
      serve: (_q, queue) => {
        for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) {
          const data = new Uint8Array(c.readableLength);
          c.readReadable(data);
          const ok = c.writeWritable(data);
          queue.pushUsed(c, ok ? data.length : 0);
          served++;
        }
        return true;
      },
    },
  );
  device.start();
  let interrupts = 0;
  const failures: Error[] = [];
  const driver = await DriverCore.open({
    memory,
    dma,
    base: 0x1000,
    link,
    deviceId: ECHO_DEVICE_ID,
    features: 0n,
    queueSizes: [queueSize],
    onUsedBuffers: () => {
      interrupts++;
    },
    onFailure: (e) => failures.push(e),
  });
  return {
    memory,
    dma,
    device,
    driver,
    served: () => served,
    interrupts: () => interrupts,
    failures,
  };
}

describe('DriverCore + DeviceModelCore (inline)', () => {
  it('negotiates VERSION_1, EVENT_IDX and INDIRECT_DESC and echoes chains', async () => {
    const { memory, dma, driver, served, interrupts } = await echoPair();
    expect(driver.has(FeatureBit.VERSION_1)).toBe(true);
    expect(driver.has(FeatureBit.EVENT_IDX)).toBe(true);
    expect(driver.has(FeatureBit.INDIRECT_DESC)).toBe(true);
    const out = dma.alloc(100, 16)!;
    const back = dma.alloc(100, 16)!;
    out.bytes.set(Array.from({ length: 100 }, (_, i) => i));
    const q = driver.queue(0);
    expect(q.addChain([{ addr: out.addr, len: 100 }], [{ addr: back.addr, len: 100 }], 7)).toBe(
      true,
    );
    driver.kick(0);
    expect(served()).toBe(1);
    expect(interrupts()).toBeGreaterThan(0);
    const used: [number, number][] = [];
    q.pollUsed((token, len) => used.push([token, len]));
    expect(used).toEqual([[7, 100]]);
    expect(Array.from(memory.bytes(back.addr, 100))).toEqual(Array.from(out.bytes));
  });

  it('keeps working across thousands of requests (index wrap on a small queue)', async () => {
    const { dma, driver, served } = await echoPair(4);
    const buf = dma.alloc(64, 16)!;
    const q = driver.queue(0);
    let completed = 0;
    for (let i = 0; i < 70_000; i++) {
      expect(q.addChain([{ addr: buf.addr, len: 8 }], [{ addr: buf.addr + 32, len: 8 }], i)).toBe(
        true,
      );
      driver.kick(0);
      q.pollUsed((token) => {
        expect(token).toBe(i);
        completed++;
      });
    }
    expect(completed).toBe(70_000);
    expect(served()).toBe(70_000);
    expect(driver.failure).toBeNull();
  });

  it('a hostile chain puts the device in NEEDS_RESET and fails the driver, without throwing', async () => {
    const { memory, driver, device, failures } = await echoPair(8);
    const q = driver.queue(0);
    // Forge a descriptor loop behind the driver's back (§2.7.5: a device must not loop).
    const desc = q.addresses.desc;
    memory.writeU64(desc, 0x20000n);
    memory.writeU32(desc + 8, 16);
    memory.writeU16(desc + 12, DescriptorFlag.NEXT);
    memory.writeU16(desc + 14, 0); // next = itself
    const avail = q.addresses.avail;
    memory.writeU16(avail + 4, 0); // ring[0] = head 0
    memory.atomicStoreU16(avail + 2, 1); // avail.idx = 1
    expect(() => driver.transport.notify(0)).not.toThrow();
    expect(device.queue(0)?.broken).toBe(true);
    expect(device.queue(0)?.violation?.code).toBe('DESCRIPTOR_LOOP');
    expect(device.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(
      DeviceStatus.DEVICE_NEEDS_RESET,
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TransportError);
    expect((failures[0] as TransportError).code).toBe('DEVICE_NEEDS_RESET');
  });

  it('refuses to open a device of another type', async () => {
    const memory = new GuestMemory(1 << 20);
    const link = new InlineLink(memory);
    const device = new DeviceModelCore(
      { memory, base: 0x1000, link },
      {
        deviceId: 4,
        features: 0n,
        queueMaxSizes: [8],
        config: new Uint8Array(0),
        serve: () => true,
      },
    );
    device.start();
    const dma = new DmaAllocator(memory, { base: 0x10000, length: 0x10000 });
    await expect(
      DriverCore.open({
        memory,
        dma,
        base: 0x1000,
        link,
        deviceId: 2,
        features: 0n,
        queueSizes: [8],
      }),
    ).rejects.toMatchObject({ code: 'WRONG_DEVICE' });
    // The rings it allocated were given back.
    expect(dma.stats().usedBytes).toBe(0);
  });
});
