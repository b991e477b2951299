import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { TcpError } from '@libos/net';
import { serveHttp, type TcpDuplex, type TcpServer, toDuplex } from '@libos/net/node';
import { createMemoryTcpListener, type MemoryTcpListener } from '@libos/net/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { next, pattern, readToEnd, sameBytes } from './tcp-adapter-helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface HttpRig {
  readonly listener: MemoryTcpListener;
  readonly app: Server;
  readonly server: TcpServer;
  /** Server-side sockets, in accept order. */
  readonly sockets: TcpDuplex[];
}

const rigs: HttpRig[] = [];

function startHttp(handler: Handler, capacity = 65536): HttpRig {
  const listener = createMemoryTcpListener({ port: 8080, capacity });
  const app = createServer(handler);
  const sockets: TcpDuplex[] = [];
  app.on('connection', (s: TcpDuplex) => sockets.push(s));
  const server = serveHttp(listener, app);
  const rig = { listener, app, server, sockets };
  rigs.push(rig);
  return rig;
}

afterEach(() => {
  for (const rig of rigs.splice(0)) {
    rig.app.closeAllConnections();
    if (rig.server.listening) rig.server.close();
  }
});

/** A keep-alive agent whose connections are libos memory connections. */
class MemoryAgent extends Agent {
  created = 0;
  constructor(readonly listener: MemoryTcpListener) {
    super({ keepAlive: true, maxSockets: 1 });
  }
  override createConnection(): Duplex {
    this.created++;
    return toDuplex(this.listener.connect());
  }
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

function fetchVia(
  agent: Agent | undefined,
  connect: (() => Duplex) | undefined,
  method: string,
  path: string,
  body?: Uint8Array,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        path,
        host: 'libos.test',
        ...(agent === undefined ? {} : { agent }),
        ...(connect === undefined ? {} : { createConnection: connect }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) {
      // Several writes: exercises the client Duplex's write path with back-pressure.
      for (let offset = 0; offset < body.length; offset += 100_000) {
        req.write(body.subarray(offset, Math.min(body.length, offset + 100_000)));
      }
    }
    req.end();
  });
}

describe('node:http over libos TCP streams (memory pairs)', () => {
  it('serves a GET and sees the peer address as a net.Socket would show it', async () => {
    const rig = startHttp((req, res) => {
      res.setHeader('x-remote', `${req.socket.remoteAddress}:${req.socket.remotePort}`);
      res.setHeader('x-local', `${req.socket.localAddress}:${req.socket.localPort}`);
      res.end(`hello ${req.url}`);
    });
    let clientSocket: TcpDuplex | undefined;
    const reply = await fetchVia(
      undefined,
      () => {
        clientSocket = toDuplex(rig.listener.connect());
        return clientSocket;
      },
      'GET',
      '/x?y=1',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('hello /x?y=1');
    expect(reply.headers['x-remote']).toBe(`10.0.0.1:${clientSocket?.localPort}`);
    expect(reply.headers['x-local']).toBe('10.0.0.2:8080');
  });

  it('keeps the connection alive across several requests', async () => {
    const rig = startHttp((req, res) => {
      res.end(`reply to ${req.url}`);
    });
    const agent = new MemoryAgent(rig.listener);
    for (let i = 0; i < 5; i++) {
      const reply = await fetchVia(agent, undefined, 'GET', `/req/${i}`);
      expect(reply.status).toBe(200);
      expect(reply.headers.connection).toBe('keep-alive');
      expect(reply.body.toString()).toBe(`reply to /req/${i}`);
    }
    expect(agent.created).toBe(1);
    expect(rig.listener.accepted).toBe(1);
    expect(rig.sockets).toHaveLength(1);
    agent.destroy();
  });

  it('echoes a 4 MiB POST body byte for byte', { timeout: 30000 }, async () => {
    const rig = startHttp((req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      req.pipe(res);
    }, 16384);
    const body = pattern(42, 4 * 1024 * 1024);
    const agent = new MemoryAgent(rig.listener);
    const reply = await fetchVia(agent, undefined, 'POST', '/echo', body);
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(body.length);
    expect(sameBytes(reply.body, body)).toBe(true);
    const server = rig.sockets[0];
    expect(server?.bytesRead).toBeGreaterThan(body.length);
    expect(server?.bytesWritten).toBeGreaterThan(body.length);
    agent.destroy();
  });

  it('sends a chunked response that a raw HTTP/1.1 client can decode', async () => {
    const parts = ['alpha', 'beta-beta', 'x'.repeat(5000)];
    const rig = startHttp((_req, res) => {
      let i = 0;
      const step = (): void => {
        const part = parts[i++];
        if (part === undefined) res.end();
        else {
          res.write(part);
          setImmediate(step);
        }
      };
      step();
    });
    const client = rig.listener.connect();
    await client.write(
      new TextEncoder().encode(
        'GET /chunks HTTP/1.1\r\nHost: libos.test\r\nConnection: close\r\n\r\n',
      ),
    );
    const raw = await readToEnd(client, 1 << 20);
    const text = raw.toString('latin1');
    const split = text.indexOf('\r\n\r\n');
    const head = text.slice(0, split);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    // RFC 9112 §7.1: chunk = size CRLF data CRLF; last-chunk = "0" CRLF, then CRLF.
    let rest = text.slice(split + 4);
    const decoded: string[] = [];
    for (let guard = 0; guard < 100; guard++) {
      const eol = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, eol), 16);
      if (size === 0) {
        expect(rest.slice(eol)).toBe('\r\n\r\n');
        break;
      }
      decoded.push(rest.slice(eol + 2, eol + 2 + size));
      expect(rest.slice(eol + 2 + size, eol + 4 + size)).toBe('\r\n');
      rest = rest.slice(eol + 4 + size);
    }
    expect(decoded.join('')).toBe(parts.join(''));
  });

  it('answers a client that half-closes right after its request', async () => {
    const rig = startHttp((req, res) => res.end(`whole ${req.url}`));
    const client = rig.listener.connect();
    await client.write(new TextEncoder().encode('GET /a HTTP/1.1\r\nHost: libos.test\r\n\r\n'));
    await client.end();
    const raw = (await readToEnd(client, 1 << 16)).toString('latin1');
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.endsWith('\r\n\r\nwhole /a')).toBe(true);
    await client.closed;
    const [hadError] = await next(rig.sockets[0] as TcpDuplex, 'close');
    expect(hadError).toBe(false);
  });

  it('with httpAllowHalfOpen, a late response still follows the client’s FIN', async () => {
    const rig = startHttp((_req, res) => {
      setTimeout(() => res.end('late but whole'), 20);
    });
    // An undocumented but long-standing http.Server switch (not in @types/node).
    (rig.app as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    const client = rig.listener.connect();
    await client.write(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: libos.test\r\n\r\n'));
    await client.end();
    const raw = (await readToEnd(client, 1 << 16)).toString('latin1');
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.endsWith('\r\n\r\nlate but whole')).toBe(true);
    await client.closed;
  });

  it('surfaces an aborted connection as ECONNRESET on the server socket', async () => {
    let requestSeen!: () => void;
    const seen = new Promise<void>((r) => {
      requestSeen = r;
    });
    const rig = startHttp((req) => {
      requestSeen();
      req.on('error', () => {}); // node:http reports 'aborted' here
    });
    const client = rig.listener.connect();
    await client.write(
      new TextEncoder().encode(
        'POST /upload HTTP/1.1\r\nHost: libos.test\r\nContent-Length: 1000\r\n\r\n0123456789',
      ),
    );
    await seen;
    const socket = rig.sockets[0] as TcpDuplex;
    const error = next(socket, 'error');
    const close = next(socket, 'close');
    client.abort();
    const [err] = await error;
    expect(err).toBeInstanceOf(TcpError);
    expect((err as TcpError).code).toBe('ECONNRESET');
    expect(await close).toEqual([true]);
    expect(socket.destroyed).toBe(true);
  });

  it('server.close() closes idle keep-alive connections and stops accepting', async () => {
    const rig = startHttp((_req, res) => res.end('ok'));
    const client = rig.listener.connect();
    await client.write(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: libos.test\r\n\r\n'));
    // Read the whole response (Content-Length: 2) while the connection stays open.
    let got = '';
    for (let i = 0; i < 20 && !got.endsWith('\r\n\r\nok'); i++) {
      const c = await client.read();
      if (c === null) break;
      got += Buffer.from(c).toString('latin1');
    }
    expect(got).toContain('Connection: keep-alive');
    const appClosed = next(rig.app, 'close');
    const closed = new Promise<Error | undefined>((resolve) => rig.server.close(resolve));
    expect(await client.read()).toBeNull(); // the idle connection got a FIN
    await client.end();
    expect(await closed).toBeUndefined();
    await appClosed;
    expect(rig.server.listening).toBe(false);
    expect(() => rig.listener.connect()).toThrow(/ECONNREFUSED/);
  });
});
