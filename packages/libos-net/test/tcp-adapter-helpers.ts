/**
 * Shared helpers of the TCP adapter tests: deterministic payloads, bounded readers,
 * and waiting for events with a deadline.
 */
import type { EventEmitter } from 'node:events';
import type { TcpStream } from '@libos/net';

/** Deterministic pseudo-random bytes (xorshift32), different per seed. */
export function pattern(seed: number, length: number): Uint8Array {
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

/** Whether two byte sequences are equal (no giant diff on failure). */
export function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return Buffer.from(x.buffer, x.byteOffset, x.length).equals(
    Buffer.from(y.buffer, y.byteOffset, y.length),
  );
}

/** Reads a TcpStream until FIN, failing beyond `limit` bytes. */
export async function readToEnd(stream: TcpStream, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let c = await stream.read(); c !== null; c = await stream.read()) {
    chunks.push(c);
    total += c.length;
    if (total > limit) throw new Error(`more than ${limit} bytes`);
  }
  return Buffer.concat(chunks);
}

/** Reads exactly `length` bytes from a TcpStream. */
export async function readExactly(stream: TcpStream, length: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const c = await stream.read(length - total);
    if (c === null) throw new Error(`FIN after ${total} of ${length} bytes`);
    chunks.push(c);
    total += c.length;
  }
  return Buffer.concat(chunks);
}

/** Resolves with the arguments of the next `event` on `emitter`, or fails after `ms`. */
export function next(emitter: EventEmitter, event: string, ms = 2000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const on = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/** Lets pending promise callbacks and I/O callbacks run (`rounds` macrotask turns). */
export async function turns(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Tracks whether a promise settled, without awaiting it. */
export function track<T>(p: Promise<T>): { settled(): boolean; readonly promise: Promise<T> } {
  let done = false;
  const promise = p.finally(() => {
    done = true;
  });
  promise.catch(() => {});
  return { settled: () => done, promise };
}
