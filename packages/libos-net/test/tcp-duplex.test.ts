import { TcpError } from '@libos/net';
import { type TcpDuplex, toDuplex } from '@libos/net/node';
import { createMemoryTcpStreamPair } from '@libos/net/testing';
import { describe, expect, it } from 'vitest';
import {
  next,
  pattern,
  readExactly,
  readToEnd,
  sameBytes,
  track,
  turns,
} from './tcp-adapter-helpers.js';

function pair(capacity = 65536, options?: Parameters<typeof toDuplex>[1]) {
  const [client, server] = createMemoryTcpStreamPair({
    capacity,
    client: { address: 0xc0a80105, port: 50123 },
    server: { address: 0x7f000001, port: 8080 },
  });
  return { peer: client, stream: server, socket: toDuplex(server, options) };
}

function collect(socket: TcpDuplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

describe('toDuplex: net.Socket surface', () => {
  it('reports addresses like net.Socket', () => {
    const { socket } = pair();
    expect(socket.remoteAddress).toBe('192.168.1.5');
    expect(socket.remotePort).toBe(50123);
    expect(socket.remoteFamily).toBe('IPv4');
    expect(socket.localAddress).toBe('127.0.0.1');
    expect(socket.localPort).toBe(8080);
    expect(socket.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: 8080 });
    expect(socket.readyState).toBe('open');
    expect(socket.connecting).toBe(false);
    socket.destroy();
  });

  it('maps setNoDelay and setKeepAlive onto the TCP stream', () => {
    const { socket, stream } = pair();
    expect(socket.setNoDelay()).toBe(socket);
    expect(stream.noDelay).toBe(true);
    socket.setNoDelay(false);
    expect(stream.noDelay).toBe(false);
    socket.setKeepAlive(true, 1500);
    expect(stream.keepAliveMicros).toBe(1_500_000);
    socket.setKeepAlive(true);
    expect(stream.keepAliveMicros).toBe(7_200_000_000);
    socket.setKeepAlive(false);
    expect(stream.keepAliveMicros).toBe(0);
    socket.destroy();
  });

  it('emits timeout after idleness, not while data flows, and not once disabled', async () => {
    const { socket, peer } = pair();
    socket.resume();
    let fired = 0;
    socket.setTimeout(150, () => fired++);
    expect(socket.timeout).toBe(150);
    for (let i = 0; i < 8; i++) {
      await peer.write(new Uint8Array([i]));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(fired).toBe(0);
    await next(socket, 'timeout', 2000);
    expect(fired).toBe(1);
    expect(socket.destroyed).toBe(false); // like net.Socket: the application decides
    socket.setTimeout(0);
    expect(socket.timeout).toBeUndefined();
    await new Promise((r) => setTimeout(r, 250));
    expect(fired).toBe(1);
    socket.destroy();
  });

  it('counts bytesRead and bytesWritten', async () => {
    const { socket, peer } = pair();
    await peer.write(pattern(1, 1234));
    const [data] = await next(socket, 'data');
    expect((data as Buffer).length).toBe(1234);
    expect(socket.bytesRead).toBe(1234);
    await new Promise<void>((r) => socket.write(Buffer.alloc(777), () => r()));
    expect(socket.bytesWritten).toBe(777);
    expect((await readExactly(peer, 777)).length).toBe(777);
    socket.destroy();
  });
});

describe('toDuplex: closing', () => {
  it('end() half-closes; with allowHalfOpen the socket keeps reading', async () => {
    const { socket, peer } = pair(65536, { allowHalfOpen: true });
    const received = collect(socket);
    const closed = next(socket, 'close');
    socket.end(Buffer.from('bye'));
    expect((await readToEnd(peer, 100)).toString()).toBe('bye');
    await peer.write(pattern(2, 5000));
    await peer.end();
    expect(sameBytes(await received, pattern(2, 5000))).toBe(true);
    expect(await closed).toEqual([false]);
    await peer.closed;
  });

  it('without allowHalfOpen (default) the peer’s FIN ends our side too', async () => {
    const { socket, peer } = pair();
    const received = collect(socket);
    const closed = next(socket, 'close');
    await peer.write(Buffer.from('last words'));
    await peer.end();
    expect((await received).toString()).toBe('last words');
    expect(await readToEnd(peer, 0)).toHaveLength(0); // our FIN arrived
    expect(await closed).toEqual([false]);
    await peer.closed;
  });

  it('destroy(err) aborts: the peer sees ECONNRESET', async () => {
    const { socket, peer } = pair();
    socket.on('error', () => {});
    const closed = next(socket, 'close');
    socket.destroy(new Error('boom'));
    await expect(peer.read()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await closed).toEqual([true]);
  });

  it('destroy() sends FIN, and resets if the peer keeps sending', async () => {
    const { socket, peer } = pair();
    socket.write(Buffer.from('flushed'));
    await turns();
    socket.destroy();
    expect((await readToEnd(peer, 100)).toString()).toBe('flushed');
    await peer.write(Buffer.from('too late'));
    await expect(peer.read()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('a peer reset surfaces as error ECONNRESET, then close(hadError)', async () => {
    const { socket, peer } = pair();
    socket.resume();
    const error = next(socket, 'error');
    const closed = next(socket, 'close');
    peer.abort();
    const [err] = await error;
    expect(err).toBeInstanceOf(TcpError);
    expect((err as TcpError).code).toBe('ECONNRESET');
    expect(await closed).toEqual([true]);
    expect(socket.readyState).toBe('closed');
  });
});

describe('toDuplex: back-pressure', () => {
  it('a slow reader stops the read loop: memory stays bounded, then everything arrives', async () => {
    const { socket, peer } = pair(32768, { highWaterMark: 16384, readChunkBytes: 8192 });
    const total = 8 * 1024 * 1024;
    const data = pattern(3, total);
    const writing = track(peer.write(data));
    await turns(50);
    // Nobody reads the Duplex: it holds at most its high-water mark plus one chunk.
    expect(writing.settled()).toBe(false);
    expect(socket.readableLength).toBeLessThanOrEqual(16384 + 8192);
    expect(socket.bytesRead).toBeLessThanOrEqual(16384 + 8192);
    const received = collect(socket);
    await writing.promise;
    await peer.end();
    expect(sameBytes(await received, data)).toBe(true);
  });

  it('writes wait for the TCP send buffer: write() returns false and drain follows', async () => {
    const { socket, peer } = pair(16384, { highWaterMark: 16384 });
    const big = Buffer.from(pattern(4, 1 << 20));
    expect(socket.write(big)).toBe(false);
    await turns(50);
    expect(peer.bufferedAmount).toBe(0); // the peer's direction is independent
    expect(socket.bytesWritten).toBe(0); // the 1 MiB write is still waiting for space
    const drained = next(socket, 'drain');
    const got = await readExactly(peer, big.length);
    await drained;
    expect(sameBytes(got, big)).toBe(true);
    expect(socket.bytesWritten).toBe(big.length);
    socket.destroy();
  });
});
