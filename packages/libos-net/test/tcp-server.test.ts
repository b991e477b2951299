import type { TcpListener } from '@libos/net';
import { createTcpServer, type TcpDuplex, type TcpListenerLike, TcpServer } from '@libos/net/node';
import { createMemoryTcpListener } from '@libos/net/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { next, pattern, readToEnd, sameBytes } from './tcp-adapter-helpers.js';

describe('TcpServer (net.Server shape over a libos listener)', () => {
  it('the TCP core’s listener satisfies TcpListenerLike', () => {
    expectTypeOf<TcpListener>().toMatchTypeOf<TcpListenerLike>();
  });

  it('emits listening, then each connection as a socket; an echo server round-trips', async () => {
    const listener = createMemoryTcpListener({ port: 7 });
    const sockets: TcpDuplex[] = [];
    const server = createTcpServer((socket) => {
      sockets.push(socket);
      socket.pipe(socket);
    });
    expect(server.address()).toBeNull();
    let listened = false;
    server.listen(listener, () => {
      listened = true;
    });
    await next(server, 'listening');
    expect(listened).toBe(true);
    expect(server.listening).toBe(true);
    expect(server.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 7 });
    const clients = [listener.connect(), listener.connect(), listener.connect()];
    const echoed = await Promise.all(
      clients.map(async (c, i) => {
        await c.write(pattern(i, 20_000 + i));
        await c.end();
        return readToEnd(c, 30_000);
      }),
    );
    echoed.forEach((got, i) => {
      expect(sameBytes(got, pattern(i, 20_000 + i))).toBe(true);
    });
    expect(sockets.map((s) => s.remotePort).sort()).toEqual(clients.map((c) => c.localPort).sort());
    server.close();
  });

  it('close() stops accepting, and emits close once the last connection closed', async () => {
    const listener = createMemoryTcpListener();
    const server = new TcpServer();
    const accepted: TcpDuplex[] = [];
    server.on('connection', (s) => accepted.push(s));
    server.listen(listener);
    const client = listener.connect();
    await next(server, 'connection');
    expect(server.connections).toBe(1);
    let closed = false;
    server.close(() => {
      closed = true;
    });
    expect(server.listening).toBe(false);
    expect(() => listener.connect()).toThrow(/ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false); // one connection is still open
    const serverClosed = next(server, 'close');
    accepted[0]?.resume(); // a socket nobody reads never sees 'end', as with net.Socket
    accepted[0]?.end();
    expect(await client.read()).toBeNull(); // its FIN
    await client.end();
    await serverClosed;
    expect(closed).toBe(true);
    expect(server.connections).toBe(0);
  });

  it('close() on a server that is not listening reports ERR_SERVER_NOT_RUNNING', async () => {
    const server = createTcpServer();
    const error = await new Promise<Error | undefined>((r) => server.close(r));
    expect(error).toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING' });
    expect(() =>
      server.listen(createMemoryTcpListener()).listen(createMemoryTcpListener()),
    ).toThrow(/already listening/);
    server.close();
  });

  it('applies per-socket options: noDelay, keepAlive, allowHalfOpen, pauseOnConnect', async () => {
    const listener = createMemoryTcpListener();
    const server = createTcpServer({
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
      allowHalfOpen: true,
      pauseOnConnect: true,
    });
    server.listen(listener);
    const client = listener.connect();
    const [socket] = (await next(server, 'connection')) as [TcpDuplex];
    expect(socket.isPaused()).toBe(true);
    expect(socket.allowHalfOpen).toBe(true);
    const stream = socket.stream as ReturnType<typeof listener.connect>;
    expect(stream.noDelay).toBe(true);
    expect(stream.keepAliveMicros).toBe(30_000_000);
    client.abort();
    socket.on('error', () => {});
    server.close();
  });

  it('reports a failing listener as an error event', async () => {
    const failing: TcpListenerLike = {
      port: 9,
      accept: () => Promise.reject(new Error('accept broke')),
      close: () => {},
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('accept broke')) }),
    };
    const server = createTcpServer();
    server.listen(failing);
    const [err] = await next(server, 'error');
    expect((err as Error).message).toBe('accept broke');
  });
});
