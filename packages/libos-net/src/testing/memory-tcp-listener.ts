/**
 * An in-memory listener handing out {@link MemoryTcpStream}s: the fake counterpart of
 * the TCP core's listener, for testing servers without a TCP implementation.
 */
import { TcpError } from '../tcp/tcp-stream.js';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import { createMemoryTcpStreamPair, type MemoryTcpStream } from './memory-tcp-stream.js';

/**
 * Options of {@link createMemoryTcpListener}.
 *
 * @example
 * ```ts
 * import type { MemoryTcpListenerOptions } from '@libos/net/testing';
 * const options: MemoryTcpListenerOptions = { port: 8080, backlog: 16 };
 * ```
 */
export interface MemoryTcpListenerOptions {
  /** The listening port. Default 80. */
  readonly port?: number;
  /** The listening address. Default 10.0.0.2. */
  readonly address?: Ipv4Address;
  /** Connections waiting for `accept` before `connect` is refused. Default 128. */
  readonly backlog?: number;
  /** Per-direction buffer capacity of each connection. Default 65536. */
  readonly capacity?: number;
}

const DEFAULT_ADDRESS: Ipv4Address = 0x0a000002;
const CLIENT_ADDRESS: Ipv4Address = 0x0a000001;
const FIRST_EPHEMERAL_PORT = 49152;

/**
 * A listening socket in memory: {@link MemoryTcpListener.connect} makes a connection
 * whose server end `accept()` (or `for await`) returns. Closing the listener ends
 * iteration, rejects pending and later `accept()` calls with `ECONNABORTED`, and resets
 * connections that were never accepted.
 *
 * @example
 * ```ts
 * import { createMemoryTcpListener } from '@libos/net/testing';
 * const listener = createMemoryTcpListener({ port: 8080 });
 * const client = listener.connect();
 * const server = await listener.accept();
 * console.log(server.remotePort === client.localPort); // true
 * listener.close();
 * ```
 */
export class MemoryTcpListener {
  /** The listening port. */
  readonly port: number;
  /** The listening address. */
  readonly address: Ipv4Address;
  readonly #backlog: number;
  readonly #capacity: number | undefined;
  readonly #ready: MemoryTcpStream[] = [];
  #takers: { resolve: (s: MemoryTcpStream) => void; reject: (e: TcpError) => void }[] = [];
  #nextPort = FIRST_EPHEMERAL_PORT;
  #closed = false;
  #accepted = 0;

  /**
   * Prefer {@link createMemoryTcpListener}.
   *
   * @param options - port, address, backlog, capacity
   */
  constructor(options: MemoryTcpListenerOptions = {}) {
    this.port = options.port ?? 80;
    this.address = options.address ?? DEFAULT_ADDRESS;
    this.#backlog = options.backlog ?? 128;
    this.#capacity = options.capacity;
  }

  /** Whether {@link MemoryTcpListener.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many connections `accept` has returned so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /**
   * Opens a connection to this listener and returns its client end.
   *
   * @throws `TcpError` `ECONNREFUSED` when the listener is closed or its backlog is full.
   */
  connect(): MemoryTcpStream {
    if (this.#closed) throw new TcpError('ECONNREFUSED', 'listener is closed');
    if (this.#ready.length >= this.#backlog) {
      throw new TcpError('ECONNREFUSED', 'listen backlog is full');
    }
    const port = this.#nextPort;
    this.#nextPort = port === 65535 ? FIRST_EPHEMERAL_PORT : port + 1;
    const [client, server] = createMemoryTcpStreamPair({
      ...(this.#capacity === undefined ? {} : { capacity: this.#capacity }),
      client: { address: CLIENT_ADDRESS, port },
      server: { address: this.address, port: this.port },
    });
    const taker = this.#takers.shift();
    if (taker === undefined) this.#ready.push(server);
    else {
      this.#accepted++;
      taker.resolve(server);
    }
    return client;
  }

  /** The next connection: one already waiting, or the next to arrive. */
  accept(): Promise<MemoryTcpStream> {
    if (this.#closed) return Promise.reject(new TcpError('ECONNABORTED', 'listener is closed'));
    const waiting = this.#ready.shift();
    if (waiting !== undefined) {
      this.#accepted++;
      return Promise.resolve(waiting);
    }
    return new Promise((resolve, reject) => this.#takers.push({ resolve, reject }));
  }

  /** Stops listening (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#ready.splice(0)) s.abort();
    const takers = this.#takers;
    this.#takers = [];
    for (const t of takers) t.reject(new TcpError('ECONNABORTED', 'listener closed'));
  }

  /** Yields accepted connections until the listener closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<MemoryTcpStream, void, undefined> {
    while (!this.#closed) {
      let stream: MemoryTcpStream;
      try {
        stream = await this.accept();
      } catch (e) {
        if (this.#closed) return;
        throw e;
      }
      yield stream;
    }
  }
}

/**
 * A {@link MemoryTcpListener}: an in-memory stand-in for the TCP core's listener.
 *
 * @param options - port, address, backlog, per-connection capacity
 * @example
 * ```ts
 * import { createMemoryTcpListener } from '@libos/net/testing';
 * const listener = createMemoryTcpListener();
 * (async () => {
 *   for await (const conn of listener) await conn.close();
 * })();
 * await listener.connect().close();
 * listener.close();
 * ```
 */
export function createMemoryTcpListener(options?: MemoryTcpListenerOptions): MemoryTcpListener {
  return new MemoryTcpListener(options);
}
