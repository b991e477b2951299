/**
 * P1 / P2 / P3 (PERFORMANCE.md): TCP between two libos stacks, each on the virtio-net
 * driver of its own in-process machine (device models inline, backends joined by a
 * cable), against `node:net` over the kernel's loopback in the same run.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { createLink, createStack, type Stack, type TcpStream } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { createMachine, createOffloadLink, type Machine } from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';

const BULK_BYTES = 8 << 20;
const PING_PONGS = 2000;
const CHUNK = new Uint8Array(64 * 1024).fill(0x5a);

interface Pair {
  readonly client: TcpStream;
  readonly server: TcpStream;
  /** Polls machines and stacks until `done` settles. */
  drive(done: Promise<unknown>): Promise<void>;
}

/**
 * How the two machines are joined: `plain` — checksums in JS, no offloads; `offload` —
 * CSUM/GUEST_CSUM and HOST_TSO4 (the stack hands the device 64 KiB segments, the device
 * model cuts them to the MTU); `gso` — as `offload`, over a GSO-capable link with
 * GUEST_TSO4 on both drivers, so large segments cross whole (like virtio-net on a
 * Linux host with TSO/GRO).
 */
type Mode = 'plain' | 'offload' | 'gso';

interface Machines {
  readonly machines: Machine[];
  readonly stacks: Stack[];
  readonly clock: VirtualClock;
  drive(done: Promise<unknown>): Promise<void>;
}

async function libosMachines(mode: Mode): Promise<Machines> {
  const [wireA, wireB] =
    mode === 'gso' ? createOffloadLink({ queueFrames: 1024 }) : createLink({ queueFrames: 1024 });
  const clock = new VirtualClock();
  const machines = await Promise.all(
    [wireA, wireB].map((backend, i) =>
      createMachine({
        memoryBytes: 32 << 20,
        // Distinct MACs: both machines would otherwise get the same default.
        devices: [
          {
            kind: 'net',
            backend,
            checksumOffload: mode !== 'plain',
            mac: Uint8Array.of(0x52, 0x54, 0, 0, 0, i + 1),
            driver: { receiveSegmentationOffload: mode === 'gso' },
          },
        ],
      }),
    ),
  );
  const stacks: Stack[] = machines.map((m, i) =>
    createStack({
      devices: [m.devices[0].driver],
      clock,
      entropy: new SeededEntropy(i + 1),
      ipv4: { address: `10.0.0.${i + 1}/24` },
      tcp: { sendBuffer: 1 << 20, receiveBuffer: 1 << 20 },
    }),
  );
  const drive = async (done: Promise<unknown>): Promise<void> => {
    let settled = false;
    const mark = (): void => {
      settled = true;
    };
    done.then(mark, mark);
    for (let i = 0; i < 10_000_000 && !settled; i++) {
      for (const m of machines) m.poll();
      for (const s of stacks) s.poll(clock.now());
      await Promise.resolve();
      await Promise.resolve();
      // Virtual time only moves when nothing is in flight (timers: delayed ACK).
      if (i % 64 === 63) clock.advanceBy(1000);
    }
  };
  return { machines, stacks, clock, drive };
}

/** `count` connections from stack 0 to stack 1, TCP_NODELAY on both ends. */
async function libosConnections(m: Machines, count: number): Promise<Pair[]> {
  const listener = m.stacks[1]!.listenTcp({ port: 5001, backlog: count });
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const accepted = listener.accept();
    const connecting = m.stacks[0]!.connectTcp({ address: '10.0.0.2', port: 5001 });
    await m.drive(Promise.all([accepted, connecting]));
    const client = await connecting;
    client.setNoDelay(true);
    const server = await accepted;
    server.setNoDelay(true);
    pairs.push({ client, server, drive: m.drive });
  }
  return pairs;
}

async function libosPair(mode: Mode): Promise<Pair> {
  const [pair] = await libosConnections(await libosMachines(mode), 1);
  return pair!;
}

/** Sends `bytes` from each client to its server, all pairs at once, and waits for all. */
async function bulkOn(pairs: readonly Pair[], bytes: number): Promise<void> {
  const work = pairs.map(async (pair) => {
    const sending = (async () => {
      for (let sent = 0; sent < bytes; sent += CHUNK.length) {
        await pair.client.write(CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent)));
      }
    })();
    for (let got = 0; got < bytes; ) {
      const chunk = await pair.server.read();
      if (!chunk) throw new Error('early EOF');
      got += chunk.length;
    }
    await sending;
  });
  await pairs[0]!.drive(Promise.all(work));
  await Promise.all(work);
}

function bulk(pair: Pair): Promise<void> {
  return bulkOn([pair], BULK_BYTES);
}

async function pingPong(pair: Pair): Promise<void> {
  const one = new Uint8Array([1]);
  const work = (async () => {
    for (let i = 0; i < PING_PONGS; i++) {
      await pair.client.write(one);
      const a = await pair.server.read(1);
      if (!a) throw new Error('EOF');
      await pair.server.write(a);
      const b = await pair.client.read(1);
      if (!b) throw new Error('EOF');
    }
  })();
  await pair.drive(work);
  await work;
}

interface KernelPair {
  readonly client: Socket;
  readonly peer: Socket;
}

interface Kernel {
  readonly server: Server;
  readonly pairs: KernelPair[];
}

const kernels = new Map<number, Promise<Kernel>>();
/** `count` node:net connections over loopback, set up once and reused by every sample. */
function kernelPairs(count: number): Promise<Kernel> {
  let k = kernels.get(count);
  if (k === undefined) {
    k = (async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1', count);
      await once(server, 'listening');
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no address');
      const pairs: KernelPair[] = [];
      for (let i = 0; i < count; i++) {
        const accepted = once(server, 'connection');
        const client = tcpConnect(address.port, '127.0.0.1');
        await once(client, 'connect');
        const [peer] = (await accepted) as [Socket];
        client.setNoDelay(true);
        peer.setNoDelay(true);
        pairs.push({ client, peer });
      }
      return { server, pairs };
    })();
    kernels.set(count, k);
  }
  return k;
}

/** Keeps the kernel sockets from holding the process open between samples. */
function hold(k: Kernel, on: boolean): void {
  for (const h of [k.server, ...k.pairs.flatMap((p) => [p.client, p.peer])]) {
    if (on) h.ref();
    else h.unref();
  }
}

async function kernelBulkOn(count: number, bytes: number): Promise<void> {
  const k = await kernelPairs(count);
  hold(k, true);
  await Promise.all(
    k.pairs.map(async ({ client, peer }) => {
      let got = 0;
      const done = new Promise<void>((resolve) => {
        const onData = (b: Buffer): void => {
          got += b.length;
          if (got >= bytes) {
            peer.off('data', onData);
            resolve();
          }
        };
        peer.on('data', onData);
      });
      for (let sent = 0; sent < bytes; sent += CHUNK.length) {
        const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent));
        if (!client.write(chunk)) await once(client, 'drain');
      }
      await done;
    }),
  );
  hold(k, false);
}

function kernelBulk(): Promise<void> {
  return kernelBulkOn(1, BULK_BYTES);
}

async function kernelPingPong(): Promise<void> {
  const k = await kernelPairs(1);
  const { client, peer } = k.pairs[0]!;
  hold(k, true);
  const echo = (b: Buffer): void => {
    peer.write(b);
  };
  peer.on('data', echo);
  const one = new Uint8Array([1]);
  for (let i = 0; i < PING_PONGS; i++) {
    const reply = once(client, 'data');
    client.write(one);
    await reply;
  }
  peer.off('data', echo);
  hold(k, false);
}

const pairs = new Map<Mode, Promise<Pair>>();
/** One connection per mode, set up on first use and reused by every sample. */
function pairFor(mode: Mode): Promise<Pair> {
  let p = pairs.get(mode);
  if (p === undefined) {
    p = libosPair(mode);
    pairs.set(mode, p);
  }
  return p;
}

const fanOuts = new Map<number, Promise<Pair[]>>();
/** `count` connections between two fresh machines (P1 conditions), reused by every sample. */
function connectionsFor(count: number): Promise<Pair[]> {
  let p = fanOuts.get(count);
  if (p === undefined) {
    p = libosMachines('plain').then((m) => libosConnections(m, count));
    fanOuts.set(count, p);
  }
  return p;
}

/** Throughput with 1, 10 and 100 connections sharing the same total (should stay flat). */
const fanOutComparisons: Comparison[] = [1, 10, 100].map((count) => fanOut(count));

function fanOut(count: number): Comparison {
  const each = Math.floor(BULK_BYTES / count);
  return {
    id: `TCP-conns-${count}`,
    title: `TCP bulk over ${count} concurrent connection${count > 1 ? 's' : ''} (P1 conditions) vs node:net with as many`,
    conditions: `${BULK_BYTES >> 20} MiB per sample split evenly over ${count} connection${count > 1 ? 's' : ''}, all sending at once; MTU 1500, checksums in JS, inline virtio-net; node:net over loopback with the same count`,
    subject: {
      name: `libos TCP, ${count} connection${count > 1 ? 's' : ''}`,
      ops: each * count,
      run: async () => bulkOn(await connectionsFor(count), each),
    },
    baseline: {
      name: `node:net, ${count} connection${count > 1 ? 's' : ''}`,
      ops: each * count,
      run: () => kernelBulkOn(count, each),
    },
    floor: 0.1,
  };
}

export const comparisons: Comparison[] = [
  {
    id: 'P1',
    title:
      'TCP bulk between two libos stacks over in-process virtio-net vs node:net over kernel loopback',
    conditions: `MTU 1500, checksums computed in JS (no offload), inline device models, CUBIC, 1 MiB socket buffers, ${BULK_BYTES >> 20} MiB per sample in 64 KiB writes, one thread`,
    subject: {
      name: 'libos TCP over virtio-net',
      ops: BULK_BYTES,
      run: async () => bulk(await pairFor('plain')),
    },
    baseline: { name: 'node:net loopback', ops: BULK_BYTES, run: kernelBulk },
    goal: 0.25,
    floor: 0.1,
  },
  {
    id: 'P2',
    title: 'P1 with virtio-net offloads: checksums (CSUM / GUEST_CSUM) and TSO (HOST_TSO4)',
    conditions: `as P1 with CSUM, GUEST_CSUM and HOST_TSO4 negotiated: the TCP layer hands the device segments of up to 64 KiB, the device model cuts them to MTU-sized segments and completes their checksums; the receiving device validates checksums`,
    subject: {
      name: 'libos TCP over virtio-net, checksum offload + TSO',
      ops: BULK_BYTES,
      run: async () => bulk(await pairFor('offload')),
    },
    baseline: { name: 'node:net loopback', ops: BULK_BYTES, run: kernelBulk },
    goal: 1,
    floor: 0.1,
  },
  {
    id: 'P2-gso',
    title: 'P2 with large segments end to end (TSO on the sender, GUEST_TSO4 on the receiver)',
    conditions: `as P2 over a GSO-capable link: 64 KiB segments cross whole (no segmentation anywhere, as with virtio-net TSO + GRO on a Linux host); both drivers negotiate GUEST_TSO4 with MRG_RXBUF`,
    subject: {
      name: 'libos TCP over virtio-net, TSO + GUEST_TSO4',
      ops: BULK_BYTES,
      run: async () => bulk(await pairFor('gso')),
    },
    baseline: { name: 'node:net loopback', ops: BULK_BYTES, run: kernelBulk },
    goal: 1,
    floor: 0.1,
  },
  {
    id: 'P3',
    title: 'TCP 1-byte ping-pong transactions between two libos stacks vs node:net loopback',
    conditions: `${PING_PONGS} transactions per sample, TCP_NODELAY both sides, one connection, in-process virtio-net (inline), checksums computed`,
    subject: {
      name: 'libos TCP ping-pong',
      ops: PING_PONGS,
      run: async () => pingPong(await pairFor('plain')),
    },
    baseline: { name: 'node:net ping-pong', ops: PING_PONGS, run: kernelPingPong },
    goal: 2,
    floor: 0.5,
  },
  ...fanOutComparisons,
];
