/**
 * machine.poller(): when it asks to be polled. After a poll that moved frames it asks
 * for "now" (more may be pending); an idle machine with network cards asks again
 * netPollInterval µs later (a NetDevice backend cannot signal arrivals); a machine
 * without network cards asks for nothing; a closed machine asks for nothing.
 */
import { createLink } from '@libos/net';
import { SeededEntropy, Simulation } from '@libos/sched';
import { createMachine, MachineError, MemoryBlockBackend } from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { testFrame } from './net-fixture.js';

describe('machine.poller()', () => {
  it('asks for now after moving frames, for the poll interval when idle, and nothing once closed', async () => {
    const [backend, wire] = createLink();
    const machine = await createMachine({
      memoryBytes: 8 << 20,
      devices: [{ kind: 'net', backend }],
      netPollInterval: 250,
    });
    const poller = machine.poller();
    poller.poll(1000);
    expect(poller.pollAt()).toBe(1250); // idle: the backend is polled periodically
    const frame = testFrame(1, 60, machine.devices[0].driver.macAddress, wire.macAddress);
    wire.transmit(frame.length, (b) => b.set(frame));
    poller.poll(1100);
    expect(poller.pollAt()).toBe(1100); // moved a frame: poll again now
    poller.poll(1100);
    expect(poller.pollAt()).toBe(1350); // nothing more
    const got: Uint8Array[] = [];
    machine.devices[0].driver.receive((f) => got.push(f.slice()), 8);
    expect(got).toEqual([frame]);
    await machine.close();
    expect(poller.pollAt()).toBeNull();
  });

  it('asks for nothing when the machine has no network card (inline devices complete by themselves)', async () => {
    const machine = await createMachine({
      memoryBytes: 4 << 20,
      devices: [
        { kind: 'rng', source: new SeededEntropy(1) },
        { kind: 'blk', backend: new MemoryBlockBackend(new Uint8Array(64 * 512)) },
      ],
    });
    const poller = machine.poller();
    poller.poll(5);
    expect(poller.pollAt()).toBeNull();
    expect(machine.poll()).toBe(false);
    await machine.close();
  });

  it('drives a virtio-net machine from a Simulation until the guest sees the frames', async () => {
    const [backend, wire] = createLink();
    const machine = await createMachine({
      memoryBytes: 8 << 20,
      devices: [{ kind: 'net', backend }],
    });
    const sim = new Simulation({ seed: 3, timeLimit: 1_000_000 });
    const handle = sim.scheduler.addPoller(machine.poller(), 'machine');
    const nic = machine.devices[0].driver;
    const frames = [60, 700, 1514].map((n, i) => testFrame(i, n, nic.macAddress, wire.macAddress));
    const got = await sim.run(async () => {
      await sim.scheduler.sleep(5000);
      for (const f of frames) wire.transmit(f.length, (b) => b.set(f));
      const out: Uint8Array[] = [];
      while (out.length < frames.length) {
        if (nic.receive((f) => out.push(f.slice()), 8) === 0) await sim.scheduler.sleep(10);
      }
      return { out, at: sim.now() };
    });
    expect(got.out).toEqual(frames);
    expect(got.at).toBeLessThanOrEqual(5000 + 1000 + 10); // within one default poll interval
    handle.remove();
    await machine.close();
  });

  it('refuses a poll interval that is not a positive integer', async () => {
    await expect(
      createMachine({ memoryBytes: 4 << 20, devices: [], netPollInterval: 0 }),
    ).rejects.toBeInstanceOf(MachineError);
  });
});
