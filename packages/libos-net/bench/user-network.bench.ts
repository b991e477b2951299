/**
 * User-mode networking: requests/s of a tiny HTTP handler reached from the host through
 * a createUserNetwork TCP forward (host socket → gateway stack → link → guest stack →
 * node:http via serveHttp) against the same handler on node:http directly; and the other
 * way, a guest's keep-alive HTTP client reaching a host node:http server through
 * outbound NAT (guest stack → link → gateway interceptTcp → node:net) against the same
 * client on a node:net socket.
 */
import { Agent, createServer, type RequestListener, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createStack, type Stack, type TcpStream } from '@libos/net';
import { createUserNetwork, serveHttp, type UserNetwork } from '@libos/net/node';
import { HostClock, HostEntropy } from '@libos/sched';
import type { Comparison } from '../../../bench/harness.js';

const REQUESTS = 200;

const handler: RequestListener = (_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello');
};

interface Target {
  readonly port: number;
  close(): Promise<void>;
}

let current: Target | undefined;

async function closeCurrent(): Promise<void> {
  const target = current;
  current = undefined;
  await target?.close();
}

/** A guest stack on the user network, polled whenever the gateway sends or a deadline is due. */
function driveGuest(net: UserNetwork, stack: Stack, clock: HostClock): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = clock.now();
      stack.poll(now);
      const at = stack.pollAt();
      const waitMs = at === null ? 20 : Math.min(20, Math.max(0, Math.ceil((at - now) / 1000)));
      await net.guestPort.waitForFrame(waitMs);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function startForwarded(): Promise<void> {
  await closeCurrent();
  const net = await createUserNetwork({
    dhcp: false,
    dns: false,
    hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }],
  });
  const clock = new HostClock();
  const stack = createStack({
    devices: [net.guestPort],
    clock,
    entropy: new HostEntropy(),
    ipv4: { address: '10.0.2.15/24' },
  });
  const stopGuest = driveGuest(net, stack, clock);
  const served = serveHttp(stack.listenTcp({ port: 80 }), createServer(handler));
  current = {
    port: net.forwards[0]!.hostPort,
    close: async () => {
      await new Promise<void>((resolve) => served.close(() => resolve()));
      await stopGuest();
      await net.close();
    },
  };
}

async function startDirect(): Promise<void> {
  await closeCurrent();
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  current = {
    port: (server.address() as { port: number }).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** REQUESTS sequential GETs over one keep-alive connection; closes the target afterwards. */
async function requests(): Promise<void> {
  const port = current!.port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < REQUESTS; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.once('end', resolve);
          res.once('error', reject);
        });
        req.once('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
    await closeCurrent();
  }
}

/** A byte stream a raw HTTP client can run over (a guest TcpStream or a node:net socket). */
interface ByteConnection {
  write(bytes: Uint8Array): Promise<void>;
  read(): Promise<Uint8Array | null>;
}

const GET = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');

/** REQUESTS sequential GETs over one keep-alive connection, each response read to its end. */
async function rawGets(conn: ByteConnection): Promise<void> {
  let pending = Buffer.alloc(0);
  for (let i = 0; i < REQUESTS; i++) {
    await conn.write(GET);
    for (;;) {
      const headerEnd = pending.indexOf('\r\n\r\n');
      if (headerEnd >= 0) {
        const head = pending.subarray(0, headerEnd).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
        if (!Number.isInteger(length)) throw new Error(`no content-length in ${head}`);
        const total = headerEnd + 4 + length;
        if (pending.length >= total) {
          pending = pending.subarray(total);
          break;
        }
      }
      const chunk = await conn.read();
      if (chunk === null) throw new Error('server closed the connection');
      pending = Buffer.concat([pending, chunk]);
    }
  }
}

interface Client {
  readonly connection: ByteConnection;
  close(): Promise<void>;
}

let client: Client | undefined;

async function closeClient(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.close();
}

async function hostServer(): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return server;
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startNatClient(): Promise<void> {
  await closeClient();
  const server = await hostServer();
  const net = await createUserNetwork({ dhcp: false, dns: false, outbound: 'loopback' });
  const clock = new HostClock();
  const stack = createStack({
    devices: [net.guestPort],
    clock,
    entropy: new HostEntropy(),
    ipv4: { address: '10.0.2.15/24', gateway: '10.0.2.2' },
  });
  const stopGuest = driveGuest(net, stack, clock);
  const stream: TcpStream = await stack.connectTcp({
    address: '10.0.2.2',
    port: (server.address() as { port: number }).port,
  });
  stream.setNoDelay(true);
  client = {
    connection: { write: (b) => stream.write(b), read: () => stream.read() },
    close: async () => {
      stream.abort();
      await stopServer(server);
      await stopGuest();
      await net.close();
    },
  };
}

async function startDirectClient(): Promise<void> {
  await closeClient();
  const server = await hostServer();
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  const chunks = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  client = {
    connection: {
      write: (b) =>
        new Promise<void>((resolve, reject) => socket.write(b, (e) => (e ? reject(e) : resolve()))),
      read: async () => {
        const next = await chunks.next();
        return next.done === true ? null : next.value;
      },
    },
    close: async () => {
      socket.destroy();
      await stopServer(server);
    },
  };
}

async function clientGets(): Promise<void> {
  try {
    await rawGets(client!.connection);
  } finally {
    await closeClient();
  }
}

/** The comparisons `npm run bench` measures. */
export const comparisons: Comparison[] = [
  {
    id: 'user-network-http-forward',
    title: 'HTTP requests/s through a user-network host forward vs node:http directly',
    conditions: `${REQUESTS} sequential GETs of a 5-byte body over one keep-alive connection per sample (closing the server counted); subject: 127.0.0.1 host socket → gateway libos stack → in-process link → guest libos stack → node:http (serveHttp); baseline: node:http on 127.0.0.1`,
    subject: {
      name: 'via createUserNetwork forward',
      ops: REQUESTS,
      setup: startForwarded,
      run: requests,
    },
    baseline: { name: 'node:http on 127.0.0.1', ops: REQUESTS, setup: startDirect, run: requests },
    goal: 0.5,
    floor: 0.1,
  },
  {
    id: 'user-network-http-nat',
    title:
      'HTTP requests/s from a guest through user-network outbound NAT vs a host client directly',
    conditions: `${REQUESTS} sequential GETs of a 5-byte body over one keep-alive connection per sample, raw HTTP/1.1 client (closing counted); subject: guest libos stack → in-process link → gateway interceptTcp → node:net to 127.0.0.1 (reached as 10.0.2.2); baseline: the same client on a node:net socket; server node:http on 127.0.0.1 in both`,
    subject: {
      name: 'guest via outbound NAT',
      ops: REQUESTS,
      setup: startNatClient,
      run: clientGets,
    },
    baseline: {
      name: 'node:net client on 127.0.0.1',
      ops: REQUESTS,
      setup: startDirectClient,
      run: clientGets,
    },
    goal: 0.5,
    floor: 0.1,
  },
];
