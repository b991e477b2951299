/**
 * UDP echo transactions through the whole libos stack (Ethernet, ARP, IPv4, UDP, sockets)
 * between two stacks on an in-process link, against `node:dgram` echo over the kernel's
 * loopback in the same run. One request in flight at a time: this measures per-packet
 * cost through both stacks, not bandwidth.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createLink, createStack } from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import type { Comparison } from '../../../bench/harness.js';

const TRANSACTIONS = 2000;
const PAYLOAD = 64;

const clock = new VirtualClock();
const [a, b] = createLink({ queueFrames: 256 });
const client = createStack({
  devices: [a],
  clock,
  entropy: new SeededEntropy(1),
  ipv4: { address: '10.0.0.1/24' },
});
const server = createStack({
  devices: [b],
  clock,
  entropy: new SeededEntropy(2),
  ipv4: { address: '10.0.0.2/24' },
});
const serverSocket = server.bindUdp({ port: 7 });
const clientSocket = client.bindUdp({ port: 40000 });
const request = new Uint8Array(PAYLOAD).fill(0x61);

/** Resolves ARP both ways before measuring. */
async function prime(): Promise<void> {
  for (let i = 0; i < 4 && !clientSocket.tryReceive(); i++) {
    if (i === 0) await clientSocket.send(request, 0x0a000002, 7);
    server.poll(0);
    const m = serverSocket.tryReceive();
    if (m) await serverSocket.send(m.data, m.address, m.port);
    client.poll(0);
  }
}

async function libosEcho(): Promise<void> {
  for (let i = 0; i < TRANSACTIONS; i++) {
    await clientSocket.send(request, 0x0a000002, 7);
    server.poll(0);
    const m = serverSocket.tryReceive();
    if (!m) throw new Error('request lost');
    await serverSocket.send(m.data, m.address, m.port);
    client.poll(0);
    if (!clientSocket.tryReceive()) throw new Error('reply lost');
  }
}

const kernelServer = createSocket('udp4');
const kernelClient = createSocket('udp4');
let kernelReady: Promise<void> | undefined;
kernelServer.on('message', (msg, rinfo) => kernelServer.send(msg, rinfo.port, rinfo.address));

async function kernelEcho(): Promise<void> {
  kernelReady ??= (async () => {
    kernelServer.bind(0, '127.0.0.1');
    await once(kernelServer, 'listening');
    kernelClient.bind(0, '127.0.0.1');
    await once(kernelClient, 'listening');
  })();
  await kernelReady;
  // Referenced while measuring, unreferenced between samples so the run can exit.
  kernelServer.ref();
  kernelClient.ref();
  const port = kernelServer.address().port;
  for (let i = 0; i < TRANSACTIONS; i++) {
    const reply = once(kernelClient, 'message');
    kernelClient.send(request, port, '127.0.0.1');
    await reply;
  }
  kernelServer.unref();
  kernelClient.unref();
}

export const comparisons: Comparison[] = [
  {
    id: 'NET-udp-echo',
    title: 'UDP echo transactions through two libos stacks vs node:dgram over kernel loopback',
    conditions: `${PAYLOAD}-byte payload, one transaction in flight, ${TRANSACTIONS} per sample; libos: createLink cable, checksums computed in JS, one thread polling both stacks; baseline: two node:dgram sockets on 127.0.0.1`,
    subject: { name: 'libos stack UDP echo', ops: TRANSACTIONS, setup: prime, run: libosEcho },
    baseline: { name: 'node:dgram loopback echo', ops: TRANSACTIONS, run: kernelEcho },
    goal: 2,
    floor: 0.5,
  },
];
