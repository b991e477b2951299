/**
 * A machine with all four device kinds, in both modes (`createMachine` inline and
 * `createWorkerMachine` with every model in one worker): each driver works end to end
 * through its device model — frames both ways over a createLink() backend, sector I/O
 * into a shared image, entropy equal to the SeededEntropy stream, console output and
 * input. Every wait is bounded.
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { concat, readBytes } from './console-fixture.js';
import { MODES, type Mode } from './machine-modes.js';
import { bounded, TEST_MS, until } from './machine-worker-rig.js';
import { testFrame } from './net-fixture.js';

vi.setConfig({ testTimeout: TEST_MS });

afterEach(async () => {
  for (const mode of MODES) await mode.cleanup();
});
afterAll(async () => {
  for (const mode of MODES) await mode.cleanup();
});

async function fourDeviceMachine(mode: Mode) {
  const [backend, wire] = createLink();
  const image = new SharedArrayBuffer(256 * 512);
  const out: Uint8Array[] = [];
  const log: string[] = [];
  const m = await mode.create({
    memoryBytes: 16 << 20,
    devices: [
      { kind: 'net', backend, mac: Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc) },
      { kind: 'blk', image, serial: 'machine-disk' },
      { kind: 'rng', seed: 42, poolSize: 1024 },
      {
        kind: 'console',
        output: (bytes) => out.push(bytes.slice()),
        size: { cols: 100, rows: 40 },
      },
    ],
    onLog: (line) => log.push(line),
  });
  return { m, wire, image: new Uint8Array(image), out, log };
}

describe.each(MODES)('a $name machine with net + blk + rng + console', (mode) => {
  it('places one register block per device and boots all four drivers', async () => {
    const { m, log } = await fourDeviceMachine(mode);
    expect(m.machine.mode).toBe(mode.name);
    expect(m.kinds).toEqual(['net', 'blk', 'rng', 'console']);
    expect([0, 1, 2, 3].map((i) => m.handle(i, m.kinds[i]!).base)).toEqual([
      0x1000, 0x2000, 0x3000, 0x4000,
    ]);
    expect([0, 1, 2, 3].map((i) => m.handle(i, m.kinds[i]!).index)).toEqual([0, 1, 2, 3]);
    expect(m.indexOf('blk')).toBe(1);
    expect(m.indexOf('blk', 1)).toBe(-1);
    expect(log).toEqual(m.machine.bootLog);
    expect(log[0]).toContain('16 MiB guest memory');
    expect(log.slice(2)).toHaveLength(4);
    expect(log[2]).toMatch(
      /^virtio0 @ 0x00001000: virtio-net \(device id 1\), features .*MAC.*VERSION_1.*queues 256\/256; mac 52:54:00:aa:bb:cc, mtu 1500, link up$/,
    );
    expect(log[3]).toMatch(
      /virtio1 @ 0x00002000: virtio-blk \(device id 2\).*FLUSH.*queues 128; 256 × 512-byte sectors \(128 KiB\), read-write$/,
    );
    expect(log[4]).toMatch(/virtio2 @ 0x00003000: virtio-rng \(device id 4\).*pool 1024 bytes$/);
    expect(log[5]).toMatch(/virtio3 @ 0x00004000: virtio-console \(device id 3\).*size 100x40$/);
    await bounded(m.machine.close(), 'close');
  });

  it('moves frames both ways between the virtio-net driver and the backend wire', async () => {
    const { m, wire } = await fourDeviceMachine(mode);
    const nic = m.handle(0, 'net').driver;
    const mac = nic.macAddress;
    expect(Array.from(mac)).toEqual([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]);
    const outbound = [60, 200, 1514].map((n, i) => testFrame(i + 1, n, wire.macAddress, mac));
    for (const f of outbound) expect(nic.transmit(f.length, (b) => b.set(f))).toBe(true);
    const atWire: Uint8Array[] = [];
    await until(() => {
      m.machine.poll();
      wire.receive((f) => atWire.push(f.slice()), 64);
      return atWire.length >= outbound.length;
    }, 'frames at the wire');
    expect(atWire).toEqual(outbound);

    const inbound = [64, 1000, 1514].map((n, i) => testFrame(i + 10, n, mac, wire.macAddress));
    for (const f of inbound) expect(wire.transmit(f.length, (b) => b.set(f))).toBe(true);
    expect(nic.receive(() => {}, 64)).toBe(0); // still in the backend until the machine polls
    const atGuest: Uint8Array[] = [];
    await until(() => {
      m.machine.poll();
      nic.receive((f) => atGuest.push(f.slice()), 64);
      return atGuest.length >= inbound.length;
    }, 'frames at the guest');
    expect(atGuest).toEqual(inbound);
    await m.settle();
    expect(m.machine.poll()).toBe(false); // nothing left to move
    await bounded(m.machine.close(), 'close');
  });

  it('reads and writes sectors through the virtio-blk driver into the shared image', async () => {
    const { m, image } = await fourDeviceMachine(mode);
    const disk = m.handle(1, 'blk').driver;
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
    await bounded(m.machine.close(), 'close');
  });

  it('hands out exactly the SeededEntropy stream through the virtio-rng driver', async () => {
    const { m } = await fourDeviceMachine(mode);
    const rng = m.handle(2, 'rng').driver;
    const got = await bounded(rng.read(3000), 'rng read');
    // The device draws request-sized chunks (the driver's default, 512 bytes) from the
    // source in order and the driver hands bytes out in order: a prefix of the stream.
    const reference = new SeededEntropy(42);
    const stream = new Uint8Array(1 << 16);
    for (let at = 0; at < stream.length; at += 512) reference.fill(stream.subarray(at, at + 512));
    expect(got).toEqual(stream.subarray(0, 3000));
    await bounded(m.machine.close(), 'close');
  });

  it('sends console writes to the output callback and host input to the guest', async () => {
    const { m, out } = await fourDeviceMachine(mode);
    const tty = m.handle(3, 'console').driver;
    const hello = new TextEncoder().encode('hello from the guest\n');
    await bounded(tty.write(hello), 'console write');
    await until(() => concat(out).length >= hello.length, 'console output');
    expect(concat(out)).toEqual(hello);
    expect(tty.size()).toEqual({ cols: 100, rows: 40 });
    const typed = new TextEncoder().encode('ls -l\n');
    m.consoleInput(3, typed);
    expect(await bounded(readBytes(tty, typed.length), 'console read')).toEqual(typed);
    await bounded(m.machine.close(), 'close');
  });
});
