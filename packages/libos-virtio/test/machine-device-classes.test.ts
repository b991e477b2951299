/**
 * Device classes plugged into the machine: `createMachineOf` builds the same machine as
 * `createMachine` from specs that carry their class (`netDevice()` …) or from its
 * `classes` option, refuses a spec without a class or with another kind's class, and a
 * spec carrying its class still crosses to a device worker (the class is not a model
 * option, so it is never posted).
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import {
  blkDevice,
  blkDeviceClass,
  consoleDevice,
  consoleDeviceClass,
  createMachine,
  createMachineOf,
  type DeviceClass,
  type DeviceSpec,
  MachineError,
  MemoryBlockBackend,
  netDevice,
  netDeviceClass,
  rngDevice,
  rngDeviceClass,
} from '@libos/virtio';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bounded, settle, stopMachines, TEST_MS, workerMachine } from './machine-worker-rig.js';
import { testFrame } from './net-fixture.js';

vi.setConfig({ testTimeout: TEST_MS });
afterAll(stopMachines);

const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);

/** The four kinds' device options, without kind: the same for plain specs and helpers. */
function parts() {
  const [backend, wire] = createLink();
  return {
    wire,
    net: { backend, mac: MAC, mtu: 1400 },
    blk: { backend: new MemoryBlockBackend(new Uint8Array(64 * 512)), serial: 'classes' },
    rng: { source: new SeededEntropy(9), driver: { poolSize: 512 } },
    console: { output: (_bytes: Uint8Array) => {}, size: { cols: 90, rows: 30 } },
  };
}

describe('createMachineOf', () => {
  it('builds from helper-made specs the machine createMachine builds from plain specs', async () => {
    const a = parts();
    const plain = await createMachine({
      memoryBytes: 8 << 20,
      devices: [
        { kind: 'net', ...a.net },
        { kind: 'blk', ...a.blk },
        { kind: 'rng', ...a.rng },
        { kind: 'console', ...a.console },
      ],
    });
    const b = parts();
    const plugged = await createMachineOf({
      memoryBytes: 8 << 20,
      devices: [netDevice(b.net), blkDevice(b.blk), rngDevice(b.rng), consoleDevice(b.console)],
    });
    expect(plugged.bootLog).toEqual(plain.bootLog);
    expect(plugged.bootLog[2]).toMatch(/virtio-net .*mac 52:54:00:12:34:56, mtu 1400, link up$/);
    expect(plugged.bootLog[3]).toMatch(/virtio-blk .*64 × 512-byte sectors \(32 KiB\)/);
    expect(plugged.bootLog[4]).toMatch(/virtio-rng .*pool 512 bytes$/);
    expect(plugged.bootLog[5]).toMatch(/virtio-console .*size 90x30$/);
    expect(plugged.devices.map((d) => d.kind)).toEqual(['net', 'blk', 'rng', 'console']);
    // The class is not a device option: the model got exactly the spec's options.
    const serial = new TextDecoder().decode(plugged.devices[1].model.serial);
    expect(serial.replace(/\0+$/, '')).toBe('classes');
    await plain.close();
    await plugged.close();
  });

  it('moves frames through a machine built from netDevice()', async () => {
    const { wire, net } = parts();
    const machine = await createMachineOf({ memoryBytes: 4 << 20, devices: [netDevice(net)] });
    const [nic] = machine.devices;
    const frame = testFrame(1, 120, wire.macAddress, MAC);
    expect(nic.driver.transmit(frame.length, (b) => b.set(frame))).toBe(true);
    machine.poll();
    const seen: number[] = [];
    wire.receive((view) => seen.push(view.length), 8);
    expect(seen).toEqual([120]);
    await machine.close();
  });

  it('takes the class of a plain spec from `classes`', async () => {
    const { net, rng } = parts();
    const machine = await createMachineOf({
      memoryBytes: 4 << 20,
      devices: [{ kind: 'net', ...net }, rngDevice(rng)],
      classes: [netDeviceClass],
    });
    expect(machine.bootLog[2]).toContain('virtio-net');
    expect(machine.bootLog[3]).toContain('virtio-rng');
    await machine.close();
  });

  it('refuses a spec with no class, naming the device and the helper', async () => {
    const { net, blk } = parts();
    const err = await createMachineOf({
      memoryBytes: 4 << 20,
      devices: [netDevice(net), { kind: 'blk', ...blk }],
      classes: [netDeviceClass, rngDeviceClass],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MachineError);
    expect(err).toMatchObject({ code: 'BAD_OPTION', device: 1 });
    expect((err as Error).message).toContain('blkDevice(');
  });

  it('refuses a spec carrying the class of another kind', async () => {
    const { blk } = parts();
    const wrong = { kind: 'blk', ...blk, deviceClass: consoleDeviceClass } as unknown as DeviceSpec;
    const err = await createMachineOf({ memoryBytes: 4 << 20, devices: [wrong] }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BAD_OPTION', device: 0 });
    expect((err as Error).message).toContain('builds "console" devices');
  });

  it('reports what a class throws as the machine error of that device', async () => {
    const failing: DeviceClass<'blk'> = {
      ...blkDeviceClass,
      openDriver: () => Promise.reject(new Error('no disk today')),
    };
    const { net, blk } = parts();
    const err = await createMachineOf({
      memoryBytes: 4 << 20,
      devices: [netDevice(net), { kind: 'blk', ...blk, deviceClass: failing }],
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_OPEN_FAILED', device: 1 });
    expect((err as Error).message).toBe('device 1 (blk): no disk today');
  });
});

describe('a spec carrying its class in worker mode', () => {
  it('crosses to the device worker (the class is never posted) and moves frames', async () => {
    const { wire, net } = parts();
    const machine = await workerMachine({ memoryBytes: 4 << 20, devices: [netDevice(net)] });
    expect(machine.bootLog[2]).toMatch(/virtio-net .*mac 52:54:00:12:34:56, mtu 1400/);
    const [nic] = machine.devices;
    const frame = testFrame(2, 90, wire.macAddress, MAC);
    expect(nic.driver.transmit(frame.length, (b) => b.set(frame))).toBe(true);
    const seen: number[] = [];
    for (let round = 0; round < 50 && seen.length === 0; round++) {
      await settle(machine);
      wire.receive((view) => seen.push(view.length), 8);
    }
    expect(seen).toEqual([90]);
    await bounded(machine.close(), 'close');
  });
});
