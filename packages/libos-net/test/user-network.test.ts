/**
 * createUserNetwork end to end in real time: a guest libos stack on `guestPort` gets
 * its address from the gateway's DHCP server, and host sockets on 127.0.0.1 reach guest
 * servers through the TCP and UDP forwards. Host sockets only on 127.0.0.1; every wait
 * is bounded; afterEach closes everything.
 */

import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import {
  createStack,
  formatIpv4Address,
  type Ipv4Config,
  type Stack,
  type TcpStream,
} from '@libos/net';
import { createUserNetwork, serveHttp, type UserNetwork, UserNetworkError } from '@libos/net/node';
import { HostClock, HostEntropy } from '@libos/sched';
import { afterEach, describe, expect, it } from 'vitest';

interface Guest {
  readonly stack: Stack;
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function network(
  options: Parameters<typeof createUserNetwork>[0] = {},
): Promise<UserNetwork> {
  const net = await createUserNetwork(options);
  cleanups.push(() => net.close());
  return net;
}

/** A guest stack on the user network, polled whenever the gateway sends or a deadline is due. */
function startGuest(net: UserNetwork, ipv4: Ipv4Config = 'dhcp'): Guest {
  const clock = new HostClock();
  const stack = createStack({ devices: [net.guestPort], clock, entropy: new HostEntropy(), ipv4 });
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
  const guest = {
    stack,
    stop: async () => {
      running = false;
      await loop;
    },
  };
  cleanups.push(() => guest.stop());
  return guest;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A guest echo server on `port`: echoes each connection until FIN, then ends. */
function guestEcho(stack: Stack, port: number): void {
  const listener = stack.listenTcp({ port });
  cleanups.push(() => listener.close());
  void (async () => {
    for await (const conn of listener) void echo(conn);
  })();
}

async function echo(conn: TcpStream): Promise<void> {
  try {
    for (let chunk = await conn.read(); chunk; chunk = await conn.read()) await conn.write(chunk);
    await conn.end();
  } catch {
    // The host side reset: nothing to do.
  }
}

function hostConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
    cleanups.push(() => void socket.destroy());
  });
}

/** Sends `data`, half-closes, and collects everything until the guest's FIN. */
function roundTrip(socket: Socket, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
    socket.end(data);
  });
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const forwardTo = (guestPort: number) =>
  ({ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort }) as const;

describe('createUserNetwork: DHCP', () => {
  it('gives a DHCP guest 10.0.2.15 with the gateway as router', async () => {
    const net = await network({ dhcp: { dnsServers: ['10.0.2.3'] } });
    const guest = startGuest(net);
    const iface = guest.stack.interfaces[0]!;
    await until('a lease', () => iface.ipv4 !== undefined);
    expect(formatIpv4Address(iface.ipv4!.address)).toBe('10.0.2.15');
    expect(iface.ipv4!.prefixLength).toBe(24);
    const lease = guest.stack.dhcpClient(iface)!.lease!;
    expect(lease.routers.map(formatIpv4Address)).toEqual(['10.0.2.2']);
    expect(lease.dnsServers.map(formatIpv4Address)).toEqual(['10.0.2.3']);
    expect(net.dhcpServer!.stats).toMatchObject({ offers: 1, acks: 1 });
    // The gateway answers the guest's ping over the same link.
    const reply = await guest.stack.ping('10.0.2.2', { timeoutMicros: 2_000_000 });
    expect(reply.ttl).toBe(64);
  });
});

describe('createUserNetwork: TCP host forwards', () => {
  it('reaches a guest node:http server with fetch through the forward', async () => {
    const net = await network({ hostForwards: [forwardTo(80)] });
    const guest = startGuest(net);
    await until('a lease', () => guest.stack.interfaces[0]!.ipv4 !== undefined);
    const app = createHttpServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from the guest, ${req.method} ${req.url}`);
    });
    const served = serveHttp(guest.stack.listenTcp({ port: 80 }), app);
    cleanups.push(() => new Promise<void>((r) => served.close(() => r())));
    const { hostPort, hostAddress, guestAddress } = net.forwards[0]!;
    expect(hostAddress).toBe('127.0.0.1');
    expect(guestAddress).toBe('10.0.2.15');
    expect(hostPort).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${hostPort}/path?q=1`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from the guest, GET /path?q=1');
    expect(net.stats.tcpAccepted).toBeGreaterThanOrEqual(1);
  });

  it('copies bytes both ways for several concurrent host connections and a 4 MiB body', async () => {
    const net = await network({ hostForwards: [forwardTo(7)], dhcp: false });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    guestEcho(guest.stack, 7);
    const port = net.forwards[0]!.hostPort;
    const small = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (seed) => {
        const data = pattern(1000 + seed * 3333, seed);
        const back = await roundTrip(await hostConnect(port), data);
        return Buffer.compare(back, Buffer.from(data));
      }),
    );
    expect(small).toEqual([0, 0, 0, 0, 0, 0]);
    const big = pattern(4 * 1024 * 1024, 99);
    const back = await roundTrip(await hostConnect(port), big);
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(back, Buffer.from(big))).toBe(0);
    expect(net.stats.bytesToGuest).toBeGreaterThanOrEqual(big.length);
    expect(net.stats.bytesToHost).toBeGreaterThanOrEqual(big.length);
    await until('splices to finish', () => net.stats.tcpActive === 0);
  }, 60_000);

  it('carries a host half-close to the guest and the guest reply back (FIN both ways)', async () => {
    const net = await network({ hostForwards: [forwardTo(9000)], dhcp: false });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    const listener = guest.stack.listenTcp({ port: 9000 });
    cleanups.push(() => listener.close());
    const seen = (async () => {
      const conn = await listener.accept();
      const got: Uint8Array[] = [];
      for (let c = await conn.read(); c; c = await conn.read()) got.push(c);
      // Only after the host's FIN: reply, then FIN.
      await conn.write(
        new TextEncoder().encode(`got ${got.reduce((n, c) => n + c.length, 0)} bytes`),
      );
      await conn.end();
      return got;
    })();
    const back = await roundTrip(
      await hostConnect(net.forwards[0]!.hostPort),
      new Uint8Array(12345).fill(7),
    );
    expect(back.toString()).toBe('got 12345 bytes');
    expect((await seen).reduce((n, c) => n + c.length, 0)).toBe(12345);
  });

  it('resets the host socket promptly when no guest listener is there', async () => {
    const net = await network({ hostForwards: [forwardTo(81)], dhcp: false });
    startGuest(net, { address: '10.0.2.15/24' });
    const socket = await hostConnect(net.forwards[0]!.hostPort);
    const started = Date.now();
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', (e) => resolve(e));
      socket.once('close', () => resolve(undefined));
      socket.resume();
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error?.code).toBe('ECONNRESET');
    expect(net.stats.tcpRefused).toBe(1);
  });

  it('resets the guest connection when the host closes early with data in flight', async () => {
    const net = await network({ hostForwards: [forwardTo(82)], dhcp: false });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    const listener = guest.stack.listenTcp({ port: 82 });
    cleanups.push(() => listener.close());
    const outcome = (async () => {
      const conn = await listener.accept();
      const chunk = new Uint8Array(64 * 1024);
      try {
        // The guest streams until the host side goes away.
        for (let i = 0; i < 2000; i++) await conn.write(chunk);
        return 'wrote everything';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    })();
    const socket = await hostConnect(net.forwards[0]!.hostPort);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    expect(await outcome).toBe('ECONNRESET');
    await until('the splice to go', () => net.stats.tcpActive === 0);
  }, 20_000);

  it('resets the host socket when the guest resets', async () => {
    const net = await network({ hostForwards: [forwardTo(83)], dhcp: false });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    const listener = guest.stack.listenTcp({ port: 83 });
    cleanups.push(() => listener.close());
    void (async () => {
      const conn = await listener.accept();
      await conn.read();
      conn.abort();
    })();
    const socket = await hostConnect(net.forwards[0]!.hostPort);
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', (e) => resolve(e));
      socket.once('close', () => resolve(undefined));
      socket.write('hi');
      socket.resume();
    });
    expect(error?.code).toBe('ECONNRESET');
    await until('the reset to be counted', () => net.stats.tcpReset === 1);
  });

  it('fails with EADDRINUSE and a one-line message when the host port is taken, leaving nothing open', async () => {
    const blocker: Server = createNetServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const taken = (blocker.address() as { port: number }).port;
    const attempt = createUserNetwork({
      hostForwards: [forwardTo(80), { protocol: 'tcp', hostPort: taken, guestPort: 22 }],
    });
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserNetworkError);
    expect((error as UserNetworkError).code).toBe('EADDRINUSE');
    expect((error as UserNetworkError).message).toBe(
      `host port 127.0.0.1:${taken} is already in use (tcp forward 127.0.0.1:${taken} -> guest port 22)`,
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('rejects bad options with EINVAL', async () => {
    await expect(createUserNetwork({ gatewayAddress: '10.0.2.2' })).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(
      createUserNetwork({ hostForwards: [{ protocol: 'tcp', hostPort: 70000, guestPort: 80 }] }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('close() resets open forwarded connections and frees the host port', async () => {
    const net = await network({ hostForwards: [forwardTo(84)], dhcp: false });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    guestEcho(guest.stack, 84);
    const port = net.forwards[0]!.hostPort;
    const socket = await hostConnect(port);
    socket.write('ping');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await net.close();
    await closed;
    expect(net.closed).toBe(true);
    // The port is free again.
    const again = createNetServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });
});

describe('createUserNetwork: UDP host forwards', () => {
  it('forwards datagrams to a guest UDP echo and the replies back to each host peer', async () => {
    const net = await network({
      hostForwards: [{ protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 5353 }],
      dhcp: false,
    });
    const guest = startGuest(net, { address: '10.0.2.15/24' });
    const socket = guest.stack.bindUdp({ port: 5353 });
    cleanups.push(() => socket.close());
    void (async () => {
      for await (const m of socket) {
        await socket.send(
          Uint8Array.from([...new TextEncoder().encode('echo:'), ...m.data]),
          m.address,
          m.port,
        );
      }
    })();
    const port = net.forwards[0]!.hostPort;
    const answers = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const client = createSocket('udp4');
        cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
        await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
        const got = new Promise<string>((resolve) =>
          client.once('message', (m) => resolve(m.toString())),
        );
        client.send(`hello ${name}`, port, '127.0.0.1');
        return Promise.race([
          got,
          new Promise<string>((_, reject) =>
            setTimeout(() => reject(new Error('no UDP reply')), 5000),
          ),
        ]);
      }),
    );
    expect(answers).toEqual(['echo:hello a', 'echo:hello b']);
    expect(net.stats).toMatchObject({ udpToGuest: 2, udpToHost: 2 });
  });
});
