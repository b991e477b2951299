/**
 * A TCP host port forward: a `node:net` server on the host; each accepted socket opens a
 * libos TCP connection from the gateway stack to the guest and the two are spliced with
 * back-pressure, half-close and resets carried across.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Stack } from '../../stack/stack.js';
import type { TcpStream } from '../../tcp/tcp-stream.js';
import type { BoundHostForward, UserNetworkStats } from './host-forward.js';
import { bindError } from './listen-host.js';
import { type SpliceEnd, TcpSplice } from './tcp-splice.js';

/**
 * What a {@link TcpForward} needs from its network.
 *
 * @example
 * ```ts
 * const context: TcpForwardContext = { gateway, stats, wake: () => loop.wake(), connectTimeoutMicros: 10_000_000 };
 * ```
 */
export interface TcpForwardContext {
  /** The gateway stack the guest connections start from. */
  readonly gateway: Stack;
  /** Counters to update. */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll (after host-side activity). */
  readonly wake: () => void;
  /** How long a connection attempt to the guest may take before the host socket is reset (µs). */
  readonly connectTimeoutMicros: number;
}

/**
 * One forwarded host TCP port. Created listening by {@link TcpForward.listen}; `close()`
 * stops listening, resets every open connection on both sides and waits for the server
 * to close.
 *
 * Mapping: host data → `stream.write` (the host socket is paused until TCP took it);
 * host FIN → `stream.end()`; guest data → `socket.write` (reading pauses until
 * `'drain'`); guest FIN → `socket.end()`; guest RST or a refused / timed-out connect →
 * the host socket is reset (`resetAndDestroy`); a host socket error or a host close
 * while the guest still sends → the guest connection is aborted (RST).
 *
 * @example
 * ```ts
 * const forward = await TcpForward.listen(rule, context);
 * console.log(forward.rule.hostPort);
 * await forward.close();
 * ```
 */
export class TcpForward {
  /** The rule as bound. */
  readonly rule: BoundHostForward;
  readonly #server: Server;
  readonly #context: TcpForwardContext;
  readonly #splices = new Set<TcpSplice>();
  #closed = false;

  private constructor(rule: BoundHostForward, server: Server, context: TcpForwardContext) {
    this.rule = rule;
    this.#server = server;
    this.#context = context;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /**
   * Listens on the rule's host address and port.
   *
   * @param rule The forward (hostPort 0 = ephemeral).
   * @param context The gateway, counters and wake-up.
   * @throws {@link UserNetworkError} `EADDRINUSE`, `EACCES` or `EINVAL` (rejects).
   */
  static listen(rule: BoundHostForward, context: TcpForwardContext): Promise<TcpForward> {
    // allowHalfOpen: a host FIN only half-closes; the guest's reply still flows back.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      const onError = (error: unknown): void => {
        server.close();
        reject(bindError(error, rule));
      };
      server.once('error', onError);
      server.listen({ host: rule.hostAddress, port: rule.hostPort, exclusive: true }, () => {
        server.off('error', onError);
        // Errors on a listening server (rare: EMFILE on accept) must not crash the host.
        server.on('error', () => {});
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : rule.hostPort;
        resolve(new TcpForward({ ...rule, hostPort: port }, server, context));
      });
    });
  }

  /** Host connections currently spliced or connecting. */
  get connections(): number {
    return this.#splices.size;
  }

  /** Stops listening and resets every connection; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const splice of [...this.#splices]) splice.drop();
    await closed;
  }

  #accept(socket: Socket): void {
    const { stats, wake } = this.#context;
    stats.tcpAccepted++;
    // Until connected the socket stays paused (pauseOnConnect); errors end the attempt.
    const splice = new TcpSplice(socket, {
      stats,
      wake,
      onEnd: (s, how) => this.#ended(s, how),
    });
    this.#splices.add(splice);
    if (this.#closed) {
      splice.drop();
      return;
    }
    void this.#connect(splice);
  }

  async #connect(splice: TcpSplice): Promise<void> {
    const { gateway, stats, wake, connectTimeoutMicros } = this.#context;
    let stream: TcpStream;
    try {
      const connecting = gateway.connectTcp({
        address: this.rule.guestAddress,
        port: this.rule.guestPort,
        timeout: connectTimeoutMicros,
      });
      wake();
      stream = await connecting;
    } catch {
      stats.tcpRefused++;
      splice.drop();
      return;
    }
    if (splice.ended) {
      // The host gave up while we were connecting.
      stream.abort();
      wake();
      return;
    }
    stats.tcpActive++;
    splice.start(stream);
  }

  #ended(splice: TcpSplice, how: SpliceEnd): void {
    this.#splices.delete(splice);
    if (!splice.started) return;
    this.#context.stats.tcpActive--;
    if (how === 'guest-reset') this.#context.stats.tcpReset++;
  }
}
