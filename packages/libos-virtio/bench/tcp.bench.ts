/**
 * P1 / P2 / P3 (PERFORMANCE.md): TCP between two libos stacks, each on the virtio-net
 * driver of its own in-process machine (device models inline, backends joined by a
 * cable), against `node:net` over the kernel's loopback in the same run.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { createLink, createStack, type Stack, type TcpStream } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { createMachine } from '@libos/virtio';
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

async function libosPair(checksumOffload: boolean): Promise<Pair> {
  const [wireA, wireB] = createLink({ queueFrames: 1024 });
  const clock = new VirtualClock();
  const machines = await Promise.all(
    [wireA, wireB].map((backend, i) =>
      createMachine({
        memoryBytes: 32 << 20,
        // Distinct MACs: both machines would otherwise get the same default.
        devices: [
          { kind: 'net', backend, checksumOffload, mac: Uint8Array.of(0x52, 0x54, 0, 0, 0, i + 1) },
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
  const listener = stacks[1]!.listenTcp({ port: 5001 });
  const accepted = listener.accept();
  const connecting = stacks[0]!.connectTcp({ address: '10.0.0.2', port: 5001 });
  await drive(Promise.all([accepted, connecting]));
  const client = await connecting;
  client.setNoDelay(true);
  const server = await accepted;
  server.setNoDelay(true);
  return { client, server, drive };
}

async function bulk(pair: Pair): Promise<void> {
  const sending = (async () => {
    for (let sent = 0; sent < BULK_BYTES; sent += CHUNK.length) await pair.client.write(CHUNK);
  })();
  const receiving = (async () => {
    for (let got = 0; got < BULK_BYTES; ) {
      const chunk = await pair.server.read();
      if (!chunk) throw new Error('early EOF');
      got += chunk.length;
    }
  })();
  await pair.drive(Promise.all([sending, receiving]));
  await Promise.all([sending, receiving]);
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
  readonly server: Server;
  readonly client: Socket;
  readonly peer: Socket;
}

let kernel: Promise<KernelPair> | undefined;
function kernelPair(): Promise<KernelPair> {
  kernel ??= (async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    const accepted = once(server, 'connection');
    const client = tcpConnect(address.port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = (await accepted) as [Socket];
    client.setNoDelay(true);
    peer.setNoDelay(true);
    return { server, client, peer };
  })();
  return kernel;
}

/** Keeps the kernel sockets from holding the process open between samples. */
function hold(k: KernelPair, on: boolean): void {
  for (const h of [k.server, k.client, k.peer]) {
    if (on) h.ref();
    else h.unref();
  }
}

async function kernelBulk(): Promise<void> {
  const k = await kernelPair();
  hold(k, true);
  let got = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (b: Buffer): void => {
      got += b.length;
      if (got >= BULK_BYTES) {
        k.peer.off('data', onData);
        resolve();
      }
    };
    k.peer.on('data', onData);
  });
  for (let sent = 0; sent < BULK_BYTES; sent += CHUNK.length) {
    if (!k.client.write(CHUNK)) await once(k.client, 'drain');
  }
  await done;
  hold(k, false);
}

async function kernelPingPong(): Promise<void> {
  const k = await kernelPair();
  hold(k, true);
  const echo = (b: Buffer): void => {
    k.peer.write(b);
  };
  k.peer.on('data', echo);
  const one = new Uint8Array([1]);
  for (let i = 0; i < PING_PONGS; i++) {
    const reply = once(k.client, 'data');
    k.client.write(one);
    await reply;
  }
  k.peer.off('data', echo);
  hold(k, false);
}

let plain: Promise<Pair> | undefined;
let offloaded: Promise<Pair> | undefined;

/** One connection per checksum mode, set up on first use and reused by every sample. */
function pairFor(checksumOffload: boolean): Promise<Pair> {
  if (checksumOffload) {
    offloaded ??= libosPair(true);
    return offloaded;
  }
  plain ??= libosPair(false);
  return plain;
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
      run: async () => bulk(await pairFor(false)),
    },
    baseline: { name: 'node:net loopback', ops: BULK_BYTES, run: kernelBulk },
    goal: 0.25,
    floor: 0.1,
  },
  {
    id: 'P2',
    title: 'P1 with virtio-net checksum offload (CSUM / GUEST_CSUM)',
    conditions: `as P1 with CSUM/GUEST_CSUM negotiated: the device model completes and validates TCP checksums; the TCP layer does not use TSO yet (segments ≤ MSS)`,
    subject: {
      name: 'libos TCP over virtio-net, checksum offload',
      ops: BULK_BYTES,
      run: async () => bulk(await pairFor(true)),
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
      run: async () => pingPong(await pairFor(false)),
    },
    baseline: { name: 'node:net ping-pong', ops: PING_PONGS, run: kernelPingPong },
    goal: 2,
    floor: 0.5,
  },
];
