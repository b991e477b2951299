/**
 * TCP segmentation offload end to end: a @libos/net stack on a virtio-net NIC that
 * negotiated HOST_TSO4 hands the device TCP segments of up to 64 KiB; the device model
 * cuts them into MTU-sized segments with correct checksums (proven by a receiving stack
 * that verifies every checksum itself), or passes them whole to a receiver that
 * negotiated GUEST_TSO4.
 */
import { createLink, createStack, type NetDevice, type Stack, Tracer } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { createMachine, createOffloadLink, type Machine, VirtioNetDriver } from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const BYTES = 2 << 20;

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >> 11)) & 0xff;
  return out;
}

/** Index of the first differing byte, or -1 (toEqual on megabytes is very slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function nic(machine: Machine): VirtioNetDriver {
  const driver = machine.devices[0]?.driver;
  if (!(driver instanceof VirtioNetDriver)) throw new Error('expected a virtio-net driver');
  return driver;
}

interface Ends {
  readonly machines: Machine[];
  readonly stacks: Stack[];
  readonly clock: VirtualClock;
}

async function twoStacks(
  backends: readonly [NetDevice, NetDevice],
  receiverOffload: boolean,
  guestTso: boolean,
): Promise<Ends> {
  const clock = new VirtualClock();
  const machines = await Promise.all(
    backends.map((backend, i) =>
      createMachine({
        memoryBytes: 32 << 20,
        devices: [
          {
            kind: 'net',
            backend,
            checksumOffload: i === 0 || receiverOffload,
            mac: Uint8Array.of(0x52, 0x54, 0, 0, 0, i + 1),
            driver: { receiveSegmentationOffload: i === 1 && guestTso },
          },
        ],
      }),
    ),
  );
  const stacks = machines.map((m, i) =>
    createStack({
      devices: [nic(m)],
      clock,
      entropy: new SeededEntropy(i + 11),
      ipv4: { address: `10.0.0.${i + 1}/24` },
      tcp: { sendBuffer: 512 << 10, receiveBuffer: 512 << 10 },
    }),
  );
  return { machines, stacks, clock };
}

async function transfer({ machines, stacks, clock }: Ends): Promise<Uint8Array> {
  const listener = stacks[1]!.listenTcp({ port: 9 });
  const accepted = listener.accept();
  const connecting = stacks[0]!.connectTcp({ address: '10.0.0.2', port: 9 });
  const data = pattern(BYTES);
  const received: Uint8Array[] = [];
  const work = (async () => {
    const [client, server] = await Promise.all([connecting, accepted]);
    const sending = client.write(data).then(() => client.end());
    for (let chunk = await server.read(); chunk; chunk = await server.read()) received.push(chunk);
    await sending;
  })();
  let done = false;
  work.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 200_000 && !done; i++) {
    for (const m of machines) m.poll();
    for (const s of stacks) s.poll(clock.now());
    for (let j = 0; j < 4; j++) await Promise.resolve();
    if (i % 32 === 31) clock.advanceBy(1000);
  }
  await work;
  const out = new Uint8Array(received.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of received) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('TCP over virtio-net with TSO', () => {
  it('sends 64 KiB segments the device cuts to the MTU; the peer verifies every checksum', async () => {
    const [a, b] = createLink({ queueFrames: 1024 });
    let largest = 0;
    let frames = 0;
    const traced = new Tracer(b, {
      clock: new VirtualClock(),
      onFrame: (_direction, frame) => {
        largest = Math.max(largest, frame.length);
        frames++;
      },
    });
    const ends = await twoStacks([a, traced], false, false);
    const sender = nic(ends.machines[0]!);
    expect(sender.capabilities.segmentationOffload).toBe(true);
    const got = await transfer(ends);
    expect(firstDifference(got, pattern(BYTES))).toBe(-1);
    // The stack handed the device large segments...
    expect(sender.stats.txSegmentationOffloads).toBeGreaterThan(10);
    expect(ends.stacks[0]!.tcp.stats.sent).toBeLessThan(BYTES / 1448 / 4);
    // ...and only MTU-sized frames crossed the wire, none with a bad checksum.
    expect(largest).toBeLessThanOrEqual(1514);
    expect(frames).toBeGreaterThan(BYTES / 1448);
    expect(ends.stacks[1]!.tcp.stats.dropped['bad-checksum'] ?? 0).toBe(0);
    expect(ends.stacks[1]!.stats.ipv4.dropped['bad-checksum'] ?? 0).toBe(0);
    expect(ends.stacks[1]!.tcp.stats.retransmits).toBe(0);
    expect(ends.stacks[0]!.stats.ipv4.fragmentsSent).toBe(0);
  });

  it('passes large segments whole to a receiver that negotiated GUEST_TSO4', async () => {
    const [left, right] = createOffloadLink({ queueFrames: 256 });
    const ends = await twoStacks([left, right], true, true);
    const got = await transfer(ends);
    expect(firstDifference(got, pattern(BYTES))).toBe(-1);
    expect(nic(ends.machines[1]!).stats.rxLargeFrames).toBeGreaterThan(10);
    expect(left.stats.gsoTransmitted).toBeGreaterThan(10);
  });
});
