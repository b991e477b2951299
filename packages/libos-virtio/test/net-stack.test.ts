/**
 * The @libos/net stack on the virtio-net driver: a guest stack on a NIC of an inline
 * machine talks to a host stack on the backend's far end. Checksums are offloaded on the
 * guest side (CSUM / GUEST_CSUM), so the host stack's own verification proves that the
 * device model completed them; large datagrams cross as IPv4 fragments.
 */
import { createLink, createStack, type Stack, Tracer } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { createMachine } from '@libos/virtio';
import { describe, expect, it } from 'vitest';

async function setup(checksumOffload: boolean) {
  const [backend, wire] = createLink({ queueFrames: 256 });
  const machine = await createMachine({
    memoryBytes: 16 << 20,
    devices: [{ kind: 'net', backend, checksumOffload }],
  });
  const [nic] = machine.devices;
  const clock = new VirtualClock();
  /** UDP checksum fields of IPv4/UDP frames arriving from the guest. */
  const udpChecksums: number[] = [];
  const traced = new Tracer(wire, {
    clock,
    onFrame: (direction, f) => {
      const unfragmented = (f[20]! & 0x3f) === 0 && f[21] === 0;
      if (direction === 'rx' && f[12] === 0x08 && f[13] === 0 && f[23] === 17 && unfragmented) {
        const ihl = (f[14]! & 0x0f) * 4;
        udpChecksums.push((f[14 + ihl + 6]! << 8) | f[14 + ihl + 7]!);
      }
    },
  });
  const guest = createStack({
    devices: [nic.driver],
    clock,
    entropy: new SeededEntropy(1),
    ipv4: { address: '10.0.2.15/24', gateway: '10.0.2.2' },
  });
  const host = createStack({
    devices: [traced],
    clock,
    entropy: new SeededEntropy(2),
    ipv4: { address: '10.0.2.2/24' },
  });
  const turn = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const moved = machine.poll();
      const frames = guest.poll(clock.now()) + host.poll(clock.now());
      for (let j = 0; j < 10; j++) await Promise.resolve();
      if (!moved && frames === 0) return;
    }
  };
  return { machine, nic: nic.driver, guest, host, turn, udpChecksums };
}

function checksumDrops(s: Stack): number {
  return (s.stats.udp.dropped['bad-checksum'] ?? 0) + (s.stats.ipv4.dropped['bad-checksum'] ?? 0);
}

describe.each([true, false])('stack on virtio-net (checksum offload %s)', (offload) => {
  it('echoes UDP, small and fragmented, and answers pings', async () => {
    const { machine, nic, guest, host, turn, udpChecksums } = await setup(offload);
    expect(nic.capabilities.checksumOffload.transmit).toBe(offload);
    const echo = guest.bindUdp({ port: 7 });
    const client = host.bindUdp();
    for (const size of [1, 1472, 9000]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      await client.send(data, '10.0.2.15', 7);
      await turn();
      const request = echo.tryReceive();
      expect(request?.data).toEqual(data);
      await echo.send(request!.data, request!.address, request!.port);
      await turn();
      expect(client.tryReceive()?.data).toEqual(data);
    }
    const ping = host.ping('10.0.2.15', { size: 3000 });
    await turn();
    await expect(ping).resolves.toMatchObject({ bytes: 3000 });
    expect(checksumDrops(guest) + checksumDrops(host)).toBe(0);
    // Every unfragmented reply carried a real checksum (the device completed it when offloaded).
    expect(udpChecksums.length).toBe(2);
    expect(udpChecksums.every((c) => c !== 0)).toBe(true);
    expect(host.stats.udp.received).toBe(3);
    expect(guest.stats.ipv4.reassembled).toBeGreaterThanOrEqual(2);
    await machine.close();
  });
});
