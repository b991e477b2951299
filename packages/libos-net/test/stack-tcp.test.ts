/**
 * TCP through whole stacks (Ethernet, ARP, IPv4 routing, checksums) on a cable, and
 * through a seeded lossy link (the fault injector): every byte arrives once, in order.
 */
import { createLink, createStack, FaultInjector, type Stack, type TcpStream } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';
import { pair } from './stack-rig.js';

async function readAll(conn: TcpStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Polls the stacks (and extra pollers) under virtual time until `until` settles. */
async function drive(
  stacks: Stack[],
  clock: VirtualClock,
  until: Promise<unknown>,
  extra: () => void = () => {},
): Promise<void> {
  let done = false;
  const mark = (): void => {
    done = true;
  };
  until.then(mark, mark);
  for (let step = 0; step < 200_000 && !done; step++) {
    for (const s of stacks) s.poll(clock.now());
    extra();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    let next = clock.now() + 1000;
    for (const s of stacks) {
      const at = s.pollAt();
      if (at !== null && at > clock.now() && at < next) next = at;
    }
    clock.advanceTo(next);
  }
  if (!done) throw new Error('did not finish within 200000 steps');
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);
}

describe('TCP between two stacks', { timeout: 60_000 }, () => {
  it('connects, echoes 256 KiB both ways with half-close, and closes cleanly', async () => {
    const { left, right, clock } = pair();
    const listener = right.listenTcp({ port: 80 });
    const served = (async () => {
      const conn = await listener.accept();
      const got = await readAll(conn);
      await conn.write(got);
      await conn.close();
      return got.length;
    })();
    const connecting = left.connectTcp({ address: '10.0.0.2', port: 80 });
    await drive([left, right], clock, connecting);
    const conn = await connecting;
    expect(conn.state).toBe('established');
    expect(conn.remotePort).toBe(80);
    const data = pattern(256 * 1024, 1);
    const writing = (async () => {
      await conn.write(data);
      await conn.end();
    })();
    const reading = readAll(conn);
    await drive([left, right], clock, Promise.all([writing, reading, served]));
    expect(await served).toBe(data.length);
    expect(await reading).toEqual(data);
    await drive([left, right], clock, conn.closed);
    expect(right.tcp.stats.received).toBeGreaterThan(0);
    listener.close();
  });

  it('refuses a connection to a closed port with ECONNREFUSED (RST)', async () => {
    const { left, rig } = pair();
    const attempt = left.connectTcp({ address: '10.0.0.2', port: 81 }).catch((e: unknown) => e);
    await rig.run(1_000_000);
    expect(await attempt).toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('TCP and a full transmit queue', { timeout: 60_000 }, () => {
  it('waits for room instead of losing segments when the interface queue is full', async () => {
    const clock = new VirtualClock();
    // A link that holds only 4 frames in flight, and interfaces that hold 8 refused ones.
    const [a, b] = createLink({ queueFrames: 4 });
    const stacks = [a, b].map((device, i) =>
      createStack({
        devices: [device],
        clock,
        entropy: new SeededEntropy(i + 5),
        ipv4: { address: `10.9.0.${i + 1}/24` },
        interfaceLimits: { backlogFrames: 8 },
      }),
    ) as [Stack, Stack];
    const listener = stacks[1].listenTcp({ port: 80 });
    const data = pattern(512 * 1024, 9);
    const received = (async () => readAll(await listener.accept()))();
    const sent = (async () => {
      const conn = await stacks[0].connectTcp({ address: '10.9.0.2', port: 80 });
      await conn.write(data);
      await conn.end();
    })();
    await drive(stacks, clock, Promise.all([received, sent]));
    const got = await received;
    expect(got.length).toBe(data.length);
    expect(got.every((byte, i) => byte === data[i])).toBe(true);
    // The queue filled up (refused sends were counted) but TCP lost nothing to it.
    expect(stacks[0].stats.ethernet.dropped['transmit-backlog-full'] ?? 0).toBeGreaterThan(0);
    expect(stacks[0].tcp.stats.retransmits).toBe(0);
  });
});

describe('TCP over a lossy link (seeded soak)', { timeout: 60_000 }, () => {
  const seeds = [1, 2, 3, 4, 5, 6];
  it.each(seeds)('seed %i: every byte arrives exactly once, in order', async (seed) => {
    const [a, b] = createLink({ queueFrames: 512 });
    const clock = new VirtualClock();
    const faults = {
      dropProbability: 0.05,
      duplicateProbability: 0.02,
      reorderProbability: 0.03,
      corruptProbability: 0.01,
    };
    const lossyA = new FaultInjector(a, { clock, seed, tx: faults, rx: faults, queueFrames: 512 });
    const left: Stack = createStack({
      devices: [lossyA],
      clock,
      entropy: new SeededEntropy(seed),
      ipv4: { address: '10.0.0.1/24' },
    });
    const right: Stack = createStack({
      devices: [b],
      clock,
      entropy: new SeededEntropy(seed + 100),
      ipv4: { address: '10.0.0.2/24' },
    });
    const stacks = [left, right];
    const listener = right.listenTcp({ port: 9 });
    const data = pattern(256 * 1024, seed);
    const received = (async () => readAll(await listener.accept()))();
    const sending = (async () => {
      const conn = await left.connectTcp({ address: '10.0.0.2', port: 9 });
      await conn.write(data);
      await conn.end();
    })();
    await drive(stacks, clock, Promise.all([received, sending]), () => lossyA.poll());
    await sending;
    const got = await received;
    expect(got.length, `seed ${seed}`).toBe(data.length);
    expect(got, `seed ${seed}`).toEqual(data);
  });
});
