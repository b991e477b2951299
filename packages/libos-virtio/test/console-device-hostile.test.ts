/**
 * virtio-console device model against a hostile driver (virtio 1.2 §5.3.6.1): chains
 * built by hand with DriverCore / SplitQueueDriver, bypassing ConsoleDriver.
 */
import {
  ConsoleQueue,
  DescriptorFlag,
  DeviceStatus,
  DeviceType,
  DriverCore,
  type TransportError,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { BASE, consoleDevice } from './console-fixture.js';

async function rawConsole() {
  const setup = consoleDevice();
  const failures: Error[] = [];
  const driver = await DriverCore.open({
    memory: setup.memory,
    dma: setup.dma,
    base: BASE,
    link: setup.link,
    deviceId: DeviceType.CONSOLE,
    features: 0n,
    queueSizes: [8, 8],
    onFailure: (e) => failures.push(e),
  });
  return { ...setup, driver, failures };
}

function needsReset(status: number): boolean {
  return (status & DeviceStatus.DEVICE_NEEDS_RESET) !== 0;
}

describe('ConsoleDeviceModel: hostile driver', () => {
  it('a device-writable descriptor on the transmitq: BAD_REQUEST, NEEDS_RESET, nothing output, no throw', async () => {
    const { dma, device, driver, backend, failures } = await rawConsole();
    const r = dma.alloc(16, 16)!;
    r.bytes.set(new TextEncoder().encode('do not print me!'));
    const w = dma.alloc(16, 16)!;
    const q = driver.queue(ConsoleQueue.TRANSMIT);
    expect(q.addChain([{ addr: r.addr, len: 16 }], [{ addr: w.addr, len: 16 }], 1)).toBe(true);
    expect(() => driver.kick(ConsoleQueue.TRANSMIT)).not.toThrow();
    expect(device.core.queue(ConsoleQueue.TRANSMIT)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(device.core.transport.status)).toBe(true);
    expect(backend.chunks).toEqual([]);
    expect((failures[0] as TransportError).code).toBe('DEVICE_NEEDS_RESET');
  });

  it('a device-readable descriptor on the receiveq: BAD_REQUEST, nothing written, no throw', async () => {
    const { dma, device, driver } = await rawConsole();
    const r = dma.alloc(16, 16)!;
    const w = dma.alloc(16, 16)!;
    const q = driver.queue(ConsoleQueue.RECEIVE);
    expect(q.addChain([{ addr: r.addr, len: 16 }], [{ addr: w.addr, len: 16 }], 1)).toBe(true);
    driver.kick(ConsoleQueue.RECEIVE);
    // Receive buffers are only examined when there is input for them.
    expect(() => device.input(new TextEncoder().encode('secret'))).not.toThrow();
    expect(device.core.queue(ConsoleQueue.RECEIVE)?.violation?.code).toBe('BAD_REQUEST');
    expect(needsReset(device.core.transport.status)).toBe(true);
    expect(Array.from(w.bytes)).toEqual(new Array(16).fill(0));
    expect(Array.from(r.bytes)).toEqual(new Array(16).fill(0));
  });

  it('a descriptor loop on the transmitq is caught: NEEDS_RESET, no hang, no output', async () => {
    const { memory, device, driver, backend } = await rawConsole();
    const q = driver.queue(ConsoleQueue.TRANSMIT);
    memory.writeU64(q.addresses.desc, 0x20000n);
    memory.writeU32(q.addresses.desc + 8, 16);
    memory.writeU16(q.addresses.desc + 12, DescriptorFlag.NEXT);
    memory.writeU16(q.addresses.desc + 14, 0);
    memory.writeU16(q.addresses.avail + 4, 0);
    memory.atomicStoreU16(q.addresses.avail + 2, 1);
    expect(() => driver.transport.notify(ConsoleQueue.TRANSMIT)).not.toThrow();
    expect(device.core.queue(ConsoleQueue.TRANSMIT)?.violation?.code).toBe('DESCRIPTOR_LOOP');
    expect(backend.chunks).toEqual([]);
  });

  it('a well-formed multi-segment transmit chain is output whole and used with length 0', async () => {
    const { dma, driver, backend } = await rawConsole();
    const a = dma.alloc(3, 16)!;
    const b = dma.alloc(4, 16)!;
    a.bytes.set([1, 2, 3]);
    b.bytes.set([4, 5, 6, 7]);
    const q = driver.queue(ConsoleQueue.TRANSMIT);
    q.addChain(
      [
        { addr: a.addr, len: 3 },
        { addr: b.addr, len: 4 },
      ],
      [],
      42,
    );
    driver.kick(ConsoleQueue.TRANSMIT);
    const used: [number, number][] = [];
    q.pollUsed((t, len) => used.push([t, len]));
    expect(used).toEqual([[42, 0]]);
    expect(Array.from(backend.bytes())).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a zero-length receive buffer is returned empty; input waits for a real one', async () => {
    const { dma, device, driver } = await rawConsole();
    const w = dma.alloc(8, 16)!;
    const q = driver.queue(ConsoleQueue.RECEIVE);
    q.addBuffer(w.addr, 0, true, 1);
    q.addBuffer(w.addr, 8, true, 2);
    driver.kick(ConsoleQueue.RECEIVE);
    device.input(new Uint8Array([9, 8, 7]));
    const used: [number, number][] = [];
    q.pollUsed((t, len) => used.push([t, len]));
    expect(used).toEqual([
      [1, 0],
      [2, 3],
    ]);
    expect(Array.from(w.bytes.subarray(0, 3))).toEqual([9, 8, 7]);
    expect(needsReset(device.core.transport.status)).toBe(false);
  });
});
