import type { AbortSignalLike } from '@libos/sched';
import { describe, expect, it } from 'vitest';
import { TcpError, type TcpErrorCode, type TcpStream } from '../tcp/tcp-stream.js';

/**
 * Two connected ends of one TCP connection, as {@link describeTcpStream} needs them.
 * Both must be established; the implementation must make progress by itself (e.g. a
 * rig that pumps its stacks on a timer), `settle` only gives it the chance.
 *
 * @example
 * ```ts
 * import { createMemoryTcpStreamPair, type TcpStreamPairUnderTest } from '@libos/net/testing';
 * const [a, b] = createMemoryTcpStreamPair();
 * const pair: TcpStreamPairUnderTest = { a, b };
 * ```
 */
export interface TcpStreamPairUnderTest {
  /** One end (the tests treat it as the client). */
  readonly a: TcpStream;
  /** The other end. */
  readonly b: TcpStream;
  /** Lets the implementation move data (timers, pumps); default: a few microtask turns. */
  readonly settle?: () => Promise<void>;
  /** Called after the test, also when it failed. */
  readonly dispose?: () => Promise<void> | void;
}

/**
 * How {@link describeTcpStream} gets connections.
 *
 * @example
 * ```ts
 * import { createMemoryTcpStreamPair, type TcpStreamFactory } from '@libos/net/testing';
 * const factory: TcpStreamFactory = {
 *   create: async () => {
 *     const [a, b] = createMemoryTcpStreamPair();
 *     return { a, b };
 *   },
 * };
 * ```
 */
export interface TcpStreamFactory {
  /** A fresh, established connection. */
  create(): Promise<TcpStreamPairUnderTest>;
  /**
   * An upper bound on the bytes one direction buffers (send plus receive buffer) before
   * `write` waits; the back-pressure test writes more than this. Default 4 MiB. Some
   * tests write up to 7000 bytes before the peer reads, so each direction must buffer
   * at least 8 KiB.
   */
  readonly bufferBound?: number;
  /** Per-test timeout in milliseconds. Default 10000. */
  readonly timeoutMs?: number;
}

const MIB = 1024 * 1024;

interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(): void;
}
/** The host's `AbortController` (Node.js and browsers have one; this file has no DOM types). */
const HostAbortController = (
  globalThis as unknown as { AbortController: new () => AbortControllerLike }
).AbortController;

/** Deterministic pseudo-random bytes (xorshift32). */
function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Reads until FIN (null), at most `limit` bytes (bounded). */
async function readAll(stream: TcpStream, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) {
    chunks.push(chunk);
    total += chunk.length;
    if (total > limit) throw new Error(`read more than the ${limit} bytes expected`);
  }
  return concat(chunks, total);
}

/** Reads exactly `length` bytes (fails on an early FIN). */
async function readExactly(stream: TcpStream, length: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const chunk = await stream.read(length - total);
    if (chunk === null) throw new Error(`FIN after ${total} of ${length} bytes`);
    chunks.push(chunk);
    total += chunk.length;
  }
  return concat(chunks, total);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Whether two byte arrays are equal (without a huge diff on failure). */
function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The `code` of a rejection that must be a {@link TcpError}. */
async function rejectionCode(p: Promise<unknown>): Promise<TcpErrorCode> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TcpError) return e.code;
    throw new Error(`expected a TcpError, got ${String(e)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): {
  readonly settled: () => boolean;
  readonly promise: Promise<T>;
} {
  let done = false;
  const promise = p.finally(() => {
    done = true;
  });
  promise.catch(() => {});
  return { settled: () => done, promise };
}

async function settle(subject: TcpStreamPairUnderTest, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (subject.settle) await subject.settle();
    else for (let j = 0; j < 20; j++) await Promise.resolve();
  }
}

/**
 * Registers the {@link TcpStream} contract tests (addresses, ordered delivery both
 * ways, `read(maxBytes)`, back-pressure, half-close, `end`/`close`/`closed`, `EPIPE`,
 * abort → `ECONNRESET` at the peer, `ECANCELED` from signals, option setters) for one
 * implementation. Call it inside a test file; every test gets a fresh connection.
 *
 * @param name - describe-block title
 * @param factory - makes connections
 * @example
 * ```ts
 * import { createMemoryTcpStreamPair, describeTcpStream } from '@libos/net/testing';
 * describeTcpStream('memory pair', {
 *   create: async () => {
 *     const [a, b] = createMemoryTcpStreamPair({ capacity: 8192 });
 *     return { a, b };
 *   },
 * });
 * ```
 */
export function describeTcpStream(name: string, factory: TcpStreamFactory): void {
  const timeout = factory.timeoutMs ?? 10000;
  const bound = factory.bufferBound ?? 4 * MIB;

  const withPair = (title: string, body: (subject: TcpStreamPairUnderTest) => Promise<void>) =>
    it(
      title,
      async () => {
        const subject = await factory.create();
        try {
          await body(subject);
        } finally {
          await subject.dispose?.();
        }
      },
      timeout,
    );

  describe(`TcpStream contract: ${name}`, () => {
    withPair('both ends are established and mirror each other’s addresses', async ({ a, b }) => {
      expect(a.state).toBe('established');
      expect(b.state).toBe('established');
      expect(a.remoteAddress).toBe(b.localAddress);
      expect(a.remotePort).toBe(b.localPort);
      expect(b.remoteAddress).toBe(a.localAddress);
      expect(b.remotePort).toBe(a.localPort);
      a.abort();
    });

    withPair('delivers bytes in order in both directions at once', async ({ a, b }) => {
      const up = pattern(1, 300_000);
      const down = pattern(2, 200_000);
      const [gotUp, gotDown] = await Promise.all([
        readAll(b, up.length),
        readAll(a, down.length),
        a.write(up).then(() => a.end()),
        b.write(down).then(() => b.end()),
      ]);
      expect(sameBytes(gotUp, up)).toBe(true);
      expect(sameBytes(gotDown, down)).toBe(true);
      await Promise.all([a.closed, b.closed]);
    });

    withPair('keeps the order of many small writes', async ({ a, b }) => {
      const all = pattern(3, 7000);
      const writes: Promise<void>[] = [];
      for (let offset = 0, size = 1; offset < all.length; offset += size, size = (size % 13) + 1) {
        writes.push(a.write(all.subarray(offset, Math.min(all.length, offset + size))));
      }
      await Promise.all(writes);
      await a.end();
      expect(sameBytes(await readAll(b, all.length), all)).toBe(true);
    });

    withPair('read(maxBytes) returns between 1 and maxBytes bytes', async ({ a, b }) => {
      const data = pattern(4, 1000);
      await a.write(data);
      const first = await b.read(7);
      expect(first).not.toBeNull();
      expect(first?.length).toBeGreaterThanOrEqual(1);
      expect(first?.length).toBeLessThanOrEqual(7);
      const rest = await readExactly(b, data.length - (first?.length ?? 0));
      expect(sameBytes(concat([first ?? new Uint8Array(0), rest], data.length), data)).toBe(true);
      a.abort();
    });

    withPair('the bytes returned by read are the caller’s own copy', async ({ a, b }) => {
      const data = pattern(5, 64);
      await a.write(data);
      data.fill(0); // the sender reusing its buffer must not change what was sent
      const got = await readExactly(b, 64);
      expect(sameBytes(got, pattern(5, 64))).toBe(true);
      a.abort();
    });

    withPair('write waits while the peer does not read (back-pressure)', async (subject) => {
      const { a, b } = subject;
      const big = pattern(6, bound * 2);
      const write = track(a.write(big));
      await settle(subject);
      expect(write.settled()).toBe(false);
      const got = await readExactly(b, big.length);
      await write.promise;
      expect(sameBytes(got, big)).toBe(true);
      a.abort();
    });

    withPair('half-close: the peer reads null, and can still send back', async ({ a, b }) => {
      await a.write(pattern(7, 100));
      await a.end();
      expect(sameBytes(await readAll(b, 100), pattern(7, 100))).toBe(true);
      expect(await b.read()).toBeNull(); // null again after the end
      expect(['close-wait', 'last-ack', 'closed']).toContain(b.state);
      await b.write(pattern(8, 5000));
      await b.end();
      expect(sameBytes(await readAll(a, 5000), pattern(8, 5000))).toBe(true);
      await Promise.all([a.closed, b.closed]);
    });

    withPair('write after end rejects with EPIPE', async ({ a, b }) => {
      await a.end();
      expect(await rejectionCode(a.write(new Uint8Array([1])))).toBe('EPIPE');
      b.abort();
    });

    withPair('close() resolves only after the peer closed too', async (subject) => {
      const { a, b } = subject;
      const closing = track(a.close());
      expect(await b.read()).toBeNull();
      await settle(subject);
      expect(closing.settled()).toBe(false);
      await b.close();
      await closing.promise;
      await a.closed;
      await b.closed;
    });

    withPair('abort: the peer’s pending read rejects with ECONNRESET', async (subject) => {
      const { a, b } = subject;
      const pending = b.read();
      pending.catch(() => {});
      await settle(subject);
      a.abort();
      expect(await rejectionCode(pending)).toBe('ECONNRESET');
      expect(await rejectionCode(b.closed)).toBe('ECONNRESET');
      expect(b.state).toBe('closed');
      expect(a.state).toBe('closed');
    });

    withPair('abort: later calls on both ends fail with a TcpError', async (subject) => {
      const { a, b } = subject;
      await a.write(pattern(9, 100));
      a.abort();
      await expect(
        a.closed.then(
          () => 'settled',
          () => 'settled',
        ),
      ).resolves.toBe('settled');
      expect(await rejectionCode(b.closed)).toBe('ECONNRESET');
      expect(await rejectionCode(b.read())).toBe('ECONNRESET');
      expect(['ECONNRESET', 'EPIPE']).toContain(await rejectionCode(b.write(new Uint8Array(1))));
      expect(await rejectionCode(a.read())).toBeTypeOf('string');
      expect(await rejectionCode(a.write(new Uint8Array(1)))).toBeTypeOf('string');
    });

    withPair('abort: a write blocked by back-pressure rejects', async (subject) => {
      const { a, b } = subject;
      const write = a.write(pattern(10, bound * 2));
      write.catch(() => {});
      await settle(subject);
      b.abort();
      expect(await rejectionCode(write)).toBe('ECONNRESET');
    });

    withPair('a read aborted by its signal rejects with ECANCELED only', async (subject) => {
      const { a, b } = subject;
      const controller = new HostAbortController();
      const pending = b.read(undefined, controller.signal);
      pending.catch(() => {});
      await settle(subject);
      controller.abort();
      expect(await rejectionCode(pending)).toBe('ECANCELED');
      await a.write(pattern(11, 10));
      expect(sameBytes(await readExactly(b, 10), pattern(11, 10))).toBe(true);
      expect(b.state).toBe('established');
      a.abort();
    });

    withPair('an already-aborted signal rejects read and write with ECANCELED', async ({ a }) => {
      const controller = new HostAbortController();
      controller.abort();
      const signal = controller.signal;
      expect(await rejectionCode(a.read(undefined, signal))).toBe('ECANCELED');
      expect(await rejectionCode(a.write(new Uint8Array(1), signal))).toBe('ECANCELED');
      a.abort();
    });

    withPair('option setters accept valid values and data still flows', async ({ a, b }) => {
      a.setNoDelay(true);
      a.setNoDelay(false);
      a.setKeepAlive(60_000_000);
      a.setKeepAlive(0);
      a.setUserTimeout(30_000_000);
      a.setUserTimeout(0);
      await a.write(pattern(12, 50));
      expect(sameBytes(await readExactly(b, 50), pattern(12, 50))).toBe(true);
      a.abort();
    });

    withPair('bufferedAmount drains to 0 once the peer has everything', async (subject) => {
      const { a, b } = subject;
      await a.write(pattern(13, 3000));
      await readExactly(b, 3000);
      for (let i = 0; i < 100 && a.bufferedAmount > 0; i++) await settle(subject, 1);
      expect(a.bufferedAmount).toBe(0);
      a.abort();
    });
  });
}
