/**
 * A passive OPEN (RFC 9293 §3.10.1): the connections a {@link TcpLayer} completes on a
 * listening port wait here until the application accepts them.
 */
import type { AbortSignalLike } from '@libos/sched';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import type { TcpConnection } from './tcp-connection.js';
import { TcpError, type TcpStream } from './tcp-stream.js';

/**
 * Options of {@link TcpLayer.listen}.
 *
 * @example
 * ```ts
 * const listener = layer.listen({ port: 80, backlog: 64 });
 * ```
 */
export interface TcpListenOptions {
  /** Port to listen on, 1..65535. */
  readonly port: number;
  /** Local address; omitted or 0 = every address. */
  readonly address?: Ipv4Address;
  /** Established connections waiting for accept before new SYNs are dropped. Default 128. */
  readonly backlog?: number;
}

/** @internal What a listener needs from its layer. */
export interface TcpListenerHost {
  /** Stops delivering SYNs to `listener`. */
  releaseListener(listener: TcpListener): void;
}

interface AcceptWaiter {
  resolve(connection: TcpConnection): void;
  reject(error: TcpError): void;
  detach(): void;
}

/**
 * A listening TCP port: an async iterable of accepted connections.
 *
 * @example
 * ```ts
 * const listener = layer.listen({ port: 7 });
 * for await (const conn of listener) {
 *   void (async () => {
 *     for (let chunk = await conn.read(); chunk; chunk = await conn.read()) await conn.write(chunk);
 *     await conn.close();
 *   })();
 * }
 * ```
 */
export class TcpListener implements AsyncIterable<TcpStream> {
  /** The listening port. */
  readonly port: number;
  /** The local address, or 0 for every address. */
  readonly address: Ipv4Address;
  /** Most established connections queued for accept. */
  readonly backlog: number;
  /** @internal Connections of this listener in SYN-RECEIVED. */
  synReceived = 0;
  readonly #host: TcpListenerHost;
  readonly #queue: TcpConnection[] = [];
  readonly #waiters: AcceptWaiter[] = [];
  #closed = false;

  /** @hidden Created by {@link TcpLayer.listen}. */
  constructor(host: TcpListenerHost, options: TcpListenOptions) {
    this.#host = host;
    this.port = options.port;
    this.address = options.address ?? 0;
    this.backlog = options.backlog ?? 128;
  }

  /** Established connections waiting for {@link TcpListener.accept}. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Whether {@link TcpListener.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The next established connection, waiting for one if none is queued. Rejects with
   * `EINVAL` once the listener is closed, or `ECANCELED` on `signal`.
   *
   * @param signal Cancels the wait.
   */
  accept(signal?: AbortSignalLike): Promise<TcpStream> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new TcpError('EINVAL', 'listener is closed'));
    if (signal?.aborted) return Promise.reject(new TcpError('ECANCELED', 'accept aborted'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new TcpError('ECANCELED', 'accept aborted'));
      };
      const waiter: AcceptWaiter = {
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Iterates accepted connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<TcpStream> {
    for (;;) {
      let connection: TcpStream;
      try {
        connection = await this.accept();
      } catch (error) {
        if (this.#closed && this.#queue.length === 0) return;
        throw error;
      }
      yield connection;
    }
  }

  /**
   * Stops listening: new SYNs are refused, connections not yet accepted are reset,
   * pending accepts reject with `EINVAL` (iteration ends).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.releaseListener(this);
    for (const connection of this.#queue.splice(0)) connection.abort();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.detach();
      waiter.reject(new TcpError('EINVAL', 'listener is closed'));
    }
  }

  /** @internal Whether one more connection fits the accept queue. */
  hasRoom(): boolean {
    return !this.#closed && this.#queue.length < this.backlog;
  }

  /** @internal A handshake completed. */
  enqueue(connection: TcpConnection): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.detach();
      waiter.resolve(connection);
      return;
    }
    if (this.#closed || this.#queue.length >= this.backlog) {
      connection.abort();
      return;
    }
    this.#queue.push(connection);
  }
}
