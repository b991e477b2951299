/**
 * The machine-devices scenarios in worker mode: one createWorkerMachine with net + blk
 * + rng + console, all four device models in ONE worker, the drivers here on an
 * AtomicsLink. Each driver works end to end (frames both ways over a createLink()
 * backend, sector I/O into a SharedArrayBuffer image, the SeededEntropy stream,
 * console output and input). Every wait is bounded.
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { concat, readBytes } from './console-fixture.js';
import {
  bounded,
  DRIVER_TIMEOUT_MS,
  settle,
  stopMachines,
  TEST_MS,
  until,
  workerMachine,
} from './machine-worker-rig.js';
import { testFrame } from './net-fixture.js';

vi.setConfig({ testTimeout: TEST_MS });

afterEach(stopMachines);
afterAll(stopMachines);

async function fourDeviceMachine() {
  const [backend, wire] = createLink();
  const buffer = new SharedArrayBuffer(256 * 512);
  const image = new Uint8Array(buffer);
  const out: Uint8Array[] = [];
  const log: string[] = [];
  const timeoutMs = DRIVER_TIMEOUT_MS;
  const machine = await workerMachine({
    memoryBytes: 16 << 20,
    devices: [
      {
        kind: 'net',
        backend,
        mac: Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc),
        driver: { timeoutMs },
      },
      {
        kind: 'blk',
        backend: { type: 'memory', buffer },
        serial: 'machine-disk',
        driver: { timeoutMs },
      },
      { kind: 'rng', source: { type: 'seeded', seed: 42 }, driver: { poolSize: 1024 } },
      {
        kind: 'console',
        output: (bytes) => out.push(bytes.slice()),
        size: { cols: 100, rows: 40 },
        driver: { timeoutMs },
      },
    ],
    onLog: (line) => log.push(line),
  });
  return { machine, wire, image, out, log };
}

describe('createWorkerMachine with net + blk + rng + console', () => {
  it('places one register block per device, boots all four drivers in one worker', async () => {
    const { machine, log } = await fourDeviceMachine();
    expect(machine.mode).toBe('worker');
    expect(machine.memory.shared).toBe(true);
    expect(machine.worker.alive).toBe(true);
    expect(machine.devices.map((d) => d.kind)).toEqual(['net', 'blk', 'rng', 'console']);
    expect(machine.devices.map((d) => d.base)).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
    expect(machine.devices.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(machine.devices.map((d) => d.model)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(machine.find('blk')).toBe(machine.devices[1]);
    expect(machine.find('blk', 1)).toBeUndefined();
    expect(machine.ofKind('rng')).toEqual([machine.devices[2]]);
    expect(log).toEqual(machine.bootLog);
    expect(log[0]).toBe(
      'machine: worker mode, 16 MiB guest memory (SharedArrayBuffer), 4 virtio-mmio device(s)',
    );
    expect(log.slice(2)).toHaveLength(4);
    expect(log[2]).toMatch(
      /^virtio0 @ 0x00001000: virtio-net \(device id 1\), features .*MAC.*VERSION_1.*queues 256\/256; mac 52:54:00:aa:bb:cc, mtu 1500, link up$/,
    );
    expect(log[3]).toMatch(
      /virtio1 @ 0x00002000: virtio-blk \(device id 2\).*FLUSH.*queues 128; 256 × 512-byte sectors \(128 KiB\), read-write$/,
    );
    expect(log[4]).toMatch(/virtio2 @ 0x00003000: virtio-rng \(device id 4\); pool 1024 bytes$/);
    expect(log[5]).toMatch(/virtio3 @ 0x00004000: virtio-console \(device id 3\); size 100x40$/);
    await bounded(machine.close(), 'close');
    expect(machine.worker.alive).toBe(false);
  });

  it('moves frames both ways between the virtio-net driver and the backend wire', async () => {
    const { machine, wire } = await fourDeviceMachine();
    const nic = machine.devices[0];
    const mac = nic.driver.macAddress;
    expect(Array.from(mac)).toEqual([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]);
    const outbound = [60, 200, 1514].map((n, i) => testFrame(i + 1, n, wire.macAddress, mac));
    for (const f of outbound) expect(nic.driver.transmit(f.length, (b) => b.set(f))).toBe(true);
    const atWire: Uint8Array[] = [];
    await until(() => {
      machine.poll();
      wire.receive((f) => atWire.push(f.slice()), 64);
      return atWire.length >= outbound.length;
    }, 'frames at the wire');
    expect(atWire).toEqual(outbound);

    const inbound = [64, 1000, 1514].map((n, i) => testFrame(i + 10, n, mac, wire.macAddress));
    for (const f of inbound) expect(wire.transmit(f.length, (b) => b.set(f))).toBe(true);
    const atGuest: Uint8Array[] = [];
    await until(() => {
      machine.poll();
      nic.driver.receive((f) => atGuest.push(f.slice()), 64);
      return atGuest.length >= inbound.length;
    }, 'frames at the guest');
    expect(atGuest).toEqual(inbound);
    await settle(machine);
    expect(machine.poll()).toBe(false); // nothing left to move
    await bounded(machine.close(), 'close');
  });

  it('reads and writes sectors through the virtio-blk driver into the shared image', async () => {
    const { machine, image } = await fourDeviceMachine();
    const disk = machine.devices[1].driver;
    expect(disk.sectorSize).toBe(512);
    expect(disk.sectorCount).toBe(256);
    expect(await bounded(disk.getId(), 'getId')).toBe('machine-disk');
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13 + 5) & 0xff);
    await bounded(disk.write(7, data), 'write');
    expect(image.subarray(7 * 512, 9 * 512)).toEqual(data);
    image.fill(0x5a, 100 * 512, 101 * 512);
    const back = new Uint8Array(512);
    await bounded(disk.read(100, back), 'read');
    expect(back).toEqual(new Uint8Array(512).fill(0x5a));
    await bounded(disk.flush(), 'flush');
    await bounded(machine.close(), 'close');
  });

  it('hands out exactly the SeededEntropy stream through the virtio-rng driver', async () => {
    const { machine } = await fourDeviceMachine();
    const rng = machine.devices[2].driver;
    const got = await bounded(rng.read(3000), 'rng read');
    // The worker's SeededEntropy(42) is drawn in request-sized chunks, in order.
    const reference = new SeededEntropy(42);
    const stream = new Uint8Array(1 << 16);
    for (let at = 0; at < stream.length; at += 512) reference.fill(stream.subarray(at, at + 512));
    expect(got).toEqual(stream.subarray(0, 3000));
    await bounded(machine.close(), 'close');
  });

  it('sends console writes to the output callback and host input to the guest', async () => {
    const { machine, out } = await fourDeviceMachine();
    const tty = machine.devices[3];
    const hello = new TextEncoder().encode('hello from the guest\n');
    await bounded(tty.driver.write(hello), 'console write');
    await until(() => concat(out).length >= hello.length, 'console output');
    expect(concat(out)).toEqual(hello);
    expect(tty.driver.size()).toEqual({ cols: 100, rows: 40 });
    const typed = new TextEncoder().encode('ls -l\n');
    tty.input(typed);
    expect(await bounded(readBytes(tty.driver, typed.length), 'console read')).toEqual(typed);
    await bounded(machine.close(), 'close');
  });
});
