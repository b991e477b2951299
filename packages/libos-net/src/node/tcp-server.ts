import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { TcpStream } from '../tcp/tcp-stream.js';
import { TcpDuplex, type TcpSocketAddress } from './tcp-duplex.js';

/**
 * What {@link TcpServer} needs from a listening socket; the TCP core's listener (and
 * `MemoryTcpListener` from `@libos/net/testing`) satisfy it.
 *
 * @example
 * ```ts
 * import type { TcpListenerLike } from '@libos/net/node';
 * import { createMemoryTcpListener } from '@libos/net/testing';
 * const listener: TcpListenerLike = createMemoryTcpListener({ port: 8080 });
 * ```
 */
export interface TcpListenerLike {
  /** The listening port. */
  readonly port: number;
  /** The next connection. */
  accept(): Promise<TcpStream>;
  /** Stops listening; iteration ends. */
  close(): void;
  /** Yields accepted connections until the listener closes. */
  [Symbol.asyncIterator](): AsyncIterator<TcpStream>;
}

/**
 * Options of {@link createTcpServer}, named as `net.createServer`'s.
 *
 * @example
 * ```ts
 * import type { TcpServerOptions } from '@libos/net/node';
 * const options: TcpServerOptions = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
 * ```
 */
export interface TcpServerOptions {
  /** Passed to every {@link TcpDuplex}: keep writing after the peer's FIN. Default false. */
  readonly allowHalfOpen?: boolean;
  /** Start every socket paused. Default false. */
  readonly pauseOnConnect?: boolean;
  /** Disable Nagle's algorithm on every socket. Default false. */
  readonly noDelay?: boolean;
  /** Enable keep-alive probes on every socket. Default false. */
  readonly keepAlive?: boolean;
  /** Idle time before the first keep-alive probe, in ms; 0 means the default (2 h). */
  readonly keepAliveInitialDelay?: number;
  /** Largest chunk one read of a connection asks for. Default 65536. */
  readonly readChunkBytes?: number;
}

/**
 * Events of {@link TcpServer}, as `net.Server`'s.
 *
 * @example
 * ```ts
 * import type { TcpServerEvents } from '@libos/net/node';
 * const onConnection: TcpServerEvents['connection'] = ([socket]) => socket.end();
 * ```
 */
export interface TcpServerEvents {
  /** A connection was accepted. */
  connection: [socket: TcpDuplex];
  /** {@link TcpServer.listen} started accepting. */
  listening: [];
  /** Accepting failed (other than by closing). */
  error: [error: Error];
  /** The server was closed and its last connection ended. */
  close: [];
}

/**
 * A `net.Server`-like server over a libos listener: `listen(listener)` starts
 * accepting, each connection is emitted as a {@link TcpDuplex} on `'connection'`,
 * `close()` stops accepting and emits `'close'` once every connection has closed.
 *
 * @example
 * ```ts
 * import { TcpServer } from '@libos/net/node';
 * const server = new TcpServer({ noDelay: true }, (socket) => socket.pipe(socket));
 * server.listen(listener); // listener: a TcpListenerLike
 * server.close(() => console.log('all connections closed'));
 * ```
 */
export class TcpServer extends EventEmitter<TcpServerEvents> {
  readonly #options: TcpServerOptions;
  readonly #sockets = new Set<TcpDuplex>();
  #listener: TcpListenerLike | undefined;
  #closing = false;

  /**
   * Makes a server that is not listening yet. {@link createTcpServer} does the same.
   *
   * @param options - per-socket options
   * @param onConnection - added as a `'connection'` listener
   */
  constructor(options: TcpServerOptions = {}, onConnection?: (socket: TcpDuplex) => void) {
    super();
    this.#options = options;
    if (onConnection !== undefined) this.on('connection', onConnection);
  }

  /** Whether the server is accepting connections. */
  get listening(): boolean {
    return this.#listener !== undefined && !this.#closing;
  }

  /** Open connections accepted by this server. */
  get connections(): number {
    return this.#sockets.size;
  }

  /**
   * Starts accepting from `listener`.
   *
   * @param listener - a listening socket
   * @param callback - added as a one-time `'listening'` listener
   * @throws Error when the server is already listening.
   */
  listen(listener: TcpListenerLike, callback?: () => void): this {
    if (this.#listener !== undefined) throw new Error('TcpServer is already listening');
    this.#listener = listener;
    this.#closing = false;
    if (callback !== undefined) this.once('listening', callback);
    // 'listening' comes before the first 'connection', as with net.Server.
    process.nextTick(() => {
      this.emit('listening');
      void this.#acceptLoop(listener);
    });
    return this;
  }

  async #acceptLoop(listener: TcpListenerLike): Promise<void> {
    try {
      for await (const stream of listener) {
        if (this.#closing) {
          stream.abort();
          break;
        }
        this.#adopt(stream);
      }
    } catch (e) {
      if (!this.#closing) this.emit('error', e instanceof Error ? e : new Error(String(e)));
    }
  }

  #adopt(stream: TcpStream): void {
    const o = this.#options;
    const socket = new TcpDuplex(stream, {
      allowHalfOpen: o.allowHalfOpen ?? false,
      ...(o.readChunkBytes === undefined ? {} : { readChunkBytes: o.readChunkBytes }),
    });
    if (o.noDelay === true) socket.setNoDelay(true);
    if (o.keepAlive === true) socket.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
    if (o.pauseOnConnect === true) socket.pause();
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#maybeClosed();
    });
    this.emit('connection', socket);
  }

  /** The listening address: port from the listener, address `0.0.0.0`; null when not listening. */
  address(): TcpSocketAddress | null {
    if (!this.listening || this.#listener === undefined) return null;
    return { address: '0.0.0.0', family: 'IPv4', port: this.#listener.port };
  }

  /**
   * Stops accepting; `'close'` follows when every open connection has closed (they are
   * not closed by this; see `node:http`'s `closeAllConnections` or destroy them).
   *
   * @param callback - called on `'close'`, or at once with an error when not listening
   */
  close(callback?: (error?: Error) => void): this {
    if (!this.listening || this.#listener === undefined) {
      if (callback !== undefined) {
        const error = Object.assign(new Error('Server is not running.'), {
          code: 'ERR_SERVER_NOT_RUNNING',
        });
        process.nextTick(() => callback(error));
      }
      return this;
    }
    this.#closing = true;
    if (callback !== undefined) this.once('close', () => callback());
    this.#listener.close();
    this.#maybeClosed();
    return this;
  }

  #maybeClosed(): void {
    if (!this.#closing || this.#sockets.size > 0 || this.#listener === undefined) return;
    this.#listener = undefined;
    process.nextTick(() => this.emit('close'));
  }
}

/**
 * A {@link TcpServer}, in the shape of `net.createServer(options, onConnection)`.
 *
 * @param options - per-socket options
 * @param onConnection - added as a `'connection'` listener
 * @example
 * ```ts
 * import { createTcpServer } from '@libos/net/node';
 * const server = createTcpServer((socket) => socket.end('hello\n'));
 * server.listen(listener); // listener: a TcpListenerLike, e.g. from the TCP layer
 * ```
 */
export function createTcpServer(
  options?: TcpServerOptions | ((socket: TcpDuplex) => void),
  onConnection?: (socket: TcpDuplex) => void,
): TcpServer {
  if (typeof options === 'function') return new TcpServer({}, options);
  return new TcpServer(options, onConnection);
}

/** A {@link TcpServer} that also winds down an `http.Server` fed by it. */
class HttpTcpServer extends TcpServer {
  readonly #http: HttpServer;

  constructor(httpServer: HttpServer, options: TcpServerOptions | undefined) {
    // Like the net.Server inside http.Server: node:http finishes responses after a FIN.
    super({ allowHalfOpen: true, ...options }, (socket) => httpServer.emit('connection', socket));
    this.#http = httpServer;
    // node:http tracks connections (idle list, header and request timeouts) from 'listening'.
    this.once('listening', () => httpServer.emit('listening'));
  }

  override close(callback?: (error?: Error) => void): this {
    const wasListening = this.listening;
    super.close(callback);
    // Closes idle keep-alive connections and stops the timeout checks; the http.Server
    // has no host handle, so it just emits its own 'close'.
    if (wasListening) this.#http.close();
    return this;
  }
}

/**
 * Serves a `node:http` server on a libos listener: every accepted connection is handed
 * to `httpServer` as `'connection'`, and `httpServer` gets `'listening'` so that its
 * connection tracking (idle connections, `headersTimeout`, `requestTimeout`) runs; it is
 * never bound to a host port. Sockets are half-open (`allowHalfOpen: true`) unless
 * `options` say otherwise, as `http.Server` makes its sockets. Closing the returned {@link TcpServer} stops accepting
 * and closes `httpServer`, which closes its idle keep-alive connections; `'close'`
 * follows when the busy ones have finished.
 *
 * @param listener - a listening socket
 * @param httpServer - an unmodified `http.createServer(...)` server, not listening
 * @param options - per-socket options
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { serveHttp } from '@libos/net/node';
 * const app = createServer((req, res) => res.end('hello'));
 * const server = serveHttp(listener, app); // listener: a TcpListenerLike
 * server.close(() => console.log('stopped'));
 * ```
 */
export function serveHttp(
  listener: TcpListenerLike,
  httpServer: HttpServer,
  options?: TcpServerOptions,
): TcpServer {
  return new HttpTcpServer(httpServer, options).listen(listener);
}
