/**
 * P10 (PERFORMANCE.md): memory per idle TCP connection with 10,000 connections in one
 * stack. Two stacks on an in-process link; the client opens 10,000 connections to the
 * server, so 20,000 libos connections live in this heap (both ends). The figure is the
 * growth of the JS heap plus ArrayBuffer storage after a full GC, divided by the number
 * of connections.
 *
 * Two gauges: connections that never carried data (no buffers exist: send and receive
 * buffers are created on first use), and connections that exchanged one small message
 * each way and then went idle (buffers created, holding their first 4 KiB of storage),
 * to show what buffers cost once used.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLink, createStack, type Stack, type TcpStream } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import type { Gauge } from '../../../bench/harness.js';

const CONNECTIONS = 10_000;
const BATCH = 100;

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) collect();
  // ArrayBuffer storage (buffers, frames) lives outside the JS heap: count both.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

interface World {
  readonly stacks: Stack[];
  readonly clock: VirtualClock;
}

function world(): World {
  const clock = new VirtualClock();
  const [a, b] = createLink({ queueFrames: 4096 });
  const stacks = [a, b].map((device, i) =>
    createStack({
      devices: [device],
      clock,
      entropy: new SeededEntropy(i + 1),
      ipv4: { address: `10.0.0.${i + 1}/24` },
      tcp: { synBacklog: 4096 },
    }),
  );
  return { stacks, clock };
}

async function settle({ stacks, clock }: World, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !done(); i++) {
    for (const s of stacks) s.poll(clock.now());
    await Promise.resolve();
    await Promise.resolve();
    // Virtual time moves on slowly so that anything the link queue dropped is resent.
    if (i % 64 === 63) clock.advanceBy(1000);
  }
  if (!done()) throw new Error('connections did not settle');
}

/** Opens CONNECTIONS connections; with `exchange`, one 100-byte message each way. */
async function perConnection(exchange: boolean): Promise<number> {
  const w = world();
  const [client, server] = w.stacks as [Stack, Stack];
  const listener = server.listenTcp({ port: 80, backlog: BATCH * 2 });
  // Warm the ARP caches and code paths before the baseline reading.
  await settle(w, () => true);
  const before = heapAfterGc();
  const held: TcpStream[] = [];
  const message = new Uint8Array(100).fill(0x41);
  for (let opened = 0; opened < CONNECTIONS; opened += BATCH) {
    const pending: Promise<TcpStream>[] = [];
    for (let i = 0; i < BATCH; i++) {
      pending.push(client.connectTcp({ address: '10.0.0.2', port: 80 }));
      pending.push(listener.accept());
    }
    let ready = 0;
    for (const p of pending) {
      p.then(
        (c) => {
          held.push(c);
          ready++;
        },
        () => {},
      );
    }
    await settle(w, () => ready === pending.length);
  }
  if (exchange) {
    let echoed = 0;
    for (const c of held) {
      void c.write(message).then(async () => {
        if ((await c.read(message.length)) !== null) echoed++;
      });
    }
    await settle(w, () => echoed === held.length);
  }
  // Let delayed ACKs go out so no connection has a pending timer other than none.
  w.clock.advanceBy(1_000_000);
  await settle(w, () => true);
  const after = heapAfterGc();
  if (client.tcp.connectionCount !== CONNECTIONS || server.tcp.connectionCount !== CONNECTIONS) {
    throw new Error('lost connections');
  }
  const bytes = (after - before) / (2 * CONNECTIONS);
  for (const c of held) c.abort();
  return bytes;
}

export const gauges: Gauge[] = [
  {
    id: 'P10',
    title: 'Memory per idle TCP connection, 10,000 connections per stack (beyond buffers)',
    conditions: `${CONNECTIONS} connections between two stacks in one process (${2 * CONNECTIONS} libos connections, TcpStream objects included), established and idle, no data ever sent (buffers are created on first use); growth of JS heap + ArrayBuffers after GC ÷ connections`,
    unit: 'B/connection',
    read: () => perConnection(false),
    goalAtMost: 4096,
  },
  {
    id: 'P10-used',
    title: 'Memory per idle TCP connection after one 100-byte exchange (buffers included)',
    conditions: `as P10, but every connection sent 100 bytes each way first: send and receive buffers exist and hold their initial 4 KiB storage each (they grow on demand up to 256 KiB)`,
    unit: 'B/connection',
    read: () => perConnection(true),
  },
];
