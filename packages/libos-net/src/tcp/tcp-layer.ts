/**
 * The TCP layer of a stack: demultiplexes segments to connections and listeners, answers
 * segments for closed ports with RST, runs the LISTEN state (with SYN cookies under a
 * SYN flood), hands out ephemeral ports, and drives every connection's timers.
 * Sans-IO: call {@link TcpLayer.poll} at {@link TcpLayer.pollAt}.
 *
 * ```text
 *  IPv4 (protocol 6) ─► input ─► TcpSegment.check ─► parseTcpRepr ─► connection? ─► TcpConnection.segmentArrives
 *                                                                   └► listener? ─► SYN: TcpConnection (SYN-RECEIVED) or SYN cookie
 *                                                                   └► interceptor? ─► SYN: TcpConnectRequest (accept → SYN-RECEIVED, refuse → RST)
 *                                                                   └► neither ───► RST (RFC 9293 §3.10.7.1)
 *  TcpConnection ─► TcpOutput.send ─► IPv4
 * ```
 */
import type { AbortSignalLike, Clock, EntropySource, Micros } from '@libos/sched';
import { randomU32 } from '@libos/sched';
import { type Ipv4Address, readIpv4Address } from '../wire/ipv4-address.js';
import type { CongestionControlFactory } from './congestion-control.js';
import { cubic } from './cubic.js';
import { DeadlineHeap } from './deadline-heap.js';
import { IsnGenerator } from './isn.js';
import { newReno } from './new-reno.js';
import type { RtoEstimatorOptions } from './rto.js';
import { INITIAL_BUFFER_STORAGE } from './send-buffer.js';
import { seqAdd } from './seq.js';
import { SynCookies } from './syn-cookie.js';
import {
  TcpConnection,
  type TcpConnectionConfig,
  type TcpConnectionHost,
} from './tcp-connection.js';
import {
  TcpConnectRequest,
  type TcpInterceptOptions,
  TcpInterceptor,
  type TcpInterceptorHost,
} from './tcp-interceptor.js';
import { TcpListener, type TcpListenerHost, type TcpListenOptions } from './tcp-listener.js';
import { TCP_DEFAULT_MSS } from './tcp-negotiation.js';
import type { TcpOutput, TcpRoute } from './tcp-output.js';
import { resetReplyFor } from './tcp-reset.js';
import {
  emitTcpRepr,
  parseTcpRepr,
  TcpFlags,
  type TcpRepr,
  TcpSegment,
  tcpReprHeaderLength,
} from './tcp-segment.js';
import { createTcpStats, type TcpStats } from './tcp-stats.js';
import { TcpError, type TcpErrorCode, type TcpStream } from './tcp-stream.js';

const { SYN, RST, ACK } = TcpFlags;
/** RFC 6335 §6: the dynamic port range. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
const KIB = 1024;
/** µs before a connection held back by a full queue below is tried again at the latest. */
const BLOCKED_RETRY = 1000;

/**
 * Where initial sequence numbers come from. {@link IsnGenerator} (RFC 6528) by default;
 * tests inject fixed ISNs (for example near 2^32 to exercise the wrap).
 *
 * @example
 * ```ts
 * import type { TcpIsnSource } from '@libos/net';
 * const nearWrap: TcpIsnSource = { isn: () => 0xffff_ff00 };
 * ```
 */
export interface TcpIsnSource {
  /**
   * The ISN for a connection on this 4-tuple at `now`.
   *
   * @param localAddress Our address.
   * @param localPort Our port.
   * @param remoteAddress The peer's address.
   * @param remotePort The peer's port.
   * @param now Current time (µs).
   */
  isn(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    now: Micros,
  ): number;
}

/**
 * Options of {@link TcpLayer}.
 *
 * @example
 * ```ts
 * import { TcpLayer } from '@libos/net';
 * import { SeededEntropy, VirtualClock } from '@libos/sched';
 * const layer = new TcpLayer({ output, entropy: new SeededEntropy(1), clock: new VirtualClock() });
 * ```
 */
export interface TcpLayerOptions {
  /** Where segments go (the IPv4 layer). */
  readonly output: TcpOutput;
  /** Randomness: ISN and SYN-cookie keys, ephemeral ports, timestamp offsets. */
  readonly entropy: EntropySource;
  /** Time for API calls made between polls. */
  readonly clock: Clock;
  /** Congestion control of new connections. Default `'cubic'`. */
  readonly congestionControl?: 'newreno' | 'cubic';
  /** Send buffer per connection, bytes. Default 256 KiB. */
  readonly sendBuffer?: number;
  /** Receive buffer per connection, bytes. Default 256 KiB. */
  readonly receiveBuffer?: number;
  /** MSL in µs; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2). Default 30 s. */
  readonly maxSegmentLifetime?: Micros;
  /** Connections in SYN-RECEIVED per listener before SYN cookies take over. Default 128. */
  readonly synBacklog?: number;
  /**
   * Bytes of send and receive buffer storage all connections may hold. Buffers are
   * created on first use with 4 KiB and grow (doubling) towards `sendBuffer` /
   * `receiveBuffer` as data waits in them; the budget pays for the storage allocated.
   * Over it, buffers stop growing (writes wait, arriving data beyond the storage is
   * dropped and resent by the peer), connects fail with ENOBUFS and SYNs get cookies.
   * Default 256 MiB.
   */
  readonly memoryBudget?: number;
  /** Out-of-order holes kept per connection (ReceiveBuffer `maxGaps`). Default 8. */
  readonly maxGaps?: number;
  /** ISN source; default an {@link IsnGenerator} keyed from `entropy`. */
  readonly isn?: TcpIsnSource;
  /** RTO bounds (RFC 6298); defaults: initial 1 s, min 200 ms, max 60 s. */
  readonly rto?: RtoEstimatorOptions;
  /** Delayed-ACK timeout, µs. Default 40 ms. */
  readonly delayedAck?: Micros;
  /** SYN retransmissions before a connect fails with ETIMEDOUT. Default 6. */
  readonly synRetries?: number;
  /** Data retransmissions before the connection fails with ETIMEDOUT. Default 15. */
  readonly dataRetries?: number;
  /** Offer window scaling, timestamps and SACK on SYNs. Default true. */
  readonly tcpOptions?: boolean;
}

/**
 * Options of {@link TcpLayer.connect}.
 *
 * @example
 * ```ts
 * const conn = await layer.connect({ address: 0x0a000001, port: 80, timeout: 5_000_000 });
 * ```
 */
export interface TcpConnectOptions {
  /** The peer's address. */
  readonly address: Ipv4Address;
  /** The peer's port, 1..65535. */
  readonly port: number;
  /** Our address; default the route's source address. */
  readonly localAddress?: Ipv4Address;
  /** Our port; default an ephemeral port (49152–65535). */
  readonly localPort?: number;
  /** Aborts the attempt (rejects with `ECANCELED`). */
  readonly signal?: AbortSignalLike;
  /** Fails the attempt with `ETIMEDOUT` after this many µs. */
  readonly timeout?: Micros;
}

/**
 * RFC 9293 TCP over a {@link TcpOutput}: listen, connect, demultiplex, timers.
 *
 * @example
 * ```ts
 * import { TcpLayer } from '@libos/net';
 * const layer = new TcpLayer({ output, entropy, clock });
 * const listener = layer.listen({ port: 80 });
 * // the stack: layer.input(src, dst, segment, false, now) for protocol 6; layer.poll(now) at layer.pollAt()
 * ```
 */
export class TcpLayer {
  /** Counters (`netstat -s` style). */
  readonly stats: TcpStats = createTcpStats();
  readonly #output: TcpOutput;
  readonly #clock: Clock;
  readonly #entropy: EntropySource;
  readonly #isn: TcpIsnSource;
  readonly #cookies: SynCookies;
  readonly #cc: CongestionControlFactory;
  readonly #sendBuffer: number;
  readonly #receiveBuffer: number;
  readonly #timeWait: Micros;
  readonly #synBacklog: number;
  readonly #memoryBudget: number;
  readonly #maxGaps: number;
  readonly #rto: RtoEstimatorOptions;
  readonly #delayedAck: Micros;
  readonly #synRetries: number;
  readonly #dataRetries: number;
  readonly #offerOptions: boolean;
  #memoryUsed = 0;
  /**
   * remote address → (localPort · 65536 + remotePort) → connection. Connections that
   * share that key but not the local address (an interceptor's, or a multi-address
   * stack's) are chained through {@link TcpLayer.#sameKey}.
   */
  readonly #table = new Map<number, Map<number, TcpConnection>>();
  /** A connection → the next one with the same table key (rare; usually empty). */
  readonly #sameKey = new Map<TcpConnection, TcpConnection>();
  #interceptor: TcpInterceptor | undefined;
  /** Intercepted SYNs not yet accepted or refused, by 4-tuple. */
  readonly #undecided = new Map<string, TcpConnectRequest>();
  readonly #interceptorHost: TcpInterceptorHost;
  readonly #connections = new Set<TcpConnection>();
  readonly #listeners = new Map<number, TcpListener[]>();
  readonly #passive = new Map<TcpConnection, TcpListener>();
  readonly #connectionHost: TcpConnectionHost;
  readonly #listenerHost: TcpListenerHost;
  /** Connections by earliest timer deadline; entries go stale and are skipped (lazy). */
  readonly #deadlines = new DeadlineHeap<TcpConnection>();
  /** The deadline of each connection's live heap entry. */
  readonly #scheduled = new Map<TcpConnection, Micros>();
  /** Connections whose timers changed since the heap last looked at them. */
  readonly #touched = new Set<TcpConnection>();
  /** Connections that stopped sending because the queue below was full. */
  readonly #blocked = new Set<TcpConnection>();

  /** @param options See {@link TcpLayerOptions}. */
  constructor(options: TcpLayerOptions) {
    this.#output = options.output;
    this.#clock = options.clock;
    this.#entropy = options.entropy;
    this.#isn = options.isn ?? new IsnGenerator(options.entropy);
    this.#cookies = new SynCookies(options.entropy);
    this.#cc = options.congestionControl === 'newreno' ? newReno : cubic;
    this.#sendBuffer = options.sendBuffer ?? 256 * KIB;
    this.#receiveBuffer = options.receiveBuffer ?? 256 * KIB;
    this.#timeWait = 2 * (options.maxSegmentLifetime ?? 30_000_000);
    this.#synBacklog = options.synBacklog ?? 128;
    this.#memoryBudget = options.memoryBudget ?? 256 * KIB * KIB;
    this.#maxGaps = options.maxGaps ?? 8;
    this.#rto = options.rto ?? {};
    this.#delayedAck = options.delayedAck ?? 40_000;
    this.#synRetries = options.synRetries ?? 6;
    this.#dataRetries = options.dataRetries ?? 15;
    this.#offerOptions = options.tcpOptions ?? true;
    // Buffers are created lazily, inside segment processing: validate their sizes now.
    for (const [name, value, min, max] of [
      ['sendBuffer', this.#sendBuffer, 1, 2 ** 30],
      ['receiveBuffer', this.#receiveBuffer, 1, 2 ** 30],
      ['maxGaps', this.#maxGaps, 0, 4096],
      ['synBacklog', this.#synBacklog, 0, 2 ** 20],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new TcpError(
          'EINVAL',
          `${name} must be an integer in [${min}, ${max}], got ${value}`,
        );
      }
    }
    this.#connectionHost = {
      output: this.#output,
      stats: this.stats,
      clock: this.#clock,
      connectionEstablished: (connection) => this.#established(connection),
      connectionReleased: (connection) => this.#released(connection),
      allocate: (bytes) => this.#allocate(bytes),
      free: (bytes) => {
        this.#memoryUsed -= bytes;
      },
      timersChanged: (connection) => {
        this.#touched.add(connection);
      },
      transmitBlocked: (connection) => {
        this.#blocked.add(connection);
      },
    };
    this.#listenerHost = { releaseListener: (listener) => this.#releaseListener(listener) };
    this.#interceptorHost = {
      acceptRequest: (request, syn) => this.#acceptRequest(request, syn),
      refuseRequest: (request, syn) => this.#refuseRequest(request, syn),
      releaseInterceptor: (interceptor) => {
        if (this.#interceptor === interceptor) this.#interceptor = undefined;
      },
    };
  }

  /** Whether a {@link TcpInterceptor} is open (segments for any address are then wanted). */
  get intercepting(): boolean {
    return this.#interceptor !== undefined;
  }

  /**
   * Intercepts connection attempts that no connection or listener takes, whatever
   * their destination address and port (transparent TCP, see {@link TcpInterceptor}).
   * Throws {@link TcpError} `EADDRINUSE` while another interceptor is open, `EINVAL`
   * for a bad backlog.
   *
   * @param options Most undecided requests.
   */
  intercept(options: TcpInterceptOptions = {}): TcpInterceptor {
    if (this.#interceptor !== undefined) {
      throw new TcpError('EADDRINUSE', 'another interceptor is open');
    }
    const interceptor = new TcpInterceptor(this.#interceptorHost, options);
    this.#interceptor = interceptor;
    return interceptor;
  }

  /** Open connections (every state but CLOSED, TIME-WAIT included). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Buffer bytes held by connections (see `memoryBudget`). */
  get memoryUsed(): number {
    return this.#memoryUsed;
  }

  /**
   * Listens on a port (passive OPEN). Throws {@link TcpError} `EADDRINUSE` if a listener
   * already covers it, `EINVAL` for a bad port.
   *
   * @param options Port, optional address and accept backlog.
   */
  listen(options: TcpListenOptions): TcpListener {
    const { port } = options;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TcpError('EINVAL', `port ${port} is outside 1..65535`);
    }
    const address = options.address ?? 0;
    const existing = this.#listeners.get(port) ?? [];
    if (existing.some((l) => l.address === 0 || address === 0 || l.address === address)) {
      throw new TcpError('EADDRINUSE', `port ${port} is already listening`);
    }
    const listener = new TcpListener(this.#listenerHost, { ...options, address });
    existing.push(listener);
    this.#listeners.set(port, existing);
    return listener;
  }

  /**
   * Opens a connection (active OPEN); resolves once ESTABLISHED. Rejects with
   * `ECONNREFUSED` (RST), `ETIMEDOUT` (SYN retries or `timeout`), `ENETUNREACH` (no
   * route), `EADDRINUSE`, `ENOBUFS` (memory budget) or `ECANCELED` (`signal`).
   *
   * @param options Peer address and port, optional local address/port, signal, timeout.
   */
  connect(options: TcpConnectOptions): Promise<TcpStream> {
    const { address, port, signal } = options;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return Promise.reject(new TcpError('EINVAL', `port ${port} is outside 1..65535`));
    }
    if (signal?.aborted) return Promise.reject(new TcpError('ECANCELED', 'connect aborted'));
    const route = this.#output.route(address);
    if (route === undefined) {
      return Promise.reject(new TcpError('ENETUNREACH', 'no route to the destination'));
    }
    const localAddress = options.localAddress ?? route.source;
    let localPort = options.localPort;
    if (localPort === undefined) {
      localPort = this.#ephemeralPort(address, port);
      if (localPort === undefined) {
        return Promise.reject(new TcpError('EADDRNOTAVAIL', 'no free ephemeral port'));
      }
    } else if (this.#lookup(localAddress, localPort, address, port) !== undefined) {
      return Promise.reject(new TcpError('EADDRINUSE', `local port ${localPort} is in use`));
    }
    if (this.#underPressure()) {
      return Promise.reject(new TcpError('ENOBUFS', 'TCP memory budget exhausted'));
    }
    const now = this.#clock.now();
    const connection = this.#create(localAddress, localPort, address, port, route, now, false);
    this.stats.activeOpens++;
    connection.openActive(now, options.timeout);
    if (signal === undefined) return connection.opened.then(() => connection);
    const onAbort = (): void =>
      connection.abortWith(new TcpError('ECANCELED', 'connect aborted'), true);
    signal.addEventListener('abort', onAbort, { once: true });
    return connection.opened.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        return connection;
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        throw error;
      },
    );
  }

  /**
   * One received TCP segment (IPv4 protocol 6). Drops are counted in
   * {@link TcpLayer.stats} by reason.
   *
   * @param source The IPv4 source address.
   * @param destination The IPv4 destination address (ours, or any while intercepting).
   * @param bytes The TCP segment (header + payload); only read during the call.
   * @param checksumVerified True when the device already verified the TCP checksum.
   * @param now Current time (µs).
   */
  input(
    source: Ipv4Address,
    destination: Ipv4Address,
    bytes: Uint8Array,
    checksumVerified: boolean,
    now: Micros,
  ): void {
    const stats = this.stats;
    stats.received++;
    const segment = TcpSegment.check(bytes);
    if (typeof segment === 'string') {
      countDrop(stats, segment);
      return;
    }
    const repr = parseTcpRepr(segment, source, destination, { checksumVerified });
    if (typeof repr === 'string') {
      countDrop(stats, repr);
      return;
    }
    // RFC 9293 §3.9.1 / RFC 1122 §4.2.3.10: never from a broadcast or multicast source.
    if (source === 0xffffffff || source >>> 28 === 0xe || source === 0) {
      countDrop(stats, 'bad-source');
      return;
    }
    const connection = this.#lookup(destination, repr.destinationPort, source, repr.sourcePort);
    if (connection !== undefined) {
      if (
        (repr.flags & (SYN | ACK | RST)) === SYN &&
        connection.acceptsReuse(repr) &&
        (this.#listenerFor(destination, repr.destinationPort) !== undefined ||
          this.#interceptor !== undefined)
      ) {
        // RFC 6191: a new incarnation may take over a 4-tuple in TIME-WAIT.
        connection.releaseForReuse();
      } else {
        connection.segmentArrives(repr, segment.payload, now);
        return;
      }
    }
    const listener = this.#listenerFor(destination, repr.destinationPort);
    if (listener === undefined && this.#interceptor !== undefined) {
      this.#interceptInput(this.#interceptor, repr, source, destination);
      return;
    }
    if (listener === undefined) {
      countDrop(stats, 'no-socket');
      this.#sendReset(destination, source, repr);
      return;
    }
    this.#listenInput(listener, repr, segment.payload, source, destination, now);
  }

  /**
   * An ICMP destination-unreachable (or similar) error quoting one of our segments:
   * `quote` is the inner IPv4 header plus at least 8 bytes of TCP header. Hard errors
   * abort a connection still in SYN-SENT; established connections keep it as a soft
   * error reported if they later time out (RFC 1122 §4.2.3.9, RFC 5927).
   *
   * @param quote Inner IPv4 header + first 8 bytes of our TCP segment.
   * @param code The error as a Node-style code (`EHOSTUNREACH`, `ECONNREFUSED`, ...).
   * @param now Current time (µs).
   */
  icmpError(quote: Uint8Array, code: TcpErrorCode, now: Micros): void {
    void now;
    const quoted = this.#quotedConnection(quote);
    if (quoted === undefined) return;
    quoted.connection.icmpError(quoted.sequence, code);
  }

  /**
   * ICMP "fragmentation needed" (RFC 1191): lowers the MSS of the quoted connection so
   * its segments fit `mtu`, and resends what was in flight.
   *
   * @param quote Inner IPv4 header + first 8 bytes of our TCP segment.
   * @param mtu The next-hop MTU the router reported.
   * @param now Current time (µs).
   */
  icmpFragmentationNeeded(quote: Uint8Array, mtu: number, now: Micros): void {
    const quoted = this.#quotedConnection(quote);
    if (quoted === undefined || !(mtu >= 68)) return;
    quoted.connection.pathMtu(quoted.sequence, mtu, now);
  }

  /**
   * Runs every timer that is due: retransmissions, delayed ACKs, persist and keep-alive
   * probes, TIME-WAIT expiry.
   *
   * @param now Current time (µs).
   */
  poll(now: Micros): void {
    if (this.#blocked.size > 0) {
      // The stack polls its interfaces (draining their queues) before this layer.
      const blocked = [...this.#blocked];
      this.#blocked.clear();
      for (const connection of blocked) {
        if (this.#connections.has(connection)) connection.resumeTransmit(now);
      }
    }
    this.#schedule();
    const heap = this.#deadlines;
    // Entries polled here are rescheduled after the loop, so each is visited once.
    for (let at = heap.peekAt(); at !== undefined && at <= now; at = heap.peekAt()) {
      const connection = heap.peekItem()!;
      heap.pop();
      if (this.#scheduled.get(connection) !== at) continue; // stale entry
      this.#scheduled.delete(connection);
      this.#touched.add(connection);
      const due = connection.pollAt();
      if (due !== undefined && due <= now) connection.poll(now);
    }
    this.#schedule();
  }

  /** When {@link TcpLayer.poll} must next be called (µs), or undefined when no timer runs. */
  pollAt(): Micros | undefined {
    // Held-back segments: try again shortly (the queue below drains as the device sends).
    const retry = this.#blocked.size > 0 ? this.#clock.now() + BLOCKED_RETRY : undefined;
    const timer = this.#earliestTimer();
    return retry !== undefined && (timer === undefined || retry < timer) ? retry : timer;
  }

  #earliestTimer(): Micros | undefined {
    this.#schedule();
    const heap = this.#deadlines;
    for (let at = heap.peekAt(); at !== undefined; at = heap.peekAt()) {
      const connection = heap.peekItem()!;
      heap.pop();
      if (this.#scheduled.get(connection) !== at) continue; // stale entry
      // The entry may be early (its deadline moved later): answer with the real one.
      const real = connection.pollAt();
      if (real === at) {
        heap.push(at, connection);
        return at;
      }
      this.#scheduled.delete(connection);
      if (real === undefined) continue;
      this.#scheduled.set(connection, real);
      heap.push(real, connection);
    }
    return undefined;
  }

  /** Moves connections whose timers changed into the deadline heap. */
  #schedule(): void {
    const touched = this.#touched;
    if (touched.size === 0) return;
    for (const connection of touched) {
      if (!this.#connections.has(connection)) continue;
      const at = connection.pollAt();
      if (at === undefined) continue;
      const current = this.#scheduled.get(connection);
      // A later deadline keeps the earlier entry: it surfaces early and is rescheduled.
      if (current !== undefined && current <= at) continue;
      this.#scheduled.set(connection, at);
      this.#deadlines.push(at, connection);
    }
    touched.clear();
    // Stale entries pile up only when deadlines move earlier; rebuild when they dominate.
    if (this.#deadlines.size > 2 * this.#scheduled.size + 64) {
      this.#deadlines.clear();
      for (const [connection, at] of this.#scheduled) this.#deadlines.push(at, connection);
    }
  }

  // ───────────────────────────── LISTEN (RFC 9293 §3.10.7.2) ───────────────────────

  #listenInput(
    listener: TcpListener,
    repr: TcpRepr,
    payload: Uint8Array,
    source: Ipv4Address,
    destination: Ipv4Address,
    now: Micros,
  ): void {
    const stats = this.stats;
    const flags = repr.flags;
    // First: an RST is ignored.
    if ((flags & RST) !== 0) {
      countDrop(stats, 'rst-to-listener');
      return;
    }
    // Second: an ACK is bad, unless it completes a SYN-cookie handshake.
    if ((flags & ACK) !== 0) {
      if (
        (flags & SYN) === 0 &&
        this.#cookieAck(listener, repr, payload, source, destination, now)
      ) {
        return;
      }
      countDrop(stats, 'ack-to-listener');
      this.#sendReset(destination, source, repr);
      return;
    }
    // Third: a SYN opens a connection in SYN-RECEIVED.
    if ((flags & SYN) === 0) {
      countDrop(stats, 'no-syn');
      return;
    }
    if (!listener.hasRoom()) {
      countDrop(stats, 'accept-queue-full');
      return;
    }
    const route = this.#output.route(source);
    if (route === undefined) {
      countDrop(stats, 'no-route');
      return;
    }
    if (listener.synReceived >= this.#synBacklog || this.#underPressure()) {
      // SYN flood (or memory pressure): answer statelessly (RFC 4987 §3.6).
      this.#sendCookie(repr, source, destination, route.mtu, now);
      return;
    }
    const connection = this.#create(
      destination,
      repr.destinationPort,
      source,
      repr.sourcePort,
      route,
      now,
      true,
    );
    stats.passiveOpens++;
    listener.synReceived++;
    this.#passive.set(connection, listener);
    connection.openPassive(repr, now);
  }

  // ───────────────────────────── interception (tcp-interceptor.ts) ──────────────────

  #interceptInput(
    interceptor: TcpInterceptor,
    repr: TcpRepr,
    source: Ipv4Address,
    destination: Ipv4Address,
  ): void {
    const stats = this.stats;
    const flags = repr.flags;
    if ((flags & RST) !== 0) {
      countDrop(stats, 'rst-to-listener');
      return;
    }
    // Like LISTEN (RFC 9293 §3.10.7.2): an ACK without a connection is answered with RST.
    if ((flags & ACK) !== 0) {
      countDrop(stats, 'ack-to-listener');
      this.#sendReset(destination, source, repr);
      return;
    }
    if ((flags & SYN) === 0) {
      countDrop(stats, 'no-syn');
      return;
    }
    const key = tupleKey(destination, repr.destinationPort, source, repr.sourcePort);
    const waiting = this.#undecided.get(key);
    if (waiting !== undefined) {
      // A retransmitted SYN while the application decides: the newest one is answered.
      countDrop(stats, 'syn-undecided');
      waiting.updateSyn(repr);
      return;
    }
    if (!interceptor.hasRoom(this.#undecided.size)) {
      countDrop(stats, 'intercept-backlog-full');
      return;
    }
    const request = new TcpConnectRequest(this.#interceptorHost, repr, destination, source);
    this.#undecided.set(key, request);
    this.stats.intercepted++;
    interceptor.offer(request);
  }

  #acceptRequest(request: TcpConnectRequest, syn: TcpRepr): Promise<TcpStream> {
    const { localAddress, localPort, remoteAddress, remotePort } = request;
    this.#undecided.delete(tupleKey(localAddress, localPort, remoteAddress, remotePort));
    if (this.#lookup(localAddress, localPort, remoteAddress, remotePort) !== undefined) {
      return Promise.reject(new TcpError('EADDRINUSE', 'the 4-tuple is in use'));
    }
    const route = this.#output.route(remoteAddress);
    if (route === undefined) {
      return Promise.reject(new TcpError('ENETUNREACH', 'no route back to the peer'));
    }
    if (this.#underPressure()) {
      this.#sendReset(localAddress, remoteAddress, syn);
      return Promise.reject(new TcpError('ENOBUFS', 'TCP memory budget exhausted'));
    }
    const now = this.#clock.now();
    const connection = this.#create(
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      route,
      now,
      true,
    );
    this.stats.passiveOpens++;
    connection.openPassive(syn, now);
    return connection.opened.then(() => connection);
  }

  #refuseRequest(request: TcpConnectRequest, syn: TcpRepr): void {
    const { localAddress, localPort, remoteAddress, remotePort } = request;
    this.#undecided.delete(tupleKey(localAddress, localPort, remoteAddress, remotePort));
    this.#sendReset(localAddress, remoteAddress, syn);
  }

  #sendCookie(
    syn: TcpRepr,
    remote: Ipv4Address,
    local: Ipv4Address,
    mtu: number,
    now: Micros,
  ): void {
    const { sequence, mss } = this.#cookies.encode(
      local,
      syn.destinationPort,
      remote,
      syn.sourcePort,
      syn.sequenceNumber,
      Math.min(syn.options.mss ?? TCP_DEFAULT_MSS, mtu - 40),
      now,
    );
    this.stats.synCookiesSent++;
    this.#emit(local, remote, {
      sourcePort: syn.destinationPort,
      destinationPort: syn.sourcePort,
      sequenceNumber: sequence,
      acknowledgmentNumber: seqAdd(syn.sequenceNumber, 1),
      flags: SYN | ACK,
      window: Math.min(this.#receiveBuffer, 0xffff),
      options: { mss: Math.min(mss, mtu - 40) },
      payloadLength: 0,
    });
  }

  #cookieAck(
    listener: TcpListener,
    ack: TcpRepr,
    payload: Uint8Array,
    remote: Ipv4Address,
    local: Ipv4Address,
    now: Micros,
  ): boolean {
    const cookie = seqAdd(ack.acknowledgmentNumber, -1);
    const decoded = this.#cookies.decode(
      local,
      ack.destinationPort,
      remote,
      ack.sourcePort,
      seqAdd(ack.sequenceNumber, -1),
      cookie,
      now,
    );
    if (decoded === undefined || !listener.hasRoom()) return false;
    const route = this.#output.route(remote);
    if (route === undefined || this.#underPressure()) return false;
    const connection = this.#create(
      local,
      ack.destinationPort,
      remote,
      ack.sourcePort,
      route,
      now,
      true,
      cookie,
    );
    this.stats.synCookiesAccepted++;
    this.stats.passiveOpens++;
    listener.synReceived++;
    this.#passive.set(connection, listener);
    connection.openFromCookie(ack, decoded.mss, now);
    if (payload.length > 0 || (ack.flags & TcpFlags.FIN) !== 0) {
      connection.segmentArrives(ack, payload, now);
    }
    return true;
  }

  // ───────────────────────────── helpers ───────────────────────────────────────────

  #create(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    route: TcpRoute,
    now: Micros,
    passive: boolean,
    iss?: number,
  ): TcpConnection {
    const routeMss = Math.max(88, Math.min(route.mtu, 65535) - 40);
    const config: TcpConnectionConfig = {
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      iss: iss ?? this.#isn.isn(localAddress, localPort, remoteAddress, remotePort, now) >>> 0,
      routeMss,
      // TSO: whole MSS-sized pieces the device cuts apart (payload bytes, header excluded).
      offloadPayload:
        route.offloadSegmentLength !== undefined && route.offloadSegmentLength > route.mtu - 20
          ? Math.min(route.offloadSegmentLength, 65535 - 20) - 20
          : 0,
      sendBuffer: this.#sendBuffer,
      receiveBuffer: this.#receiveBuffer,
      maxGaps: this.#maxGaps,
      congestionControl: this.#cc,
      rto: this.#rto,
      timestampOffset: randomU32(this.#entropy),
      delayedAck: this.#delayedAck,
      timeWait: this.#timeWait,
      synRetries: this.#synRetries,
      dataRetries: this.#dataRetries,
      offerOptions: this.#offerOptions,
    };
    const connection = new TcpConnection(this.#connectionHost, config, passive, now);
    let inner = this.#table.get(remoteAddress);
    if (inner === undefined) {
      inner = new Map();
      this.#table.set(remoteAddress, inner);
    }
    const key = localPort * 65536 + remotePort;
    const head = inner.get(key);
    if (head !== undefined) this.#sameKey.set(connection, head);
    inner.set(key, connection);
    this.#connections.add(connection);
    this.#touched.add(connection);
    return connection;
  }

  #lookup(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
  ): TcpConnection | undefined {
    let connection = this.#table.get(remoteAddress)?.get(localPort * 65536 + remotePort);
    while (connection !== undefined && connection.localAddress !== localAddress) {
      connection = this.#sameKey.get(connection);
    }
    return connection;
  }

  #listenerFor(address: Ipv4Address, port: number): TcpListener | undefined {
    const listeners = this.#listeners.get(port);
    if (listeners === undefined) return undefined;
    return listeners.find((l) => l.address === address) ?? listeners.find((l) => l.address === 0);
  }

  /** RFC 6056 §3.3.1-style: a random start, then the first port free for this peer. */
  #ephemeralPort(remoteAddress: Ipv4Address, remotePort: number): number | undefined {
    const start = randomU32(this.#entropy) % EPHEMERAL_COUNT;
    const inner = this.#table.get(remoteAddress);
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
      if (this.#listeners.has(port)) continue;
      if (inner?.has(port * 65536 + remotePort)) continue;
      return port;
    }
    return undefined;
  }

  /** True when a new connection could not get both its initial buffers from the budget. */
  #underPressure(): boolean {
    const initial =
      Math.min(this.#sendBuffer, INITIAL_BUFFER_STORAGE) +
      Math.min(this.#receiveBuffer, INITIAL_BUFFER_STORAGE);
    if (this.#memoryUsed + initial <= this.#memoryBudget) return false;
    countDrop(this.stats, 'memory-budget');
    return true;
  }

  /** Buffers are allocated lazily (first write, first data) and charged to the budget. */
  #allocate(bytes: number): boolean {
    if (this.#memoryUsed + bytes > this.#memoryBudget) return false;
    this.#memoryUsed += bytes;
    return true;
  }

  #established(connection: TcpConnection): void {
    const listener = this.#passive.get(connection);
    if (listener === undefined) return;
    this.#passive.delete(connection);
    listener.synReceived--;
    listener.enqueue(connection);
  }

  #released(connection: TcpConnection): void {
    const inner = this.#table.get(connection.remoteAddress);
    const key = connection.localPort * 65536 + connection.remotePort;
    const next = this.#sameKey.get(connection);
    this.#sameKey.delete(connection);
    const head = inner?.get(key);
    if (head === connection) {
      if (next !== undefined) inner!.set(key, next);
      else {
        inner!.delete(key);
        if (inner!.size === 0) this.#table.delete(connection.remoteAddress);
      }
    } else {
      // Unlink from the middle of a same-key chain.
      let before = head;
      while (before !== undefined && this.#sameKey.get(before) !== connection) {
        before = this.#sameKey.get(before);
      }
      if (before !== undefined) {
        if (next !== undefined) this.#sameKey.set(before, next);
        else this.#sameKey.delete(before);
      }
    }
    this.#connections.delete(connection);
    this.#scheduled.delete(connection);
    this.#touched.delete(connection);
    this.#blocked.delete(connection);
    const listener = this.#passive.get(connection);
    if (listener !== undefined) {
      this.#passive.delete(connection);
      listener.synReceived--;
    }
  }

  #releaseListener(listener: TcpListener): void {
    const listeners = this.#listeners.get(listener.port);
    if (listeners === undefined) return;
    const rest = listeners.filter((l) => l !== listener);
    if (rest.length === 0) this.#listeners.delete(listener.port);
    else this.#listeners.set(listener.port, rest);
  }

  #quotedConnection(
    quote: Uint8Array,
  ): { connection: TcpConnection; sequence: number } | undefined {
    if (quote.length < 20) return undefined;
    const ihl = (quote[0]! & 0x0f) * 4;
    if (ihl < 20 || quote.length < ihl + 8 || quote[9] !== 6) return undefined;
    const local = readIpv4Address(quote, 12);
    const remote = readIpv4Address(quote, 16);
    const localPort = (quote[ihl]! << 8) | quote[ihl + 1]!;
    const remotePort = (quote[ihl + 2]! << 8) | quote[ihl + 3]!;
    const sequence =
      ((quote[ihl + 4]! << 24) |
        (quote[ihl + 5]! << 16) |
        (quote[ihl + 6]! << 8) |
        quote[ihl + 7]!) >>>
      0;
    const connection = this.#lookup(local, localPort, remote, remotePort);
    return connection === undefined ? undefined : { connection, sequence };
  }

  /** RFC 9293 §3.10.7.1: a RST for a segment that belongs to no connection. */
  #sendReset(local: Ipv4Address, remote: Ipv4Address, offending: TcpRepr): void {
    const reply = resetReplyFor(
      offending.flags,
      offending.sequenceNumber,
      offending.acknowledgmentNumber,
      offending.payloadLength,
    );
    if (reply === undefined) return;
    this.stats.resetsSent++;
    this.#emit(local, remote, {
      sourcePort: offending.destinationPort,
      destinationPort: offending.sourcePort,
      sequenceNumber: reply.sequenceNumber,
      acknowledgmentNumber: reply.acknowledgmentNumber,
      flags: reply.flags,
      window: 0,
      options: {},
      payloadLength: 0,
    });
  }

  #emit(local: Ipv4Address, remote: Ipv4Address, repr: TcpRepr): void {
    this.#output.send(local, remote, tcpReprHeaderLength(repr), (segment, checksum) => {
      emitTcpRepr(repr, segment, local, remote, { checksum });
    });
    this.stats.sent++;
  }
}

/** The key of an intercepted SYN's 4-tuple (SYN path only, not per segment). */
function tupleKey(
  local: Ipv4Address,
  localPort: number,
  remote: Ipv4Address,
  remotePort: number,
): string {
  return `${local}:${localPort}:${remote}:${remotePort}`;
}

function countDrop(stats: TcpStats, reason: string): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}
