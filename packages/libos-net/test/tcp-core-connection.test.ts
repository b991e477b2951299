import { TcpError, type TcpStream } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { A, B, firstDifference, pattern, TcpWire } from './tcp-core-harness.js';

async function readAll(conn: TcpStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('TCP core: connection lifecycle over a wire', () => {
  it('three-way handshake, data both ways, half-close, TIME-WAIT (RFC 9293 §3.5, §3.6)', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80 });
    const client = wire.a.connect({ address: B, port: 80 });
    const conn = await wire.until(client);
    const server = await wire.until(listener.accept());
    expect(conn.state).toBe('established');
    expect(server.state).toBe('established');
    expect(server.remoteAddress).toBe(A);
    expect(server.remotePort).toBe(conn.localPort);
    expect(conn.localPort).toBeGreaterThanOrEqual(49152);

    const up = pattern(300_000, 1);
    const down = pattern(123_457, 2);
    const serverRead = readAll(server);
    const clientWrite = conn.write(up).then(() => conn.end());
    await wire.until(clientWrite);
    const received = await wire.until(serverRead);
    expect(firstDifference(received, up)).toBe(-1);
    // Half-close: the server can still send after the client's FIN.
    expect(server.state).toBe('close-wait');
    await wire.run(() => conn.state === 'fin-wait-2', 1_000_000);
    expect(conn.state).toBe('fin-wait-2');
    const clientRead = readAll(conn);
    await wire.until(server.write(down));
    await wire.until(server.close());
    expect(firstDifference(await wire.until(clientRead), down)).toBe(-1);
    expect(server.state).toBe('closed');
    expect(conn.state).toBe('time-wait');
    // Closed for the user at once; the layer holds TIME-WAIT for 2·MSL (default MSL 30 s).
    await conn.closed;
    const timeWaitStart = wire.clock.now();
    await wire.run(() => conn.state === 'closed');
    expect(wire.clock.now() - timeWaitStart).toBeGreaterThan(59_900_000);
    expect(wire.clock.now() - timeWaitStart).toBeLessThanOrEqual(60_000_000);
    expect(conn.state).toBe('closed');
    expect(wire.a.connectionCount).toBe(0);
    expect(wire.b.connectionCount).toBe(0);
  });

  it('connect to a closed port is refused with ECONNREFUSED (RST, RFC 9293 §3.10.7.1)', async () => {
    const wire = new TcpWire();
    const attempt = wire.a.connect({ address: B, port: 81 });
    await expect(wire.until(attempt)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(wire.b.stats.resetsSent).toBe(1);
    expect(wire.b.stats.dropped['no-socket']).toBe(1);
  });

  it('abort sends RST and the peer fails with ECONNRESET', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80 });
    const conn = await wire.until(wire.a.connect({ address: B, port: 80 }));
    const server = await wire.until(listener.accept());
    const pending = server.read();
    conn.abort();
    await expect(wire.until(pending)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(server.closed).rejects.toBeInstanceOf(TcpError);
    await expect(conn.read()).rejects.toMatchObject({ code: 'ECONNABORTED' });
    await expect(conn.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'ECONNABORTED' });
    expect(server.state).toBe('closed');
  });

  it('simultaneous open (RFC 9293 §3.5 figure 7)', async () => {
    const wire = new TcpWire();
    const x = wire.a.connect({ address: B, port: 5000, localPort: 6000 });
    const y = wire.b.connect({ address: A, port: 6000, localPort: 5000 });
    const [cx, cy] = await wire.until(Promise.all([x, y]));
    expect(cx.state).toBe('established');
    expect(cy.state).toBe('established');
    const read = cy.read();
    await wire.until(cx.write(new Uint8Array([1, 2, 3])));
    expect(await wire.until(read)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('simultaneous close goes through CLOSING to TIME-WAIT on both sides (figure 13)', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80 });
    const conn = await wire.until(wire.a.connect({ address: B, port: 80 }));
    const server = await wire.until(listener.accept());
    void conn.end();
    void server.end();
    expect(conn.state).toBe('fin-wait-1');
    expect(server.state).toBe('fin-wait-1');
    await wire.run(() => conn.state === 'time-wait' && server.state === 'time-wait', 5_000_000);
    expect(conn.state).toBe('time-wait');
    expect(server.state).toBe('time-wait');
    await Promise.all([conn.closed, server.closed]);
    await wire.run();
    expect(wire.a.connectionCount + wire.b.connectionCount).toBe(0);
  });

  it('retransmits a lost SYN and lost data on RTO', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80 });
    wire.faults = { loss: 1 };
    const attempt = wire.a.connect({ address: B, port: 80 });
    await wire.run(() => wire.a.stats.timeouts >= 2, 10_000_000);
    wire.faults = {};
    const conn = await wire.until(attempt);
    const server = await wire.until(listener.accept());
    expect(wire.a.stats.retransmits).toBeGreaterThanOrEqual(2);
    wire.faults = { loss: 1 };
    const data = pattern(5000, 3);
    await wire.until(conn.write(data));
    await wire.run(() => wire.a.stats.timeouts >= 4, 60_000_000);
    wire.faults = {};
    const got: number[] = [];
    while (got.length < data.length) {
      const chunk = await wire.until(server.read());
      if (chunk === null) break;
      got.push(...chunk);
    }
    expect(new Uint8Array(got)).toEqual(data);
  });

  it('gives up with ETIMEDOUT after the SYN retries', async () => {
    const wire = new TcpWire({ a: { synRetries: 3 } });
    wire.faults = { loss: 1 };
    const attempt = wire.a.connect({ address: B, port: 80 });
    await expect(wire.until(attempt)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // 1 s + 2 s + 4 s + 8 s of backoff.
    expect(wire.clock.now()).toBe(15_000_000);
    expect(wire.a.connectionCount).toBe(0);
  });

  it('connect timeout and abort signal', async () => {
    const wire = new TcpWire();
    wire.faults = { loss: 1 };
    await expect(
      wire.until(wire.a.connect({ address: B, port: 80, timeout: 2_500_000 })),
    ).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    expect(wire.clock.now()).toBe(2_500_000);
    const controller = new AbortController();
    const attempt = wire.a.connect({ address: B, port: 80, signal: controller.signal });
    controller.abort();
    await expect(attempt).rejects.toMatchObject({ code: 'ECANCELED' });
  });

  it('back-pressure: write waits for buffer space; bufferedAmount counts unacked bytes', async () => {
    const wire = new TcpWire({ a: { sendBuffer: 8192 }, b: { receiveBuffer: 4096 } });
    const listener = wire.b.listen({ port: 80 });
    const conn = await wire.until(wire.a.connect({ address: B, port: 80 }));
    const server = await wire.until(listener.accept());
    let done = false;
    const write = conn.write(pattern(50_000, 4)).then(() => {
      done = true;
    });
    await wire.run(() => false, 1_000_000);
    expect(done).toBe(false);
    expect(conn.bufferedAmount).toBeGreaterThan(40_000);
    const got: number[] = [];
    while (got.length < 50_000) {
      const chunk = await wire.until(server.read(1000));
      if (chunk === null) break;
      expect(chunk.length).toBeLessThanOrEqual(1000);
      got.push(...chunk);
    }
    await wire.until(write);
    expect(firstDifference(new Uint8Array(got), pattern(50_000, 4))).toBe(-1);
  });

  it('EPIPE after end; read returns null after the peer FIN', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80 });
    const conn = await wire.until(wire.a.connect({ address: B, port: 80 }));
    const server = await wire.until(listener.accept());
    await wire.until(conn.end());
    await expect(conn.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'EPIPE' });
    expect(await wire.until(server.read())).toBeNull();
    expect(await server.read()).toBeNull();
  });

  it('rejects bad layer options up front with EINVAL', () => {
    expect(() => new TcpWire({ a: { sendBuffer: 0 } })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => new TcpWire({ b: { receiveBuffer: 1.5 } })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => new TcpWire({ b: { maxGaps: -1 } })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('listen on a used port throws EADDRINUSE', () => {
    const wire = new TcpWire();
    wire.b.listen({ port: 80 });
    expect(() => wire.b.listen({ port: 80 })).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE' }),
    );
  });
});
