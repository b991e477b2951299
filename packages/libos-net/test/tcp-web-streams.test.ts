import { TcpError, toWebStreams } from '@libos/net';
import { createMemoryTcpStreamPair } from '@libos/net/testing';
import { describe, expect, it } from 'vitest';
import { pattern, readExactly, readToEnd, sameBytes, track, turns } from './tcp-adapter-helpers.js';

async function drain(readable: ReturnType<typeof toWebStreams>['readable'], limit: number) {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
    total += r.value.length;
    if (total > limit) throw new Error('too much');
  }
  return Buffer.concat(chunks);
}

describe('toWebStreams', () => {
  it('pipes 3 MiB each way at once, byte-verified, and ends with FIN', {
    timeout: 20000,
  }, async () => {
    const [a, b] = createMemoryTcpStreamPair({ capacity: 32768 });
    const wa = toWebStreams(a);
    const wb = toWebStreams(b);
    const up = pattern(1, 3 << 20);
    const down = pattern(2, 3 << 20);
    const source = (data: Uint8Array) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let o = 0; o < data.length; o += 50_000) c.enqueue(data.subarray(o, o + 50_000));
          c.close();
        },
      });
    const [, , gotUp, gotDown] = await Promise.all([
      source(up).pipeTo(wa.writable as unknown as WritableStream<Uint8Array>),
      source(down).pipeTo(wb.writable as unknown as WritableStream<Uint8Array>),
      drain(wb.readable, up.length),
      drain(wa.readable, down.length),
    ]);
    expect(sameBytes(gotUp, up)).toBe(true);
    expect(sameBytes(gotDown, down)).toBe(true);
    await Promise.all([a.closed, b.closed]);
  });

  it('an echo via readable.pipeTo(writable) works on the real host classes', async () => {
    const [client, server] = createMemoryTcpStreamPair();
    const { readable, writable } = toWebStreams(server);
    expect(readable).toBeInstanceOf(ReadableStream);
    expect(writable).toBeInstanceOf(WritableStream);
    const echo = readable.pipeTo(writable);
    await client.write(pattern(3, 100_000));
    await client.end();
    expect(sameBytes(await readToEnd(client, 100_000), pattern(3, 100_000))).toBe(true);
    await echo;
    await server.closed;
  });

  it('is pull-based: nothing is read until the consumer asks', async () => {
    const [a, b] = createMemoryTcpStreamPair({ capacity: 4096 });
    const { readable } = toWebStreams(b, { readChunkBytes: 1000 });
    const writing = track(a.write(pattern(4, 4096 + 10)));
    await turns(20);
    expect(writing.settled()).toBe(false);
    expect(a.bufferedAmount).toBe(4096); // the stream has not read ahead
    const reader = readable.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(first.value?.length).toBe(1000);
    await writing.promise;
    a.abort();
  });

  it('a writer waits for TCP back-pressure and close() sends FIN', async () => {
    const [a, b] = createMemoryTcpStreamPair({ capacity: 1024 });
    const writer = toWebStreams(a).writable.getWriter();
    const pending = track(writer.write(pattern(5, 10_000)));
    await turns(20);
    expect(pending.settled()).toBe(false);
    const got = readExactly(b, 10_000);
    await pending.promise;
    expect(sameBytes(await got, pattern(5, 10_000))).toBe(true);
    await writer.close();
    expect(await b.read()).toBeNull();
  });

  it('cancelling the readable aborts the connection', async () => {
    const [a, b] = createMemoryTcpStreamPair();
    await toWebStreams(a).readable.cancel('done');
    await expect(b.read()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('aborting the writable aborts the connection', async () => {
    const [a, b] = createMemoryTcpStreamPair();
    await toWebStreams(a).writable.abort(new Error('stop'));
    await expect(b.read()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('a peer reset errors the readable with the TcpError', async () => {
    const [a, b] = createMemoryTcpStreamPair();
    const reader = toWebStreams(b).readable.getReader();
    const read = reader.read();
    a.abort();
    const err = await read.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TcpError);
    expect((err as TcpError).code).toBe('ECONNRESET');
  });
});
