/**
 * The real TCP core against the TcpStream contract (`describeTcpStream`, the suite the
 * adapters were built against), and an unmodified node:http server and client talking
 * over libos TCP between two stacks: keep-alive, a large body both ways.
 */
import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import { createLink, createStack, type Stack } from '@libos/net';
import { serveHttp, toDuplex } from '@libos/net/node';
import { describeTcpStream } from '@libos/net/testing';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';

/** Two stacks on a cable, polled on every macrotask turn (virtual time moves 1 ms per turn). */
function stacks(seed: number, buffers = 64 * 1024) {
  const [a, b] = createLink({ queueFrames: 512 });
  const clock = new VirtualClock();
  const tcp = { sendBuffer: buffers, receiveBuffer: buffers };
  const left: Stack = createStack({
    devices: [a],
    clock,
    entropy: new SeededEntropy(seed),
    ipv4: { address: '10.0.0.1/24' },
    tcp,
  });
  const right: Stack = createStack({
    devices: [b],
    clock,
    entropy: new SeededEntropy(seed + 1),
    ipv4: { address: '10.0.0.2/24' },
    tcp,
  });
  let running = true;
  const pump = (): void => {
    if (!running) return;
    for (let i = 0; i < 8; i++) {
      left.poll(clock.now());
      right.poll(clock.now());
    }
    clock.advanceBy(1000);
    setImmediate(pump);
  };
  setImmediate(pump);
  return {
    left,
    right,
    stop: () => {
      running = false;
    },
  };
}

let seed = 1;
describeTcpStream('TcpConnection between two libos stacks', {
  create: async () => {
    const s = stacks(seed++);
    const listener = s.right.listenTcp({ port: 7 });
    const [a, b] = await Promise.all([
      s.left.connectTcp({ address: '10.0.0.2', port: 7 }),
      listener.accept(),
    ]);
    return {
      a,
      b,
      settle: () => new Promise((r) => setTimeout(r, 5)),
      dispose: () => {
        a.abort();
        b.abort();
        listener.close();
        s.stop();
      },
    };
  },
  timeoutMs: 30_000,
});

describe('node:http over libos TCP', () => {
  it('serves keep-alive requests and a large body both ways, byte-exact', async () => {
    const s = stacks(100, 256 * 1024);
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        res.setHeader('x-request-bytes', String(body.length));
        res.end(req.method === 'POST' ? body : `hello ${req.url}`);
      });
    });
    const tcpServer = serveHttp(s.right.listenTcp({ port: 80 }), server);
    // node:http's own client, its sockets being libos TCP connections: the agent asks
    // for a connection, we open one on the left stack and hand it over as a Duplex.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    let socket: ReturnType<typeof toDuplex> | undefined;
    Object.assign(agent, {
      createConnection: (_options: unknown, callback: (err: Error | null, s?: unknown) => void) => {
        connections++;
        s.left.connectTcp({ address: '10.0.0.2', port: 80 }).then(
          (conn) => {
            socket = toDuplex(conn);
            callback(null, socket);
          },
          (err: Error) => callback(err),
        );
      },
    });
    const fetch = async (method: string, path: string, body?: Buffer) => {
      const req = request({
        method,
        path,
        agent,
        headers: body ? { 'content-length': body.length } : {},
      });
      const response = once(req, 'response');
      req.end(body);
      const [res] = (await response) as [IncomingMessage];
      const parts: Buffer[] = [];
      for await (const c of res) parts.push(c as Buffer);
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) };
    };
    for (const path of ['/a', '/b', '/c']) {
      const r = await fetch('GET', path);
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`hello ${path}`);
    }
    const big = Buffer.from(Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 31 + 7) & 0xff));
    const echoed = await fetch('POST', '/echo', big);
    expect(echoed.headers['x-request-bytes']).toBe(String(big.length));
    expect(echoed.body.equals(big)).toBe(true);
    expect(connections).toBe(1); // all four requests on one kept-alive connection
    socket?.destroy();
    agent.destroy();
    await new Promise<void>((r) => tcpServer.close(() => r()));
    s.stop();
  }, 60_000);
});
