/**
 * A machine with all four device kinds: each driver obtained from createMachine works
 * end to end through its device model (frames both ways over a createLink() backend,
 * sector I/O, entropy equal to the SeededEntropy stream, console output and input).
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { createMachine, MemoryBlockBackend } from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { concat, readBytes } from './console-fixture.js';
import { testFrame } from './net-fixture.js';

async function fourDeviceMachine() {
  const [backend, wire] = createLink();
  const image = new Uint8Array(256 * 512);
  const out: Uint8Array[] = [];
  const log: string[] = [];
  const machine = await createMachine({
    memoryBytes: 16 << 20,
    devices: [
      { kind: 'net', backend, mac: Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc) },
      { kind: 'blk', backend: new MemoryBlockBackend(image), serial: 'machine-disk' },
      { kind: 'rng', source: new SeededEntropy(42), driver: { poolSize: 1024 } },
      {
        kind: 'console',
        output: (bytes) => out.push(bytes.slice()),
        size: { cols: 100, rows: 40 },
      },
    ],
    onLog: (line) => log.push(line),
  });
  return { machine, wire, image, out, log };
}

describe('createMachine with net + blk + rng + console', () => {
  it('places one register block per device and boots all four drivers', async () => {
    const { machine, log } = await fourDeviceMachine();
    expect(machine.devices.map((d) => d.kind)).toEqual(['net', 'blk', 'rng', 'console']);
    expect(machine.devices.map((d) => d.base)).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
    expect(machine.devices.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(machine.find('blk')).toBe(machine.devices[1]);
    expect(machine.find('blk', 1)).toBeUndefined();
    expect(machine.ofKind('rng')).toEqual([machine.devices[2]]);
    expect(log).toEqual(machine.bootLog);
    expect(log[0]).toContain('16 MiB guest memory');
    expect(log.slice(2)).toHaveLength(4);
    expect(log[2]).toMatch(
      /^virtio0 @ 0x00001000: virtio-net \(device id 1\), features .*MAC.*VERSION_1.*queues 256\/256; mac 52:54:00:aa:bb:cc, mtu 1500, link up$/,
    );
    expect(log[3]).toMatch(
      /virtio1 @ 0x00002000: virtio-blk \(device id 2\).*FLUSH.*queues 128; 256 × 512-byte sectors \(128 KiB\), read-write$/,
    );
    expect(log[4]).toMatch(/virtio2 @ 0x00003000: virtio-rng \(device id 4\).*pool 1024 bytes$/);
    expect(log[5]).toMatch(
      /virtio3 @ 0x00004000: virtio-console \(device id 3\).*SIZE.*EMERG_WRITE.*size 100x40$/,
    );
    await machine.close();
  });

  it('moves frames both ways between the virtio-net driver and the backend wire', async () => {
    const { machine, wire } = await fourDeviceMachine();
    const nic = machine.devices[0];
    const mac = nic.driver.macAddress;
    expect(Array.from(mac)).toEqual([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]);
    const outbound = [60, 200, 1514].map((n, i) => testFrame(i + 1, n, wire.macAddress, mac));
    for (const f of outbound) expect(nic.driver.transmit(f.length, (b) => b.set(f))).toBe(true);
    machine.poll();
    const atWire: Uint8Array[] = [];
    wire.receive((f) => atWire.push(f.slice()), 64);
    expect(atWire).toEqual(outbound);

    const inbound = [64, 1000, 1514].map((n, i) => testFrame(i + 10, n, mac, wire.macAddress));
    for (const f of inbound) expect(wire.transmit(f.length, (b) => b.set(f))).toBe(true);
    expect(nic.driver.receive(() => {}, 64)).toBe(0); // still in the backend
    expect(machine.poll()).toBe(true);
    const atGuest: Uint8Array[] = [];
    nic.driver.receive((f) => atGuest.push(f.slice()), 64);
    expect(atGuest).toEqual(inbound);
    expect(machine.poll()).toBe(false); // nothing left to move
    await machine.close();
  });

  it('reads and writes sectors through the virtio-blk driver into the backend image', async () => {
    const { machine, image } = await fourDeviceMachine();
    const disk = machine.devices[1].driver;
    expect(disk.sectorSize).toBe(512);
    expect(disk.sectorCount).toBe(256);
    expect(await disk.getId()).toBe('machine-disk');
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13 + 5) & 0xff);
    await disk.write(7, data);
    expect(image.subarray(7 * 512, 9 * 512)).toEqual(data);
    image.fill(0x5a, 100 * 512, 101 * 512);
    const back = new Uint8Array(512);
    await disk.read(100, back);
    expect(back).toEqual(new Uint8Array(512).fill(0x5a));
    await disk.flush();
    await machine.close();
  });

  it('hands out exactly the SeededEntropy stream through the virtio-rng driver', async () => {
    const { machine } = await fourDeviceMachine();
    const rng = machine.devices[2].driver;
    const got = new Uint8Array(3000);
    rng.fill(got.subarray(0, 100));
    got.set(await rng.read(2900), 100);
    // The device draws request-sized chunks from the source in order and the driver
    // hands bytes out in order, so the guest sees a prefix of the source's stream.
    const expected = new Uint8Array(3000);
    const reference = new SeededEntropy(42);
    const stream = new Uint8Array(1 << 16);
    let at = 0;
    while (at < stream.length) {
      reference.fill(stream.subarray(at, at + 512)); // the driver's default request size
      at += 512;
    }
    expected.set(stream.subarray(0, 3000));
    expect(got).toEqual(expected);
    await machine.close();
  });

  it('sends console writes to the output callback and host input to the guest', async () => {
    const { machine, out } = await fourDeviceMachine();
    const tty = machine.devices[3];
    const hello = new TextEncoder().encode('hello from the guest\n');
    await tty.driver.write(hello);
    expect(concat(out)).toEqual(hello);
    expect(tty.driver.size()).toEqual({ cols: 100, rows: 40 });
    const typed = new TextEncoder().encode('ls -l\n');
    expect(tty.model.input(typed)).toBe(typed.length);
    expect(await readBytes(tty.driver, typed.length)).toEqual(typed);
    await machine.close();
  });
});
