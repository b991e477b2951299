/**
 * An in-memory fake of {@link TcpStream}: two connected ends with bounded buffers, so
 * adapters and applications can be tested without a TCP implementation underneath.
 */
import type { AbortSignalLike } from '@libos/sched';
import { TcpError, type TcpState, type TcpStream } from '../tcp/tcp-stream.js';
import type { Ipv4Address } from '../wire/ipv4-address.js';

/**
 * One end's address and port in {@link MemoryTcpStreamPairOptions}.
 *
 * @example
 * ```ts
 * import type { MemoryTcpEndpoint } from '@libos/net/testing';
 * const server: MemoryTcpEndpoint = { address: 0x0a000002, port: 80 };
 * ```
 */
export interface MemoryTcpEndpoint {
  /** IPv4 address as a uint32. */
  readonly address: Ipv4Address;
  /** Port, 1–65535. */
  readonly port: number;
}

/**
 * Options of {@link createMemoryTcpStreamPair}.
 *
 * @example
 * ```ts
 * import type { MemoryTcpStreamPairOptions } from '@libos/net/testing';
 * const options: MemoryTcpStreamPairOptions = { capacity: 4096 };
 * ```
 */
export interface MemoryTcpStreamPairOptions {
  /**
   * Bytes each direction holds before `write` waits (the sender's send buffer and the
   * receiver's receive buffer together). Default 65536.
   */
  readonly capacity?: number;
  /** The connecting end. Default 10.0.0.1:49152. */
  readonly client?: MemoryTcpEndpoint;
  /** The accepting end. Default 10.0.0.2:80. */
  readonly server?: MemoryTcpEndpoint;
}

const DEFAULT_CAPACITY = 65536;
const DEFAULT_CLIENT: MemoryTcpEndpoint = { address: 0x0a000001, port: 49152 };
const DEFAULT_SERVER: MemoryTcpEndpoint = { address: 0x0a000002, port: 80 };

/** One direction of the connection: bytes in flight plus the FIN flag. */
class Pipe {
  readonly #chunks: Uint8Array[] = [];
  #waiters: (() => void)[] = [];
  length = 0;
  fin = false;

  constructor(readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.length;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.length += chunk.length;
    this.notify();
  }

  /** Removes up to `max` bytes; the caller owns the result (chunks are private copies). */
  take(max: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length === Math.min(max, this.length)) {
      this.#chunks.shift();
      this.length -= first.length;
      this.notify();
      return first;
    }
    const out = new Uint8Array(Math.min(max, this.length));
    let filled = 0;
    while (filled < out.length) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      const n = Math.min(chunk.length, out.length - filled);
      out.set(n === chunk.length ? chunk : chunk.subarray(0, n), filled);
      filled += n;
      if (n === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(n);
    }
    this.length -= filled;
    this.notify();
    return out;
  }

  clear(): void {
    this.#chunks.length = 0;
    this.length = 0;
    this.notify();
  }

  /** Wakes every waiter; they re-check their condition. */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next change; rejects with `ECANCELED` when `signal` aborts first. */
  changed(signal: AbortSignalLike | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal === undefined) {
        this.#waiters.push(resolve);
        return;
      }
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(canceled());
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function canceled(): TcpError {
  return new TcpError('ECANCELED', 'operation aborted by its signal');
}

function checkMicros(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new TcpError('EINVAL', `${name} must be a finite number ≥ 0, got ${value}`);
  }
}

/**
 * One end of an in-memory connection made by {@link createMemoryTcpStreamPair}.
 *
 * Behaviour (the contract {@link describeTcpStream} checks, plus choices of this fake):
 * FIN and ACK are instantaneous, so after `end()` the state is `fin-wait-2` (or
 * `closed` from `close-wait`), and the end that closed first reaches `time-wait`;
 * `closed` resolves once both ends have sent FIN, even with bytes left unread.
 * `abort()` discards both directions: the peer's pending and later calls reject with
 * `ECONNRESET` and its `closed` rejects; this end's calls reject with `ECONNABORTED`
 * and its `closed` resolves (the application asked for it). `bufferedAmount` counts
 * bytes the peer has not read yet.
 *
 * @example
 * ```ts
 * import { createMemoryTcpStreamPair } from '@libos/net/testing';
 * const [client, server] = createMemoryTcpStreamPair();
 * await client.write(new TextEncoder().encode('hi'));
 * console.log(client.bufferedAmount); // 2
 * ```
 */
export class MemoryTcpStream implements TcpStream {
  /** {@inheritDoc TcpStream.localAddress} */
  readonly localAddress: Ipv4Address;
  /** {@inheritDoc TcpStream.localPort} */
  readonly localPort: number;
  /** {@inheritDoc TcpStream.remoteAddress} */
  readonly remoteAddress: Ipv4Address;
  /** {@inheritDoc TcpStream.remotePort} */
  readonly remotePort: number;
  /** {@inheritDoc TcpStream.closed} */
  readonly closed: Promise<void>;
  /** The last value given to {@link MemoryTcpStream.setNoDelay}; initially false. */
  noDelay = false;
  /** The last value given to {@link MemoryTcpStream.setKeepAlive}; initially 0 (off). */
  keepAliveMicros = 0;
  /** The last value given to {@link MemoryTcpStream.setUserTimeout}; initially 0 (off). */
  userTimeoutMicros = 0;

  readonly #inbound: Pipe;
  readonly #outbound: Pipe;
  #peer: MemoryTcpStream | undefined;
  #state: TcpState = 'established';
  #error: TcpError | undefined;
  #ending = false;
  #writeTail: Promise<void> = Promise.resolve();
  #resolveClosed: () => void = () => {};
  #rejectClosed: (error: TcpError) => void = () => {};

  /**
   * Prefer {@link createMemoryTcpStreamPair}, which connects two ends.
   *
   * @param local - this end's address and port
   * @param remote - the peer's address and port
   * @param inbound - capacity of the direction towards this end
   * @param outbound - capacity of the direction away from this end
   */
  private constructor(
    local: MemoryTcpEndpoint,
    remote: MemoryTcpEndpoint,
    inbound: Pipe,
    outbound: Pipe,
  ) {
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.#inbound = inbound;
    this.#outbound = outbound;
    this.closed = new Promise<void>((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // Settling with an error nobody awaits is not an unhandled rejection.
    this.closed.catch(() => {});
  }

  /**
   * Makes two connected ends. Prefer {@link createMemoryTcpStreamPair}.
   *
   * @param options - capacity and addresses
   */
  static pair(options: MemoryTcpStreamPairOptions = {}): [MemoryTcpStream, MemoryTcpStream] {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TcpError('EINVAL', `capacity must be a positive integer, got ${capacity}`);
    }
    const clientEnd = options.client ?? DEFAULT_CLIENT;
    const serverEnd = options.server ?? DEFAULT_SERVER;
    const up = new Pipe(capacity);
    const down = new Pipe(capacity);
    const client = new MemoryTcpStream(clientEnd, serverEnd, down, up);
    const server = new MemoryTcpStream(serverEnd, clientEnd, up, down);
    client.#peer = server;
    server.#peer = client;
    return [client, server];
  }

  /** {@inheritDoc TcpStream.state} */
  get state(): TcpState {
    return this.#state;
  }

  /** {@inheritDoc TcpStream.bufferedAmount} */
  get bufferedAmount(): number {
    return this.#outbound.length;
  }

  /** {@inheritDoc TcpStream.read} */
  async read(maxBytes?: number, signal?: AbortSignalLike): Promise<Uint8Array | null> {
    if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 1)) {
      throw new TcpError('EINVAL', `maxBytes must be a positive integer, got ${maxBytes}`);
    }
    const pipe = this.#inbound;
    for (;;) {
      if (signal?.aborted) throw canceled();
      if (this.#error !== undefined) throw this.#error;
      if (pipe.length > 0) return pipe.take(maxBytes ?? pipe.length);
      if (pipe.fin) return null;
      await pipe.changed(signal);
    }
  }

  /** {@inheritDoc TcpStream.write} */
  write(data: Uint8Array, signal?: AbortSignalLike): Promise<void> {
    if (signal?.aborted) return Promise.reject(canceled());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ending) return Promise.reject(new TcpError('EPIPE', 'write after end()'));
    const copy = data.slice();
    const run = this.#writeTail.then(() => this.#fill(copy, signal));
    this.#writeTail = run.catch(() => {});
    return run;
  }

  async #fill(data: Uint8Array, signal: AbortSignalLike | undefined): Promise<void> {
    const pipe = this.#outbound;
    let offset = 0;
    while (offset < data.length) {
      if (signal?.aborted) throw canceled();
      if (this.#error !== undefined) throw this.#error;
      const n = Math.min(pipe.free, data.length - offset);
      if (n > 0) {
        pipe.push(offset === 0 && n === data.length ? data : data.slice(offset, offset + n));
        offset += n;
      } else {
        await pipe.changed(signal);
      }
    }
  }

  /** {@inheritDoc TcpStream.end} */
  async end(): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ending) return this.#writeTail;
    this.#ending = true;
    await this.#writeTail;
    if (this.#error !== undefined) throw this.#error;
    this.#outbound.fin = true;
    this.#outbound.notify();
    this.#state = this.#inbound.fin ? 'closed' : 'fin-wait-2';
    const peer = this.#peer;
    if (peer !== undefined) peer.#onPeerFin();
    this.#settleIfDone();
  }

  #onPeerFin(): void {
    if (this.#state === 'established') this.#state = 'close-wait';
    else if (this.#state === 'fin-wait-2') this.#state = 'time-wait';
    this.#settleIfDone();
  }

  #settleIfDone(): void {
    if (this.#inbound.fin && this.#outbound.fin) this.#resolveClosed();
  }

  /** {@inheritDoc TcpStream.close} */
  async close(): Promise<void> {
    await this.end();
    await this.closed;
  }

  /** {@inheritDoc TcpStream.abort} */
  abort(): void {
    if (this.#error !== undefined || (this.#inbound.fin && this.#outbound.fin)) return;
    this.#fail(new TcpError('ECONNABORTED', 'connection aborted locally'));
    this.#resolveClosed();
    const peer = this.#peer;
    if (peer !== undefined && peer.#error === undefined) {
      peer.#fail(new TcpError('ECONNRESET', 'connection reset by peer'));
      peer.#rejectClosed(peer.#error ?? new TcpError('ECONNRESET', 'connection reset by peer'));
    }
  }

  /** RFC 9293 §3.10.7.4: a reset flushes the queues and fails every pending call. */
  #fail(error: TcpError): void {
    this.#error = error;
    this.#state = 'closed';
    this.#inbound.clear();
    this.#outbound.clear();
  }

  /** {@inheritDoc TcpStream.setNoDelay} */
  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
  }

  /** {@inheritDoc TcpStream.setKeepAlive} */
  setKeepAlive(idleMicros: number): void {
    checkMicros('idleMicros', idleMicros);
    this.keepAliveMicros = idleMicros;
  }

  /** {@inheritDoc TcpStream.setUserTimeout} */
  setUserTimeout(micros: number): void {
    checkMicros('micros', micros);
    this.userTimeoutMicros = micros;
  }
}

/**
 * Two connected in-memory {@link TcpStream}s, `[client, server]`: what one writes the
 * other reads, with bounded buffers (a full direction makes `write` wait), half-close,
 * and abort (the other end's calls reject with `ECONNRESET`). See
 * {@link MemoryTcpStream} for the exact behaviour.
 *
 * @param options - buffer capacity and the two ends' addresses
 * @example
 * ```ts
 * import { createMemoryTcpStreamPair } from '@libos/net/testing';
 * const [client, server] = createMemoryTcpStreamPair({ capacity: 1024 });
 * await client.write(new Uint8Array([1, 2, 3]));
 * await client.end();
 * console.log(await server.read()); // Uint8Array [1, 2, 3]
 * console.log(await server.read()); // null
 * ```
 */
export function createMemoryTcpStreamPair(
  options?: MemoryTcpStreamPairOptions,
): [client: MemoryTcpStream, server: MemoryTcpStream] {
  return MemoryTcpStream.pair(options);
}
