/**
 * User-mode networking: requests/s of a tiny HTTP handler reached from the host through
 * a createUserNetwork TCP forward (host socket → gateway stack → link → guest stack →
 * node:http via serveHttp) against the same handler on node:http directly.
 */
import { Agent, createServer, type RequestListener, request, type Server } from 'node:http';
import { createStack, type Stack } from '@libos/net';
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
];
