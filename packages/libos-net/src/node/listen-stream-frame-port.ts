import { unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { FramePortError } from './frame-port-error.js';
import type { StreamAddress } from './stream-address.js';
import { DEFAULT_STREAM_HOST } from './stream-address.js';
import { StreamFramePort, type StreamFramePortOptions } from './stream-frame-port.js';

/**
 * A listening socket that turns each incoming connection into a {@link StreamFramePort}
 * (e.g. for QEMU started with `-netdev stream,id=n0,server=off,addr.type=unix,…`).
 * Made by {@link listenStreamFramePort}.
 *
 * @example
 * ```ts
 * import { listenStreamFramePort } from '@libos/net/node';
 * const listener = await listenStreamFramePort({ port: 0 });
 * console.log(listener.address); // { port: 41234, host: '127.0.0.1' }
 * const port = await listener.accept(5000);
 * await listener.close();
 * ```
 */
export class StreamFrameListener {
  /** Where the listener is bound (a port-0 request resolved to the actual port). */
  readonly address: StreamAddress;
  readonly #server: Server;
  readonly #options: StreamFramePortOptions;
  readonly #ready: Socket[] = [];
  #takers: ((socket: Socket | undefined) => void)[] = [];
  #closed = false;

  /**
   * Wraps a listening server. Prefer {@link listenStreamFramePort}.
   *
   * @param server - a server already listening
   * @param address - its bound address
   * @param options - options for every accepted port
   */
  constructor(server: Server, address: StreamAddress, options: StreamFramePortOptions) {
    this.#server = server;
    this.address = address;
    this.#options = options;
    server.on('connection', (socket) => {
      const taker = this.#takers.shift();
      if (taker) taker(socket);
      else this.#ready.push(socket);
    });
  }

  /**
   * The next connection as a port: one already waiting, or the next to arrive.
   *
   * @param timeoutMs - longest wait; default: until the listener closes
   * @throws {@link FramePortError} `ACCEPT_TIMEOUT` or `CLOSED`.
   */
  accept(timeoutMs?: number): Promise<StreamFramePort> {
    const waiting = this.#ready.shift();
    if (waiting) return Promise.resolve(this.#wrap(waiting));
    if (this.#closed) return Promise.reject(new FramePortError('CLOSED', 'listener is closed'));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const taker = (socket: Socket | undefined): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (socket === undefined) reject(new FramePortError('CLOSED', 'listener closed'));
        else {
          try {
            resolve(this.#wrap(socket));
          } catch (e) {
            reject(e);
          }
        }
      };
      this.#takers.push(taker);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#takers = this.#takers.filter((t) => t !== taker);
          reject(new FramePortError('ACCEPT_TIMEOUT', `no connection within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /**
   * Stops listening, rejects pending `accept`s, drops connections nobody accepted and
   * removes a unix socket file. Accepted ports stay open. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const taker of this.#takers.splice(0)) taker(undefined);
    for (const socket of this.#ready.splice(0)) socket.destroy();
    // server.close's callback waits for every accepted connection to end; the listening
    // socket itself stops accepting at once, which is all this promises.
    this.#server.close();
    return Promise.resolve();
  }

  #wrap(socket: Socket): StreamFramePort {
    try {
      return new StreamFramePort(socket, this.#options);
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }
}

/**
 * Listens on a unix socket path or a TCP port (host default 127.0.0.1) for peers that
 * speak QEMU's stream framing.
 *
 * @param address - where to listen; a unix path must not exist yet unless
 *   `replaceStaleSocket` is set
 * @param options - options for every accepted port, plus `replaceStaleSocket`
 * @throws {@link FramePortError} `SOCKET_ERROR` when binding fails.
 * @example
 * ```ts
 * import { listenStreamFramePort } from '@libos/net/node';
 * const listener = await listenStreamFramePort({ path: '/tmp/guest0.sock' });
 * const port = await listener.accept(10_000);
 * ```
 */
export function listenStreamFramePort(
  address: StreamAddress,
  options: StreamFramePortOptions & {
    /** Delete an existing file at the unix path first. Default false. */
    readonly replaceStaleSocket?: boolean;
  } = {},
): Promise<StreamFrameListener> {
  const { replaceStaleSocket, ...portOptions } = options;
  if ('path' in address && replaceStaleSocket) {
    try {
      unlinkSync(address.path);
    } catch {
      // nothing to replace
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: false });
    const onError = (e: Error): void => {
      server.close();
      reject(new FramePortError('SOCKET_ERROR', `listen failed: ${e.message}`, e));
    };
    server.once('error', onError);
    const onListening = (): void => {
      server.off('error', onError);
      const bound = server.address();
      const actual: StreamAddress =
        'path' in address
          ? { path: address.path }
          : {
              port: typeof bound === 'object' && bound !== null ? bound.port : address.port,
              host: address.host ?? DEFAULT_STREAM_HOST,
            };
      resolve(new StreamFrameListener(server, actual, portOptions));
    };
    if ('path' in address) server.listen(address.path, onListening);
    else server.listen(address.port, address.host ?? DEFAULT_STREAM_HOST, onListening);
  });
}
