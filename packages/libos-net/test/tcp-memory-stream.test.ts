import {
  createMemoryTcpListener,
  createMemoryTcpStreamPair,
  describeTcpStream,
} from '@libos/net/testing';
import { describe, expect, it } from 'vitest';

describeTcpStream('memory pair (64 KiB)', {
  bufferBound: 65536,
  create: async () => {
    const [a, b] = createMemoryTcpStreamPair();
    return { a, b };
  },
});

describeTcpStream('memory pair (8 KiB)', {
  bufferBound: 8192,
  create: async () => {
    const [a, b] = createMemoryTcpStreamPair({ capacity: 8192 });
    return { a, b };
  },
});

describe('MemoryTcpStream specifics', () => {
  it('models the states of an orderly close and counts unread bytes as buffered', async () => {
    const [a, b] = createMemoryTcpStreamPair({ capacity: 16 });
    await a.write(new Uint8Array(10));
    expect(a.bufferedAmount).toBe(10);
    await a.end();
    expect(a.state).toBe('fin-wait-2');
    expect(b.state).toBe('close-wait');
    await b.end();
    expect(b.state).toBe('closed');
    expect(a.state).toBe('time-wait');
    await Promise.all([a.closed, b.closed]);
    expect((await b.read())?.length).toBe(10);
  });

  it('records option setters and rejects invalid values with EINVAL', () => {
    const [a] = createMemoryTcpStreamPair();
    a.setNoDelay(true);
    a.setKeepAlive(5_000_000);
    a.setUserTimeout(7);
    expect([a.noDelay, a.keepAliveMicros, a.userTimeoutMicros]).toEqual([true, 5_000_000, 7]);
    expect(() => a.setKeepAlive(-1)).toThrow(/EINVAL/);
    expect(() => a.setUserTimeout(Number.NaN)).toThrow(/EINVAL/);
    expect(() => createMemoryTcpStreamPair({ capacity: 0 })).toThrow(/EINVAL/);
  });

  it('a listener queues connections up to its backlog and resets unaccepted ones on close', async () => {
    const listener = createMemoryTcpListener({ port: 7, backlog: 2 });
    const c1 = listener.connect();
    const c2 = listener.connect();
    expect(() => listener.connect()).toThrow(/ECONNREFUSED/);
    const s1 = await listener.accept();
    expect(s1.remotePort).toBe(c1.localPort);
    expect(s1.localPort).toBe(7);
    const iterated = (async () => {
      const seen: number[] = [];
      for await (const s of listener) seen.push(s.remotePort);
      return seen;
    })();
    const c3 = listener.connect();
    await new Promise((r) => setImmediate(r));
    listener.close();
    expect(await iterated).toEqual([c2.localPort, c3.localPort]);
    expect(listener.accepted).toBe(3);
    await expect(listener.accept()).rejects.toThrow(/ECONNABORTED/);
    expect(() => listener.connect()).toThrow(/ECONNREFUSED/);
    const c4 = createMemoryTcpListener({ backlog: 1 });
    const pending = c4.connect();
    c4.close();
    await expect(pending.read()).rejects.toThrow(/ECONNRESET/);
  });
});
