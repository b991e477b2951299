/**
 * Outbound NAT for TCP: the gateway intercepts every guest connection attempt (any
 * destination), opens a host `node:net` socket to the mapped destination, and only when
 * that connects completes the guest's handshake and splices the two; a refused,
 * unreachable, timed-out or forbidden destination is answered with RST, so the guest's
 * connect fails with "connection refused", as under slirp.
 */
import { connect, type Socket } from 'node:net';
import type { Stack } from '../../stack/stack.js';
import type { TcpConnectRequest, TcpInterceptor } from '../../tcp/tcp-interceptor.js';
import type { UserNetworkStats } from './host-forward.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { TcpSplice } from './tcp-splice.js';

/**
 * What a {@link TcpNat} needs from its network.
 *
 * @example
 * ```ts
 * const context: TcpNatContext = { gateway, stats, wake, policy, connectTimeoutMs: 10_000 };
 * ```
 */
export interface TcpNatContext {
  /** The gateway stack whose interceptor is served. */
  readonly gateway: Stack;
  /** Counters to update. */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll. */
  readonly wake: () => void;
  /** Address map and restriction. */
  readonly policy: OutboundPolicy;
  /** How long a host connect may take before the guest is refused (ms). */
  readonly connectTimeoutMs: number;
}

/**
 * Serves the gateway's TCP interceptor until closed.
 *
 * @example
 * ```ts
 * const nat = new TcpNat(context);
 * console.log(nat.connections);
 * nat.close();
 * ```
 */
export class TcpNat {
  readonly #context: TcpNatContext;
  readonly #interceptor: TcpInterceptor;
  readonly #splices = new Set<TcpSplice>();
  readonly #connecting = new Map<
    Socket,
    { readonly request: TcpConnectRequest; readonly timer: ReturnType<typeof setTimeout> }
  >();
  #closed = false;

  /** @param context The gateway, counters, wake-up, policy and connect timeout. */
  constructor(context: TcpNatContext) {
    this.#context = context;
    this.#interceptor = context.gateway.interceptTcp({ backlog: 256 });
    void this.#serve();
  }

  /** Host connections connecting or spliced right now. */
  get connections(): number {
    return this.#splices.size + this.#connecting.size;
  }

  /** Stops intercepting; resets every spliced connection and pending host connect. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#interceptor.close();
    for (const [socket, { request, timer }] of this.#connecting) {
      clearTimeout(timer);
      socket.destroy();
      request.refuse();
    }
    this.#connecting.clear();
    this.#context.wake();
    for (const splice of [...this.#splices]) splice.drop();
  }

  async #serve(): Promise<void> {
    for await (const request of this.#interceptor) this.#handle(request);
  }

  #handle(request: TcpConnectRequest): void {
    const { stats, wake, policy, connectTimeoutMs } = this.#context;
    const host = policy.hostAddress(request.localAddress);
    if (host === undefined) {
      stats.natBlocked++;
      request.refuse();
      wake();
      return;
    }
    stats.hostSocketsOpened++;
    const socket = connect({ host, port: request.localPort, allowHalfOpen: true });
    socket.pause();
    const refuse = (): void => {
      if (!this.#connecting.delete(socket)) return;
      clearTimeout(timer);
      socket.destroy();
      stats.natTcpRefused++;
      request.refuse();
      wake();
    };
    const timer = setTimeout(refuse, connectTimeoutMs);
    this.#connecting.set(socket, { request, timer });
    socket.once('error', refuse);
    socket.once('connect', () => {
      if (!this.#connecting.delete(socket)) return;
      clearTimeout(timer);
      socket.off('error', refuse);
      void this.#splice(request, socket);
    });
  }

  async #splice(request: TcpConnectRequest, socket: Socket): Promise<void> {
    const { stats, wake } = this.#context;
    const splice = new TcpSplice(socket, {
      stats,
      wake,
      onEnd: (s) => {
        this.#splices.delete(s);
        if (s.started) stats.natTcpActive--;
      },
    });
    this.#splices.add(splice);
    let stream: Awaited<ReturnType<TcpConnectRequest['accept']>>;
    try {
      const accepting = request.accept();
      wake();
      stream = await accepting;
    } catch {
      // The guest gave up (RST, handshake timeout): close the host side.
      splice.drop();
      return;
    }
    if (splice.ended) {
      stream.abort();
      wake();
      return;
    }
    stats.natTcpConnections++;
    stats.natTcpActive++;
    splice.start(stream);
  }
}
