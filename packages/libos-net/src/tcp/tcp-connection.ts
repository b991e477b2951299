/**
 * One TCP connection: the transmission control block (TCB) and its RFC 9293 §3.10
 * event processing (OPEN, SEND, RECEIVE, CLOSE, ABORT, SEGMENT ARRIVES, timeouts).
 * Sans-IO: segments go out through the layer's {@link TcpOutput}; timers are deadlines
 * the layer polls.
 *
 * ```text
 *  send sequence space (RFC 9293 §3.3.1)            receive sequence space
 *
 *     SND.UNA      SND.NXT   SND.MAX   SND.UNA+SND.WND      RCV.NXT        right edge
 *  ───────┼──────────┼─────────┼───────────┼──────      ───────┼────────────────┼─────
 *   acked │ in flight│ (rewound│  usable   │              read │ window (never  │
 *         │          │ by RTO) │           │                   │  shrinks)      │
 *         └── SendBuffer starts at bufferSeq (SND.UNA, or ISS+1 before the SYN is ACKed)
 * ```
 */
import type { AbortSignalLike, Clock, Micros } from '@libos/sched';
import { waitInLine } from '../cancellable-wait.js';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import { ChallengeAckLimiter } from './challenge-ack-limiter.js';
import type { CongestionControl, CongestionControlFactory } from './congestion-control.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { RtoEstimator, type RtoEstimatorOptions } from './rto.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { INITIAL_BUFFER_STORAGE, SendBuffer } from './send-buffer.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';
import { segmentAcceptable } from './tcp-acceptability.js';
import { clampPeerMss, windowScaleFor } from './tcp-negotiation.js';
import type { TcpOptions, TcpSackBlock } from './tcp-options.js';
import type { TcpOutput } from './tcp-output.js';
import { emitTcpRepr, TcpFlags, type TcpRepr, tcpReprHeaderLength } from './tcp-segment.js';
import type { TcpStats } from './tcp-stats.js';
import { TcpError, type TcpErrorCode, type TcpState, type TcpStream } from './tcp-stream.js';

const { FIN, SYN, RST, PSH, ACK } = TcpFlags;
const EMPTY = new Uint8Array(0);
/** RFC 1122 §4.2.3.6 / Linux: probes before a silent peer is declared dead. */
const KEEPALIVE_PROBES = 9;
/** Linux tcp_keepalive_intvl. */
const KEEPALIVE_INTERVAL: Micros = 75_000_000;
/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid; we only compare within it. */
const TS_HALF_RANGE = 0x80000000;

/** @internal What a connection needs from the {@link TcpLayer} that owns it. */
export interface TcpConnectionHost {
  /** Where segments go. */
  readonly output: TcpOutput;
  /** Layer counters. */
  readonly stats: TcpStats;
  /** Time for API calls made between polls. */
  readonly clock: Clock;
  /** The connection reached ESTABLISHED (listener queue / connect resolution). */
  connectionEstablished(connection: TcpConnection): void;
  /** The connection reached CLOSED: forget it. */
  connectionReleased(connection: TcpConnection): void;
  /** Reserves `bytes` of buffer memory from the layer's budget; false when exhausted. */
  allocate(bytes: number): boolean;
  /** Returns `bytes` reserved with {@link TcpConnectionHost.allocate}. */
  free(bytes: number): void;
  /** A timer deadline of `connection` changed: its `pollAt()` may differ. */
  timersChanged(connection: TcpConnection): void;
  /** `connection` could not send (the queue below was full): resume it on the next poll. */
  transmitBlocked(connection: TcpConnection): void;
}

/** @internal Parameters of one connection, chosen by the layer. */
export interface TcpConnectionConfig {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
  /** Initial send sequence number (RFC 6528). */
  readonly iss: number;
  /** Route MTU − 40: the MSS we announce and the cap on what we send. */
  readonly routeMss: number;
  /**
   * Payload bytes one segment may carry when the device segments it (TSO), or 0
   * without TSO. Used only while the send MSS equals `routeMss`, since the device cuts
   * at the route's MTU.
   */
  readonly offloadPayload: number;
  readonly sendBuffer: number;
  readonly receiveBuffer: number;
  readonly maxGaps: number;
  readonly congestionControl: CongestionControlFactory;
  readonly rto: RtoEstimatorOptions;
  /** Random offset of our timestamp clock (RFC 7323 §5.4). */
  readonly timestampOffset: number;
  /** Delayed-ACK timeout (RFC 1122 §4.2.3.2: < 0.5 s). */
  readonly delayedAck: Micros;
  /** TIME-WAIT duration, 2·MSL. */
  readonly timeWait: Micros;
  /** Retransmissions of a SYN before giving up. */
  readonly synRetries: number;
  /** Retransmissions of data before giving up (RFC 1122 §4.2.3.5 R2). */
  readonly dataRetries: number;
  /** Whether to offer window scaling, timestamps and SACK on our SYN. */
  readonly offerOptions: boolean;
}

interface Reader {
  readonly max: number;
  resolve(data: Uint8Array | null): void;
  reject(error: TcpError): void;
}

interface Writer {
  readonly data: Uint8Array;
  offset: number;
  resolve(): void;
  reject(error: TcpError): void;
}

function settleLater<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: TcpError) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: TcpError) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The rejection is delivered to whoever awaits; never reported as unhandled.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function earliest(a: Micros | undefined, b: Micros | undefined): Micros | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/**
 * One TCP connection (a TCB) as created by {@link TcpLayer.connect} or accepted from a
 * {@link TcpListener}; implements {@link TcpStream}. Beyond the stream contract it
 * exposes read-only diagnostics (RTO, congestion window, sequence variables).
 *
 * @example
 * ```ts
 * const conn = await layer.connect({ address: server, port: 80 });
 * await conn.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
 * await conn.end();
 * for (let chunk = await conn.read(); chunk; chunk = await conn.read()) console.log(chunk.length);
 * ```
 */
export class TcpConnection implements TcpStream {
  /** Our address. */
  readonly localAddress: Ipv4Address;
  /** Our port. */
  readonly localPort: number;
  /** The peer's address. */
  readonly remoteAddress: Ipv4Address;
  /** The peer's port. */
  readonly remotePort: number;
  /**
   * Settles when the connection is closed for its user: resolves after a clean close
   * (both FINs exchanged — the layer may still hold the 4-tuple in TIME-WAIT for
   * 2·MSL), rejects with its error.
   */
  readonly closed: Promise<void>;

  readonly #host: TcpConnectionHost;
  readonly #config: TcpConnectionConfig;
  #state: TcpState = 'closed';
  readonly #passive: boolean;

  // RFC 9293 §3.3.1 send sequence variables; SND.MAX is the highest sequence number sent.
  readonly #iss: number;
  #sndUna: number;
  #sndNxt: number;
  #sndMax: number;
  #sndWnd = 0;
  #sndWl1 = 0;
  #sndWl2 = 0;
  #maxSndWnd = 0;
  #sndShift = 0;
  #rcvShift = 0;
  #wsOk = false;
  /** Allocated on the first write (an idle or half-open connection holds no buffers). */
  #sendBuffer: SendBuffer | undefined;
  #bufferSeq: number;
  #finQueued = false;
  #finSeq = 0;

  // Receive sequence variables; #rcvEdge is the right window edge advertised so far.
  #irs = 0;
  #rcvNxt = 0;
  #rcvEdge = 0;
  /** Allocated when the first data arrives. */
  #receiveBuffer: ReceiveBuffer | undefined;
  #remoteFin: number | undefined;
  #finReceived = false;
  #largestReceived = 0;

  // Negotiated options.
  #sendMss: number;
  #sackOk = false;
  #tsOk = false;
  #tsRecent = 0;
  #tsRecentValid = false;
  #lastAckSent = 0;

  // Timers (absolute µs deadlines).
  // Timer deadlines. Every change tells the layer (its deadline heap), so a stack with
  // many idle connections never scans them all.
  #rtxAtValue: Micros | undefined;
  #persistAtValue: Micros | undefined;
  #ackAtValue: Micros | undefined;
  #closeAtValue: Micros | undefined;
  #keepAliveAtValue: Micros | undefined;
  #connectDeadlineValue: Micros | undefined;
  get #rtxAt(): Micros | undefined {
    return this.#rtxAtValue;
  }
  set #rtxAt(at: Micros | undefined) {
    if (at === this.#rtxAtValue) return;
    this.#rtxAtValue = at;
    this.#host.timersChanged(this);
  }
  get #persistAt(): Micros | undefined {
    return this.#persistAtValue;
  }
  set #persistAt(at: Micros | undefined) {
    if (at === this.#persistAtValue) return;
    this.#persistAtValue = at;
    this.#host.timersChanged(this);
  }
  get #ackAt(): Micros | undefined {
    return this.#ackAtValue;
  }
  set #ackAt(at: Micros | undefined) {
    if (at === this.#ackAtValue) return;
    this.#ackAtValue = at;
    this.#host.timersChanged(this);
  }
  get #closeAt(): Micros | undefined {
    return this.#closeAtValue;
  }
  set #closeAt(at: Micros | undefined) {
    if (at === this.#closeAtValue) return;
    this.#closeAtValue = at;
    this.#host.timersChanged(this);
  }
  get #keepAliveAt(): Micros | undefined {
    return this.#keepAliveAtValue;
  }
  set #keepAliveAt(at: Micros | undefined) {
    if (at === this.#keepAliveAtValue) return;
    this.#keepAliveAtValue = at;
    this.#host.timersChanged(this);
  }
  get #connectDeadline(): Micros | undefined {
    return this.#connectDeadlineValue;
  }
  set #connectDeadline(at: Micros | undefined) {
    if (at === this.#connectDeadlineValue) return;
    this.#connectDeadlineValue = at;
    this.#host.timersChanged(this);
  }

  readonly #rto: RtoEstimator;
  #retries = 0;
  #persistBackoff = 0;
  #probesUnanswered = 0;
  #rttSeq: number | undefined;
  #rttStart = 0;
  /** Our timestamp clock when the retransmission timer last fired. */
  #tsAtTimeout: number | undefined;
  #cc: CongestionControl;
  #dupAcks = 0;
  #inRecovery = false;
  #recover: number;
  #highRxt: number;
  /** Created when SACK information first arrives: idle connections never pay for it. */
  #sack: SackScoreboard | undefined;
  get #scoreboard(): SackScoreboard {
    if (this.#sack === undefined) {
      this.#sack = new SackScoreboard();
      this.#sack.reset(this.#sndUna);
    }
    return this.#sack;
  }
  #ackPending = 0;
  #ackNow = false;
  readonly #challenge = new ChallengeAckLimiter();
  #softError: TcpErrorCode | undefined;

  // User interface.
  readonly #readers: Reader[] = [];
  readonly #writers: Writer[] = [];
  #endRequested = false;
  #closeRequested = false;
  readonly #endWaiters: (() => void)[] = [];
  #error: TcpError | undefined;
  readonly #closedSettle: { resolve: (v: undefined) => void; reject: (e: TcpError) => void };
  readonly #openedSettle: { resolve: (v: undefined) => void; reject: (e: TcpError) => void };
  /** @internal Resolves on ESTABLISHED, rejects when the attempt fails. */
  readonly opened: Promise<undefined>;
  #released = false;
  #noDelay = false;
  #keepAliveIdle: Micros = 0;
  #keepAliveProbes = 0;
  #lastReceivedAt: Micros;
  #userTimeout: Micros = 0;
  #unackedSince: Micros | undefined;
  #lastDataSentAt: Micros | undefined;

  /** @hidden Created by {@link TcpLayer.connect} or a {@link TcpListener}. */
  constructor(host: TcpConnectionHost, config: TcpConnectionConfig, passive: boolean, now: Micros) {
    this.#host = host;
    this.#config = config;
    this.#passive = passive;
    this.localAddress = config.localAddress;
    this.localPort = config.localPort;
    this.remoteAddress = config.remoteAddress;
    this.remotePort = config.remotePort;
    this.#iss = config.iss;
    this.#sndUna = config.iss;
    this.#sndNxt = config.iss;
    this.#sndMax = config.iss;
    this.#bufferSeq = seqAdd(config.iss, 1);
    this.#recover = config.iss;
    this.#highRxt = config.iss;
    this.#sendMss = clampPeerMss(undefined, config.routeMss);
    this.#rto = new RtoEstimator(config.rto);
    this.#cc = config.congestionControl(this.#sendMss);
    this.#lastReceivedAt = now;
    const closed = settleLater<undefined>();
    this.closed = closed.promise;
    this.#closedSettle = closed;
    const opened = settleLater<undefined>();
    this.opened = opened.promise;
    this.#openedSettle = opened;
  }

  /** Current RFC 9293 state. */
  get state(): TcpState {
    return this.#state;
  }

  /** Bytes written but not yet acknowledged by the peer (including writes still waiting for buffer space). */
  get bufferedAmount(): number {
    let waiting = 0;
    for (const w of this.#writers) waiting += w.data.length - w.offset;
    return this.#sendLength() + waiting;
  }

  /** Bytes received in order and not yet read. */
  get readableLength(): number {
    return this.#receiveBuffer?.readable ?? 0;
  }

  /** The retransmission timeout now in force (RFC 6298), µs. */
  get rto(): Micros {
    return this.#rto.rto;
  }

  /** Smoothed round-trip time (RFC 6298), µs; undefined before the first sample. */
  get srtt(): Micros | undefined {
    return this.#rto.srtt;
  }

  /** The congestion window in bytes. */
  get congestionWindow(): number {
    return this.#cc.cwnd;
  }

  /** The send MSS in use (peer's MSS option clamped to the route). */
  get mss(): number {
    return this.#sendMss;
  }

  /** The peer's current window in bytes (SND.WND, scaled). */
  get sendWindow(): number {
    return this.#sndWnd;
  }

  /** Whether window scaling, timestamps and SACK were negotiated on the SYN exchange. */
  get negotiated(): {
    /** Window scaling (RFC 7323 §2) is in use. */
    readonly windowScale: boolean;
    /** Timestamps (RFC 7323 §3) are in use. */
    readonly timestamps: boolean;
    /** SACK (RFC 2018) is in use. */
    readonly sack: boolean;
  } {
    return {
      windowScale: this.#wsOk,
      timestamps: this.#tsOk,
      sack: this.#sackOk,
    };
  }

  // ───────────────────────────── user calls (RFC 9293 §3.10.1–§3.10.6) ─────────────

  /**
   * The next received bytes (a copy), at most `maxBytes`; `null` after the peer's FIN
   * once everything was read. Rejects with the connection's error or `ECANCELED`.
   *
   * @param maxBytes Largest chunk to return (default: everything readable).
   * @param signal Cancels the wait.
   */
  read(maxBytes?: number, signal?: AbortSignalLike): Promise<Uint8Array | null> {
    const max = maxBytes ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1) || (maxBytes !== undefined && !Number.isInteger(maxBytes))) {
      return Promise.reject(new TcpError('EINVAL', `maxBytes must be an integer ≥ 1, got ${max}`));
    }
    if (this.#readers.length === 0) {
      const ready = this.#tryRead(max);
      if (ready !== undefined) return ready;
    }
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    return waitInLine<Uint8Array | null, Reader>(
      this.#readers,
      signal,
      () => cancelled(signal),
      (resolve, reject) => ({ max, resolve, reject }),
    );
  }

  /**
   * Queues `data`; resolves once all of it is in the send buffer (back-pressure).
   * Rejects with `EPIPE` after {@link TcpConnection.end}, or with the connection's error.
   *
   * @param data Bytes to send (copied into the send buffer).
   * @param signal Cancels the wait for buffer space; bytes already buffered stay queued.
   */
  write(data: Uint8Array, signal?: AbortSignalLike): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#endRequested || !this.#writable()) {
      return Promise.reject(new TcpError('EPIPE', `cannot write in state ${this.#state}`));
    }
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    const buffer = this.#allocateSendBuffer();
    if (buffer === undefined) {
      return Promise.reject(new TcpError('ENOBUFS', 'TCP memory budget exhausted'));
    }
    let offset = 0;
    if (this.#writers.length === 0) offset = buffer.write(data);
    const now = this.#host.clock.now();
    if (offset > 0) this.#transmit(now);
    if (offset === data.length) return Promise.resolve();
    return waitInLine<void, Writer>(
      this.#writers,
      signal,
      () => cancelled(signal),
      (resolve, reject) => ({ data, offset, resolve: () => resolve(), reject }),
    );
  }

  /** Sends FIN after all queued data (half-close); resolves once the FIN is queued. */
  end(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (!this.#endRequested) {
      this.#endRequested = true;
      this.#maybeQueueFin(this.#host.clock.now());
    }
    if (this.#finQueued || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  /** {@link TcpConnection.end}, then resolves once the connection is fully closed (or failed). */
  async close(): Promise<void> {
    this.#closeRequested = true;
    try {
      await this.end();
      if (this.#state === 'fin-wait-2')
        this.#closeAt ??= this.#host.clock.now() + this.#config.timeWait;
      await this.closed;
    } catch {
      // close() reports completion, not the error; `closed` carries it.
    }
  }

  /** Sends RST (in synchronized states) and drops everything queued (RFC 9293 §3.10.5). */
  abort(): void {
    this.abortWith(new TcpError('ECONNABORTED', 'connection aborted locally'), false);
  }

  /** Disables (true) or enables Nagle's algorithm (RFC 896). */
  setNoDelay(noDelay: boolean): void {
    this.#noDelay = noDelay;
    if (noDelay) this.#transmit(this.#host.clock.now());
  }

  /**
   * Sends keep-alive probes after `idleMicros` of silence, then every
   * min(idle, 75 s); 9 unanswered probes fail the connection with `ETIMEDOUT`.
   * 0 disables.
   *
   * @param idleMicros Idle time before the first probe (µs).
   */
  setKeepAlive(idleMicros: number): void {
    this.#keepAliveIdle = Math.max(0, idleMicros);
    this.#keepAliveProbes = 0;
    this.#armKeepAlive();
  }

  /**
   * Fails the connection with `ETIMEDOUT` when sent data stays unacknowledged this long
   * (RFC 5482 semantics, local only). 0 disables.
   *
   * @param micros The user timeout (µs).
   */
  setUserTimeout(micros: number): void {
    this.#userTimeout = Math.max(0, micros);
  }

  // ───────────────────────────── layer calls ───────────────────────────────────────

  /** @internal Active OPEN (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
  openActive(now: Micros, connectTimeout: Micros | undefined): void {
    this.#state = 'syn-sent';
    this.#rcvShift = this.#config.offerOptions ? windowScaleFor(this.#config.receiveBuffer) : 0;
    if (connectTimeout !== undefined) this.#connectDeadline = now + connectTimeout;
    this.#sendSyn(now);
  }

  /** @internal Passive OPEN meets a SYN (RFC 9293 §3.10.7.2): send SYN-ACK, enter SYN-RECEIVED. */
  openPassive(syn: TcpRepr, now: Micros): void {
    this.#state = 'syn-received';
    this.#acceptPeerSyn(syn);
    this.#sendSyn(now);
  }

  /**
   * @internal A connection restored from a valid SYN cookie: the handshake completed
   * without state, so no window scaling, timestamps or SACK (they were not encoded).
   */
  openFromCookie(ack: TcpRepr, mss: number, now: Micros): void {
    this.#irs = seqAdd(ack.sequenceNumber, -1);
    this.#rcvNxt = ack.sequenceNumber;
    this.#sendMss = clampPeerMss(mss, this.#config.routeMss);
    this.#cc = this.#config.congestionControl(this.#sendMss);
    this.#sndUna = ack.acknowledgmentNumber;
    this.#sndNxt = this.#sndUna;
    this.#sndMax = this.#sndUna;
    this.#bufferSeq = this.#sndUna;
    // What the stateless SYN-ACK advertised (unscaled: no window scaling with cookies).
    this.#rcvEdge = seqAdd(this.#rcvNxt, Math.min(this.#receiveFree(), 0xffff));
    this.#sndWnd = ack.window;
    this.#maxSndWnd = ack.window;
    this.#sndWl1 = ack.sequenceNumber;
    this.#sndWl2 = ack.acknowledgmentNumber;
    this.#state = 'syn-received';
    this.#establish(now);
  }

  /** @internal Aborts with `error`; `reportAsFailure` rejects `closed` with it. */
  abortWith(error: TcpError, reportAsFailure: boolean): void {
    if (this.#state === 'closed') return;
    if (this.#synchronized() || this.#state === 'syn-received') {
      // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
      this.#sendControl(RST, this.#sndMax, this.#host.clock.now());
      this.#host.stats.resetsSent++;
    }
    this.#terminate(error, reportAsFailure);
  }

  /** @internal Whether a SYN for this 4-tuple may reopen it from TIME-WAIT (RFC 6191). */
  acceptsReuse(syn: TcpRepr): boolean {
    if (this.#state !== 'time-wait') return false;
    const ts = syn.options.timestamps;
    if (this.#tsOk && ts !== undefined) return seqGt(ts.value, this.#tsRecent);
    return seqGt(syn.sequenceNumber, this.#rcvNxt);
  }

  /** @internal Ends TIME-WAIT early because a new incarnation takes the 4-tuple. */
  releaseForReuse(): void {
    this.#terminate(undefined, false);
  }

  /** @internal An ICMP error about a segment we sent (RFC 5927, RFC 1122 §4.2.3.9). */
  icmpError(sequence: number, code: TcpErrorCode): void {
    // RFC 5927 §4.1: only for a sequence number we have sent and not had acknowledged.
    if (this.#state === 'syn-sent') {
      if (sequence !== this.#iss) return;
      // Hard errors abort a connection that is not yet synchronized (RFC 1122 §4.2.3.9).
      this.#terminate(new TcpError(code, 'ICMP error during the handshake'), true);
      return;
    }
    if (seqLt(sequence, this.#sndUna) || seqGe(sequence, this.#sndMax)) return;
    // Soft error: remembered and reported if the connection later times out.
    this.#softError = code;
  }

  /** @internal ICMP fragmentation needed: lower the MSS to fit `mtu` (RFC 1191 §6.3). */
  pathMtu(sequence: number, mtu: number, now: Micros): void {
    if (seqLt(sequence, this.#sndUna) || seqGe(sequence, this.#sndMax)) return;
    const mss = Math.max(88, mtu - 40);
    if (mss >= this.#sendMss) return;
    this.#sendMss = mss;
    // Resend what was lost with the smaller segments.
    this.#sndNxt = this.#sndUna;
    this.#rttSeq = undefined;
    this.#transmit(now);
  }

  /** @internal The earliest timer deadline, or undefined. */
  pollAt(): Micros | undefined {
    let at = earliest(this.#rtxAt, this.#persistAt);
    at = earliest(at, this.#ackAt);
    at = earliest(at, this.#closeAt);
    at = earliest(at, this.#keepAliveAt);
    return earliest(at, this.#connectDeadline);
  }

  /** @internal Runs expired timers. */
  poll(now: Micros): void {
    if (this.#connectDeadline !== undefined && now >= this.#connectDeadline) {
      this.#connectDeadline = undefined;
      if (this.#state === 'syn-sent' || this.#state === 'syn-received') {
        this.#terminate(new TcpError('ETIMEDOUT', 'connect timed out'), true);
        return;
      }
    }
    if (this.#closeAt !== undefined && now >= this.#closeAt) {
      // TIME-WAIT 2·MSL expired (RFC 9293 §3.10.8), or an orphaned FIN-WAIT-2 gave up.
      this.#closeAt = undefined;
      this.#terminate(undefined, false);
      return;
    }
    if (this.#rtxAt !== undefined && now >= this.#rtxAt) {
      this.#rtxAt = undefined;
      this.#retransmitTimeout(now);
      if (this.#state === 'closed') return;
    }
    if (this.#persistAt !== undefined && now >= this.#persistAt) {
      this.#persistAt = undefined;
      this.#probeWindow(now);
    }
    if (this.#keepAliveAt !== undefined && now >= this.#keepAliveAt) {
      this.#keepAliveAt = undefined;
      this.#keepAliveTimeout(now);
      if (this.#state === 'closed') return;
    }
    if (this.#ackAt !== undefined && now >= this.#ackAt) {
      this.#ackAt = undefined;
      if (this.#ackPending > 0 || this.#ackNow) this.#sendAck(now);
    }
  }

  /** @internal RFC 9293 §3.10.7.3–§3.10.7.4 SEGMENT ARRIVES for this connection. */
  segmentArrives(seg: TcpRepr, payload: Uint8Array, now: Micros): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'syn-sent') {
      this.#synSentArrives(seg, payload, now);
      return;
    }
    const flags = seg.flags;
    const stats = this.#host.stats;
    // A retransmitted SYN while we wait in SYN-RECEIVED: our SYN-ACK was lost.
    if (
      this.#state === 'syn-received' &&
      (flags & (SYN | ACK | RST)) === SYN &&
      seg.sequenceNumber === this.#irs
    ) {
      this.#sendSyn(now);
      return;
    }
    let seqNumber = seg.sequenceNumber;
    let synFlag = flags & SYN;
    if (
      this.#state === 'syn-received' &&
      synFlag !== 0 &&
      (flags & ACK) !== 0 &&
      seqNumber === this.#irs
    ) {
      // Simultaneous open (RFC 9293 §3.5 figure 7): the peer's SYN-ACK repeats the SYN we
      // already hold; what is new is its ACK (and what follows the SYN).
      synFlag = 0;
      seqNumber = seqAdd(seqNumber, 1);
    }
    const ts = seg.options.timestamps;
    // RFC 7323 §5.3 R1 (PAWS): an old timestamp makes the segment unacceptable.
    if (
      this.#tsOk &&
      ts !== undefined &&
      this.#tsRecentValid &&
      (flags & RST) === 0 &&
      seqLt(ts.value, this.#tsRecent)
    ) {
      countDrop(stats, 'paws');
      this.#sendAck(now);
      return;
    }
    // First: check sequence number (RFC 9293 §3.10.7.4).
    const rcvWnd = this.#receiveWindow();
    let data = payload;
    let fin = (flags & FIN) !== 0;
    const segLen = data.length + (synFlag !== 0 ? 1 : 0) + (fin ? 1 : 0);
    if (!segmentAcceptable(seqNumber, segLen, this.#rcvNxt, rcvWnd)) {
      if (rcvWnd === 0 && seqNumber === this.#rcvNxt && synFlag === 0) {
        // "Special allowance": a zero window still takes valid ACKs and RSTs.
        if (data.length > 0) countDrop(stats, 'zero-window');
        data = EMPTY;
        fin = false;
        this.#ackNow = true;
      } else {
        countDrop(stats, 'unacceptable');
        if ((flags & RST) === 0) {
          this.#sendAck(now);
          // RFC 9293 §3.10.7.4 TIME-WAIT: a retransmitted FIN restarts the 2·MSL timeout.
          if (this.#state === 'time-wait' && fin) this.#closeAt = now + this.#config.timeWait;
        }
        return;
      }
    }
    // Second: the RST bit (RFC 5961 §3.2).
    if ((flags & RST) !== 0) {
      this.#resetArrives(seqNumber, now);
      return;
    }
    // Fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2).
    if (synFlag !== 0) {
      this.#challengeAck(now);
      return;
    }
    // RFC 7323 §4.3: remember the timestamp to echo.
    if (this.#tsOk && ts !== undefined && seqLe(seqNumber, this.#lastAckSent)) {
      if (!this.#tsRecentValid || seqGe(ts.value, this.#tsRecent)) {
        this.#tsRecent = ts.value;
        this.#tsRecentValid = true;
      }
    }
    // Fifth: the ACK field.
    if ((flags & ACK) === 0) {
      countDrop(stats, 'no-ack');
      return;
    }
    if (!this.#ackArrives(seg, data.length, now)) return;
    this.#probesUnanswered = 0;
    this.#lastReceivedAt = now;
    this.#keepAliveProbes = 0;
    this.#armKeepAlive();
    // Seventh: segment text.
    const state = this.#state;
    if (state === 'established' || state === 'fin-wait-1' || state === 'fin-wait-2') {
      this.#textArrives(seqNumber, data, fin);
    } else if (data.length > 0) {
      countDrop(stats, 'data-after-fin');
    }
    // Eighth: the FIN bit, once RCV.NXT reaches it.
    if (this.#remoteFin !== undefined && this.#rcvNxt === this.#remoteFin && !this.#finReceived) {
      this.#finArrives(now);
    }
    this.#afterSegment(now);
  }

  // ───────────────────────────── arrival steps ─────────────────────────────────────

  #synSentArrives(seg: TcpRepr, payload: Uint8Array, now: Micros): void {
    const flags = seg.flags;
    const ack = seg.acknowledgmentNumber;
    // RFC 9293 §3.10.7.3 first: check the ACK bit.
    if ((flags & ACK) !== 0 && (seqLe(ack, this.#iss) || seqGt(ack, this.#sndMax))) {
      if ((flags & RST) === 0) {
        this.#sendControl(RST, ack, now);
        this.#host.stats.resetsSent++;
      }
      countDrop(this.#host.stats, 'bad-ack');
      return;
    }
    // Second: the RST bit — only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT).
    if ((flags & RST) !== 0) {
      if ((flags & ACK) !== 0) {
        this.#host.stats.attemptFails++;
        this.#terminate(new TcpError('ECONNREFUSED', 'connection refused (RST)'), true);
      } else {
        countDrop(this.#host.stats, 'rst-without-ack');
      }
      return;
    }
    // Fourth: the SYN bit.
    if ((flags & SYN) === 0) {
      countDrop(this.#host.stats, 'no-syn');
      return;
    }
    this.#acceptPeerSyn(seg);
    if ((flags & ACK) !== 0) {
      this.#sndUna = ack;
      this.#noteRttOnSynAck(now);
      this.#sndWnd = seg.window; // RFC 7323 §2.2: the SYN's window is never scaled
      this.#maxSndWnd = this.#sndWnd;
      this.#sndWl1 = seg.sequenceNumber;
      this.#sndWl2 = ack;
      this.#rtxAt = undefined;
      this.#establish(now);
      if (payload.length > 0) {
        this.#textArrives(seqAdd(seg.sequenceNumber, 1), payload, (flags & FIN) !== 0);
      } else if ((flags & FIN) !== 0) {
        this.#remoteFin = this.#rcvNxt;
      }
      if (this.#remoteFin !== undefined && this.#rcvNxt === this.#remoteFin) this.#finArrives(now);
      this.#ackNow = true;
      this.#afterSegment(now);
      return;
    }
    // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-RECEIVED, send SYN-ACK.
    this.#state = 'syn-received';
    this.#sendSyn(now);
  }

  #acceptPeerSyn(syn: TcpRepr): void {
    const opts = syn.options;
    this.#irs = syn.sequenceNumber;
    this.#rcvNxt = seqAdd(syn.sequenceNumber, 1);
    this.#lastAckSent = this.#rcvNxt;
    this.#sendMss = clampPeerMss(opts.mss, this.#config.routeMss);
    // The congestion window is counted in the negotiated SMSS (RFC 5681 §2, RFC 6928).
    this.#cc = this.#config.congestionControl(this.#sendMss);
    const offer = this.#config.offerOptions;
    // RFC 7323 §2.2: scaling only when both SYNs carry the option.
    this.#wsOk = offer && opts.windowScale !== undefined;
    if (opts.windowScale !== undefined && this.#wsOk) {
      this.#sndShift = opts.windowScale;
      this.#rcvShift = windowScaleFor(this.#config.receiveBuffer);
    } else {
      this.#sndShift = 0;
      this.#rcvShift = 0;
    }
    this.#sackOk = offer && opts.sackPermitted === true;
    if (offer && opts.timestamps !== undefined) {
      this.#tsOk = true;
      this.#tsRecent = opts.timestamps.value;
      this.#tsRecentValid = true;
    } else {
      this.#tsOk = false;
    }
    this.#rcvEdge = this.#rcvNxt;
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    this.#sndWnd = syn.window;
    this.#maxSndWnd = syn.window;
    this.#sndWl1 = syn.sequenceNumber;
  }

  #resetArrives(seq: number, now: Micros): void {
    // RFC 5961 §3.2: only an exact RCV.NXT match resets; other in-window RSTs are challenged.
    if (seq !== this.#rcvNxt) {
      this.#challengeAck(now);
      return;
    }
    const stats = this.#host.stats;
    switch (this.#state) {
      case 'syn-received':
        stats.attemptFails++;
        if (this.#passive) {
          // Back to LISTEN: the listener simply forgets this attempt.
          this.#terminate(new TcpError('ECONNREFUSED', 'reset during the handshake'), true);
        } else {
          this.#terminate(new TcpError('ECONNREFUSED', 'connection refused (RST)'), true);
        }
        return;
      case 'established':
      case 'fin-wait-1':
      case 'fin-wait-2':
      case 'close-wait':
        stats.resetsReceived++;
        this.#terminate(new TcpError('ECONNRESET', 'connection reset by peer'), true);
        return;
      default:
        // CLOSING, LAST-ACK, TIME-WAIT: the connection is over anyway.
        this.#terminate(undefined, false);
    }
  }

  /** Fifth step; returns false when the segment must not be processed further. */
  #ackArrives(seg: TcpRepr, dataLength: number, now: Micros): boolean {
    const ack = seg.acknowledgmentNumber;
    if (this.#state === 'syn-received') {
      if (seqGt(ack, this.#sndUna) && seqLe(ack, this.#sndMax)) {
        this.#noteRttOnSynAck(now);
        this.#sndUna = ack;
        this.#sndWnd = seg.window * 2 ** this.#sndShift;
        this.#maxSndWnd = this.#sndWnd;
        this.#sndWl1 = seg.sequenceNumber;
        this.#sndWl2 = ack;
        this.#rtxAt = undefined;
        this.#establish(now);
      } else {
        this.#sendControl(RST, ack, now);
        this.#host.stats.resetsSent++;
        countDrop(this.#host.stats, 'bad-ack');
        return false;
      }
    }
    // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA − MAX.SND.WND, SND.MAX].
    if (seqGt(ack, this.#sndMax) || seqLt(ack, seqAdd(this.#sndUna, -this.#maxSndWnd))) {
      countDrop(this.#host.stats, 'ack-out-of-window');
      this.#challengeAck(now);
      return false;
    }
    const window = seg.window * 2 ** this.#sndShift;
    const finWasAcked = this.#finAcked();
    if (seqGt(ack, this.#sndUna)) {
      this.#newAck(ack, seg, now);
    } else if (
      ack === this.#sndUna &&
      dataLength === 0 &&
      (seg.flags & (SYN | FIN)) === 0 &&
      window === this.#sndWnd &&
      window > 0 &&
      this.#sndMax !== this.#sndUna
    ) {
      this.#duplicateAck(seg, now);
    } else if (this.#sackOk && seg.options.sackBlocks !== undefined) {
      this.#scoreboard.update(seg.options.sackBlocks, this.#sndUna, this.#sndMax);
    }
    // RFC 9293 §3.10.7.4: update the send window from the newest segment.
    if (
      seqLt(this.#sndWl1, seg.sequenceNumber) ||
      (this.#sndWl1 === seg.sequenceNumber && seqLe(this.#sndWl2, ack))
    ) {
      const opened = this.#sndWnd === 0 && window > 0;
      this.#sndWnd = window;
      this.#sndWl1 = seg.sequenceNumber;
      this.#sndWl2 = ack;
      if (window > this.#maxSndWnd) this.#maxSndWnd = window;
      if (opened) {
        // The window reopened: stop probing and resend anything the closed window refused.
        this.#persistAt = undefined;
        this.#persistBackoff = 0;
        this.#sndNxt = this.#sndUna;
      }
    }
    const finAcked = !finWasAcked && this.#finAcked();
    switch (this.#state) {
      case 'fin-wait-1':
        if (finAcked) {
          this.#state = 'fin-wait-2';
          if (this.#closeRequested) this.#closeAt = now + this.#config.timeWait;
        }
        return true;
      case 'closing':
        if (finAcked) this.#enterTimeWait(now);
        return true;
      case 'last-ack':
        if (finAcked) {
          this.#terminate(undefined, false);
          return false;
        }
        return true;
      default:
        return true;
    }
  }

  #newAck(ack: number, seg: TcpRepr, now: Micros): void {
    const acked = seqDiff(ack, this.#sndUna);
    const flightBefore = seqDiff(this.#sndMax, this.#sndUna);
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.#bufferSeq), this.#sendLength()));
    if (dataAcked > 0) {
      this.#sendBuffer?.acknowledge(dataAcked);
      this.#bufferSeq = seqAdd(this.#bufferSeq, dataAcked);
    }
    this.#sndUna = ack;
    if (seqLt(this.#sndNxt, ack)) this.#sndNxt = ack;
    if (seqLt(this.#highRxt, ack)) this.#highRxt = ack;
    if (this.#sackOk && seg.options.sackBlocks !== undefined) {
      this.#scoreboard.update(seg.options.sackBlocks, ack, this.#sndMax);
    }
    // RTT: a timed segment (Karn's rule: never a retransmitted one), else the echoed timestamp.
    let rtt: Micros | undefined;
    if (this.#rttSeq !== undefined && seqGe(ack, this.#rttSeq)) {
      rtt = now - this.#rttStart;
      this.#rttSeq = undefined;
    } else if (this.#tsOk && seg.options.timestamps !== undefined) {
      const echo = seg.options.timestamps.echo;
      const elapsed = (this.#timestampNow(now) - echo) >>> 0;
      // Karn's rule for timestamps: an echo older than the last timeout comes from a
      // segment sent before it (the receiver did not update TS.Recent for our
      // retransmissions, RFC 7323 §4.3) and would count the whole back-off as RTT.
      const stale = this.#tsAtTimeout !== undefined && seqLt(echo, this.#tsAtTimeout);
      if (elapsed < TS_HALF_RANGE && echo !== 0 && !stale) rtt = elapsed * 1000;
    }
    if (rtt !== undefined) this.#rto.sample(rtt);
    this.#rto.resetBackoff();
    this.#retries = 0;
    const flightAfter = seqDiff(this.#sndMax, ack);
    if (this.#inRecovery) {
      if (seqGe(ack, this.#recover)) {
        // RFC 6582 §3.2 step 6: full acknowledgment.
        this.#inRecovery = false;
        this.#cc.onExitRecovery(now, flightAfter);
      } else {
        // Step 5: partial acknowledgment — retransmit the next hole.
        this.#cc.onRecoveryAck(acked, flightAfter);
        if (!this.#sackOk) this.#retransmitFirst(now);
      }
    } else {
      this.#cc.onAck(dataAcked > 0 ? dataAcked : acked, flightBefore, now, this.#rto.srtt);
    }
    this.#dupAcks = 0;
    // RFC 6298 §5.2/§5.3: stop the timer when all is acknowledged, else restart it.
    if (this.#sndUna === this.#sndMax) {
      this.#rtxAt = undefined;
      this.#unackedSince = undefined;
    } else {
      this.#rtxAt = now + this.#rto.rto;
      this.#unackedSince = now;
    }
    this.#drainWriters(now);
  }

  #duplicateAck(seg: TcpRepr, now: Micros): void {
    if (this.#sackOk && seg.options.sackBlocks !== undefined) {
      this.#scoreboard.update(seg.options.sackBlocks, this.#sndUna, this.#sndMax);
    }
    this.#dupAcks++;
    if (this.#inRecovery) {
      this.#cc.onDuplicateAck();
      return;
    }
    const lost = this.#sackOk && this.#scoreboard.isLost(this.#sndUna, this.#sendMss);
    // RFC 5681 §3.2 step 2 / RFC 6675 §5; RFC 6582 §3.2 step 2 guards against a repeat.
    if ((this.#dupAcks >= 3 || lost) && seqGe(this.#sndUna, this.#recover)) {
      this.#enterRecovery(now);
    }
  }

  #enterRecovery(now: Micros): void {
    const stats = this.#host.stats;
    stats.fastRetransmits++;
    this.#inRecovery = true;
    this.#recover = this.#sndMax;
    this.#highRxt = this.#sndUna;
    this.#cc.onEnterRecovery(
      seqDiff(this.#sndMax, this.#sndUna),
      now,
      this.#sackOk ? 'sack-pipe' : 'dupack-inflation',
    );
    this.#retransmitFirst(now);
  }

  #textArrives(seq: number, payload: Uint8Array, fin: boolean): void {
    const stats = this.#host.stats;
    let data = payload;
    let offset = seqDiff(seq, this.#rcvNxt);
    const finSeq = seqAdd(seq, payload.length);
    if (offset < 0) {
      const cut = Math.min(-offset, data.length);
      data = data.subarray(cut);
      offset += cut;
    }
    const room = Math.max(this.#receiveWindow(), this.#receiveFree()) - Math.max(offset, 0);
    let finInWindow = fin;
    if (data.length > room) {
      data = data.subarray(0, Math.max(0, room));
      finInWindow = false;
      countDrop(stats, 'beyond-window');
      this.#ackNow = true; // tell the sender at once what was taken
    }
    const buffer = data.length > 0 ? this.#allocateReceiveBuffer() : undefined;
    if (data.length > 0 && buffer === undefined) {
      // Memory pressure: drop the data (the peer retransmits), keep the connection.
      countDrop(stats, 'memory-budget');
      this.#ackNow = true;
      return;
    }
    if (buffer !== undefined) {
      if (payload.length > this.#largestReceived) this.#largestReceived = payload.length;
      const gapsBefore = buffer.gaps;
      const advanced = buffer.write(offset, data);
      if (advanced === 'too-many-gaps') {
        countDrop(stats, 'too-many-gaps');
        this.#ackNow = true;
      } else {
        this.#rcvNxt = seqAdd(this.#rcvNxt, advanced);
        if (offset > 0 || gapsBefore > 0 || advanced === 0) {
          // RFC 5681 §4.2: out-of-order data, or data filling a gap, is ACKed at once.
          this.#ackNow = true;
        } else {
          this.#ackPending += advanced;
        }
        if (advanced > 0) this.#wakeReaders();
      }
    }
    if (finInWindow && seqGe(finSeq, this.#rcvNxt)) this.#remoteFin = finSeq;
  }

  #finArrives(now: Micros): void {
    // RFC 9293 §3.10.7.4 eighth: advance RCV.NXT over the FIN and ACK it.
    this.#finReceived = true;
    this.#rcvNxt = seqAdd(this.#rcvNxt, 1);
    this.#rcvEdge = seqMax(this.#rcvEdge, this.#rcvNxt);
    this.#ackNow = true;
    switch (this.#state) {
      case 'syn-received':
      case 'established':
        this.#state = 'close-wait';
        break;
      case 'fin-wait-1':
        if (this.#finAcked()) this.#enterTimeWait(now);
        else this.#state = 'closing';
        break;
      case 'fin-wait-2':
        this.#enterTimeWait(now);
        break;
      case 'time-wait':
        this.#closeAt = now + this.#config.timeWait;
        break;
      default:
        break;
    }
    this.#wakeReaders();
  }

  #afterSegment(now: Micros): void {
    if (this.#state === 'closed') return;
    // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK at least every second full-sized segment.
    if (this.#ackPending >= 2 * Math.max(this.#largestReceived, 1)) this.#ackNow = true;
    this.#transmit(now);
    if (this.#ackNow) this.#sendAck(now);
    else if (this.#ackPending > 0 && this.#ackAt === undefined) {
      this.#ackAt = now + this.#config.delayedAck;
    }
  }

  // ───────────────────────────── sending ───────────────────────────────────────────

  /** Sends what the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6, RFC 1122 §4.2.3.4). */
  #transmit(now: Micros): void {
    const state = this.#state;
    if (
      state !== 'established' &&
      state !== 'close-wait' &&
      state !== 'fin-wait-1' &&
      state !== 'closing' &&
      state !== 'last-ack'
    ) {
      return;
    }
    if (this.#inRecovery && this.#sackOk) this.#sackRecoverySend(now);
    for (let guard = 0; guard < 100_000; guard++) {
      if (!this.#sendNextSegment(now)) break;
    }
    // Zero window with data waiting and nothing in flight: persist (RFC 9293 §3.8.6.1).
    const unsent = this.#unsentBytes();
    if (
      this.#sndWnd === 0 &&
      (unsent > 0 || (this.#finQueued && seqLe(this.#sndNxt, this.#finSeq))) &&
      this.#rtxAt === undefined &&
      this.#persistAt === undefined
    ) {
      this.#persistAt = now + this.#persistTimeout();
    }
  }

  /** One segment from SND.NXT, if allowed. Returns whether one was sent. */
  #sendNextSegment(now: Micros): boolean {
    const unsent = this.#unsentBytes();
    const finPending = this.#finQueued && seqLe(this.#sndNxt, this.#finSeq);
    if (unsent <= 0 && !finPending) return false;
    const inFlight = this.#flightSize();
    const options = this.#dataOptions(now);
    const optionLength = optionsBytes(options);
    const maxPayload = Math.max(1, this.#sendMss - optionLength);
    const windowLeft = seqDiff(seqAdd(this.#sndUna, this.#sndWnd), this.#sndNxt);
    const cwndLeft = this.#cc.cwnd - inFlight;
    const isRetransmission = seqLt(this.#sndNxt, this.#sndMax);
    const limit = isRetransmission ? maxPayload : this.#segmentLimit(maxPayload, optionLength);
    let length = Math.min(unsent, limit, windowLeft, cwndLeft);
    if (length < 0) length = 0;
    // A TSO segment carries whole MSS pieces; a partial tail waits for the checks below.
    if (length > maxPayload && length < unsent) length -= length % maxPayload;
    if (length > 0 && length < maxPayload && length < unsent && !isRetransmission) {
      // Sender SWS avoidance (RFC 1122 §4.2.3.4): a partial segment only if it is at
      // least half the largest window the peer offered, or nothing is in flight (the
      // override: no ACK would come to open the window further).
      if (length < this.#maxSndWnd / 2 && inFlight > 0) return false;
    }
    if (length > 0 && length === unsent && length < maxPayload && !isRetransmission) {
      // Nagle (RFC 896, RFC 1122 §4.2.3.4): hold a small segment while data is unacknowledged,
      // unless it carries the FIN or Nagle is off.
      const nagleHolds = !this.#noDelay && inFlight > 0 && !this.#finQueued;
      if (nagleHolds) return false;
    }
    const withFin = this.#finQueued && seqAdd(this.#sndNxt, length) === this.#finSeq;
    if (length === 0 && !(withFin && unsent <= 0)) return false;
    if (length > 0 && this.#sackOk && (this.#sack?.sackedBytes ?? 0) > 0 && isRetransmission) {
      // Skip a range the peer already SACKed while going back after a timeout.
      const end = seqAdd(this.#sndNxt, length);
      if (this.#scoreboard.isSacked(this.#sndNxt, end)) {
        this.#sndNxt = end;
        return true;
      }
    }
    if (this.#lastDataSentAt !== undefined && inFlight === 0 && this.#cc.onIdle !== undefined) {
      this.#cc.onIdle(now - this.#lastDataSentAt, this.#rto.rto);
    }
    let flags = ACK;
    if (length > 0 && length === unsent) flags |= PSH;
    if (withFin) flags |= FIN;
    if (!this.#sendSegment(flags, this.#sndNxt, length, options)) {
      // The interface queue is full: nothing was sent. Try again on the layer's next poll
      // rather than lose the segment and wait for a retransmission.
      this.#host.transmitBlocked(this);
      return false;
    }
    if (isRetransmission) this.#host.stats.retransmits++;
    else if (this.#rttSeq === undefined) {
      this.#rttSeq = seqAdd(this.#sndNxt, length);
      this.#rttStart = now;
    }
    this.#sndNxt = seqAdd(this.#sndNxt, length + (withFin ? 1 : 0));
    if (seqGt(this.#sndNxt, this.#sndMax)) this.#sndMax = this.#sndNxt;
    this.#lastDataSentAt = now;
    this.#unackedSince ??= now;
    this.#rtxAt ??= now + this.#rto.rto;
    this.#persistAt = undefined;
    return true;
  }

  /**
   * Payload bytes the next new segment may carry: one MSS, or with TSO as many whole
   * MSS pieces as fit the offload limit (the device cuts at the route MTU, so only
   * while our MSS is the route's). Retransmissions stay at one MSS.
   */
  #segmentLimit(maxPayload: number, optionLength: number): number {
    const offload = this.#config.offloadPayload;
    if (offload <= maxPayload || this.#sendMss !== this.#config.routeMss) return maxPayload;
    const limit = offload - optionLength;
    return Math.max(maxPayload, limit - (limit % maxPayload));
  }

  /** RFC 6675 §5 steps (C): retransmit lost ranges while pipe < cwnd. */
  #sackRecoverySend(now: Micros): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const pipe = this.#scoreboard.pipe(this.#sndUna, this.#sndMax, this.#highRxt, this.#sendMss);
      if (this.#cc.cwnd - pipe < this.#sendMss) return;
      const next = this.#scoreboard.nextSegment(
        this.#sndUna,
        this.#sndMax,
        this.#highRxt,
        this.#sendMss,
      );
      if (next === undefined || (!next.lost && this.#unsentBytes() > 0)) return;
      this.#retransmitRange(next.start, seqDiff(next.end, next.start), now);
      this.#highRxt = next.end;
    }
  }

  /** Retransmits the segment at SND.UNA (RTO, fast retransmit, NewReno partial ACK). */
  #retransmitFirst(now: Micros): void {
    const available = seqDiff(seqAdd(this.#bufferSeq, this.#sendLength()), this.#sndUna);
    const length = Math.min(
      Math.max(available, 0),
      this.#sendMss - optionsBytes(this.#dataOptions(now)),
    );
    this.#retransmitRange(this.#sndUna, length, now);
    const end = seqAdd(this.#sndUna, length);
    if (seqGt(end, this.#highRxt)) this.#highRxt = end;
  }

  #retransmitRange(start: number, length: number, now: Micros): void {
    const withFin =
      this.#finQueued &&
      seqAdd(start, length) === this.#finSeq &&
      seqGt(this.#sndMax, this.#finSeq);
    if (length === 0 && !withFin) return;
    let flags = ACK;
    if (withFin) flags |= FIN;
    this.#sendSegment(flags, start, length, this.#dataOptions(now));
    this.#host.stats.retransmits++;
    this.#rttSeq = undefined; // Karn's rule
    this.#rtxAt ??= now + this.#rto.rto;
  }

  /** Sends one segment; false when the layer below dropped it (queue full). */
  #sendSegment(flags: number, seq: number, length: number, options: TcpOptions): boolean {
    const window = this.#windowField();
    const repr: TcpRepr = {
      sourcePort: this.localPort,
      destinationPort: this.remotePort,
      sequenceNumber: seq,
      acknowledgmentNumber: (flags & ACK) !== 0 ? this.#rcvNxt : 0,
      flags,
      window,
      options,
      payloadLength: length,
    };
    const headerLength = tcpReprHeaderLength(repr);
    const offset = seqDiff(seq, this.#bufferSeq);
    const buffer = this.#sendBuffer;
    const sent = this.#host.output.send(
      this.localAddress,
      this.remoteAddress,
      headerLength + length,
      (segment, checksum) => {
        if (length > 0) buffer?.copyOut(offset, length, segment.subarray(headerLength));
        emitTcpRepr(repr, segment, this.localAddress, this.remoteAddress, { checksum });
      },
    );
    if (!sent) return false;
    this.#host.stats.sent++;
    if ((flags & ACK) !== 0) {
      this.#lastAckSent = this.#rcvNxt;
      this.#ackPending = 0;
      this.#ackNow = false;
      this.#ackAt = undefined;
    }
    return true;
  }

  /** @internal The layer below has room again: send what was held back. */
  resumeTransmit(now: Micros): void {
    this.#transmit(now);
  }

  /** SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), with our options. */
  #sendSyn(now: Micros): void {
    const synAck = this.#state === 'syn-received';
    const offer = this.#config.offerOptions;
    const options: {
      mss: number;
      windowScale?: number;
      sackPermitted?: boolean;
      timestamps?: { value: number; echo: number };
    } = { mss: this.#config.routeMss };
    if (synAck) {
      if (this.#wsOk) options.windowScale = this.#rcvShift;
      if (this.#sackOk) options.sackPermitted = true;
      if (this.#tsOk) options.timestamps = { value: this.#timestampNow(now), echo: this.#tsRecent };
    } else if (offer) {
      options.windowScale = this.#rcvShift;
      options.sackPermitted = true;
      options.timestamps = { value: this.#timestampNow(now), echo: 0 };
    }
    // RFC 7323 §2.2: the window field of a SYN is never scaled.
    const window = Math.min(this.#receiveFree(), 0xffff);
    this.#rcvEdge = seqAdd(this.#rcvNxt, window);
    const repr: TcpRepr = {
      sourcePort: this.localPort,
      destinationPort: this.remotePort,
      sequenceNumber: this.#iss,
      acknowledgmentNumber: synAck ? this.#rcvNxt : 0,
      flags: synAck ? SYN | ACK : SYN,
      window,
      options,
      payloadLength: 0,
    };
    this.#emit(repr);
    if (this.#sndMax === this.#iss) {
      this.#rttSeq = seqAdd(this.#iss, 1);
      this.#rttStart = now;
    }
    this.#sndNxt = seqAdd(this.#iss, 1);
    this.#sndMax = this.#sndNxt;
    this.#rtxAt = now + this.#rto.rto;
  }

  /** A control segment (RST, or a bare ACK) with an explicit sequence number. */
  #sendControl(flags: number, seq: number, now: Micros): void {
    const options: TcpOptions =
      this.#tsOk && (flags & RST) === 0
        ? { timestamps: { value: this.#timestampNow(now), echo: this.#tsRecent } }
        : {};
    const repr: TcpRepr = {
      sourcePort: this.localPort,
      destinationPort: this.remotePort,
      sequenceNumber: seq,
      acknowledgmentNumber: (flags & ACK) !== 0 ? this.#rcvNxt : 0,
      flags,
      window: (flags & ACK) !== 0 ? this.#windowField() : 0,
      options,
      payloadLength: 0,
    };
    this.#emit(repr);
  }

  #emit(repr: TcpRepr): void {
    this.#host.output.send(
      this.localAddress,
      this.remoteAddress,
      tcpReprHeaderLength(repr),
      (segment, checksum) => {
        emitTcpRepr(repr, segment, this.localAddress, this.remoteAddress, { checksum });
      },
    );
    this.#host.stats.sent++;
    if ((repr.flags & ACK) !== 0) {
      this.#lastAckSent = this.#rcvNxt;
      this.#ackPending = 0;
      this.#ackNow = false;
      this.#ackAt = undefined;
    }
  }

  #sendAck(now: Micros): void {
    if (this.#state === 'syn-received') {
      this.#sendSyn(now);
      return;
    }
    if (this.#state === 'syn-sent' || this.#state === 'closed') return;
    // <SEQ=SND.NXT>: the highest sequence sent, even while SND.NXT is rewound for a
    // go-back-N retransmission — an older SEQ would be unacceptable to the peer.
    this.#sendSegment(ACK, this.#sndMax, 0, this.#dataOptions(now));
  }

  /** RFC 5961 §7: challenge ACKs, at most 10 per 5 s per connection. */
  #challengeAck(now: Micros): void {
    const stats = this.#host.stats;
    if (this.#challenge.allow(now)) {
      stats.challengeAcks++;
      this.#sendAck(now);
    } else {
      stats.challengeAcksSuppressed++;
    }
  }

  #dataOptions(now: Micros): TcpOptions {
    const blocks: TcpSackBlock[] | undefined =
      this.#sackOk && this.#receiveBuffer !== undefined && this.#receiveBuffer.gaps > 0
        ? this.#receiveBuffer.sackBlocks(this.#rcvNxt, this.#tsOk ? 3 : 4)
        : undefined;
    if (!this.#tsOk) return blocks === undefined ? {} : { sackBlocks: blocks };
    const timestamps = { value: this.#timestampNow(now), echo: this.#tsRecent };
    return blocks === undefined ? { timestamps } : { timestamps, sackBlocks: blocks };
  }

  /** RFC 7323 §5.4: a 1 ms timestamp clock with a per-connection random offset. */
  #timestampNow(now: Micros): number {
    return (Math.floor(now / 1000) + this.#config.timestampOffset) >>> 0;
  }

  /**
   * The window field to send: receiver SWS avoidance (RFC 1122 §4.2.3.3) moves the right
   * edge only by at least min(buffer/2, MSS), and the edge never moves left (RFC 9293 §3.8.6.2.2).
   */
  #windowField(): number {
    const free = this.#receiveFree();
    const candidate = seqAdd(this.#rcvNxt, free);
    const step = Math.min(this.#config.receiveBuffer / 2, this.#config.routeMss);
    if (seqGe(candidate, this.#rcvEdge) && seqDiff(candidate, this.#rcvEdge) >= step) {
      this.#rcvEdge = candidate;
    } else if (seqLt(this.#rcvEdge, this.#rcvNxt)) {
      this.#rcvEdge = this.#rcvNxt;
    }
    const window = seqDiff(this.#rcvEdge, this.#rcvNxt);
    const unit = 2 ** this.#rcvShift;
    const field = Math.min(Math.ceil(window / unit), 0xffff);
    // Rounding up keeps the edge from shrinking; record what was really offered.
    this.#rcvEdge = seqAdd(this.#rcvNxt, field * unit);
    return field;
  }

  /** RCV.WND as advertised (bytes from RCV.NXT to the advertised right edge). */
  #receiveWindow(): number {
    return Math.max(0, seqDiff(this.#rcvEdge, this.#rcvNxt));
  }

  /** Bytes in the send buffer (0 before it is allocated). */
  #sendLength(): number {
    return this.#sendBuffer?.length ?? 0;
  }

  /** Free receive space from RCV.NXT (the whole capacity before the buffer is allocated). */
  #receiveFree(): number {
    return this.#receiveBuffer?.window ?? this.#config.receiveBuffer;
  }

  // Buffers are created on first use with 4 KiB of storage and grow on demand; the
  // layer's memory budget pays for every byte of storage actually allocated.
  #allocateSendBuffer(): SendBuffer | undefined {
    const initial = Math.min(this.#config.sendBuffer, INITIAL_BUFFER_STORAGE);
    if (this.#sendBuffer === undefined && this.#host.allocate(initial)) {
      this.#sendBuffer = new SendBuffer(this.#config.sendBuffer, { reserve: this.#reserve });
    }
    return this.#sendBuffer;
  }

  #allocateReceiveBuffer(): ReceiveBuffer | undefined {
    const initial = Math.min(this.#config.receiveBuffer, INITIAL_BUFFER_STORAGE);
    if (this.#receiveBuffer === undefined && this.#host.allocate(initial)) {
      this.#receiveBuffer = new ReceiveBuffer(this.#config.receiveBuffer, {
        maxGaps: this.#config.maxGaps,
        reserve: this.#reserve,
      });
    }
    return this.#receiveBuffer;
  }

  readonly #reserve = (bytes: number): boolean => this.#host.allocate(bytes);

  #unsentBytes(): number {
    const sent = seqDiff(this.#sndNxt, this.#bufferSeq);
    const length = this.#sendLength();
    return length - Math.max(0, Math.min(sent, length));
  }

  #flightSize(): number {
    if (this.#inRecovery && this.#sackOk) {
      return this.#scoreboard.pipe(this.#sndUna, this.#sndMax, this.#highRxt, this.#sendMss);
    }
    return seqDiff(this.#sndNxt, this.#sndUna);
  }

  #finAcked(): boolean {
    return this.#finQueued && seqGt(this.#sndUna, this.#finSeq);
  }

  // ───────────────────────────── timers ────────────────────────────────────────────

  /** RFC 6298 §5.4–§5.7 with RFC 1122 §4.2.3.5 give-up thresholds. */
  #retransmitTimeout(now: Micros): void {
    const stats = this.#host.stats;
    stats.timeouts++;
    const handshake = this.#state === 'syn-sent' || this.#state === 'syn-received';
    const limit = handshake ? this.#config.synRetries : this.#config.dataRetries;
    const userTimedOut =
      this.#userTimeout > 0 &&
      this.#unackedSince !== undefined &&
      now - this.#unackedSince >= this.#userTimeout;
    if (this.#retries >= limit || userTimedOut) {
      if (handshake) stats.attemptFails++;
      const code = this.#softError ?? 'ETIMEDOUT';
      this.abortWith(new TcpError(code, 'retransmission limit reached'), true);
      return;
    }
    this.#retries++;
    this.#rto.backoff();
    this.#rttSeq = undefined; // Karn's rule
    this.#tsAtTimeout = this.#timestampNow(now);
    if (handshake) {
      stats.retransmits++;
      this.#sendSyn(now);
      return;
    }
    if (this.#sndWnd === 0 && this.#sndUna === this.#sndMax) {
      this.#probeWindow(now);
      return;
    }
    this.#cc.onRetransmitTimeout(seqDiff(this.#sndMax, this.#sndUna), now);
    this.#inRecovery = false;
    this.#recover = this.#sndMax;
    this.#dupAcks = 0;
    // Go back N: resend from SND.UNA as the (now one-segment) window allows.
    this.#sndNxt = this.#sndUna;
    this.#highRxt = this.#sndUna;
    const before = stats.retransmits;
    this.#transmit(now);
    if (stats.retransmits === before && this.#sndUna !== this.#sndMax) {
      // Nothing fitted the window (zero window): force the first segment out.
      this.#retransmitFirst(now);
      this.#sndNxt = seqMax(this.#sndNxt, seqAdd(this.#sndUna, 1));
    }
    this.#rtxAt = now + this.#rto.rto;
  }

  #persistTimeout(): Micros {
    return Math.min(this.#rto.rto * 2 ** this.#persistBackoff, 60_000_000);
  }

  /** Zero-window probe: one byte beyond the closed window (RFC 9293 §3.8.6.1). */
  #probeWindow(now: Micros): void {
    if (this.#sndWnd > 0) {
      this.#transmit(now);
      return;
    }
    // A peer that answers probes may keep its window closed forever (RFC 1122
    // §4.2.2.17); one that stops answering, or a user timeout, ends the connection.
    const userTimedOut =
      this.#userTimeout > 0 &&
      this.#unackedSince !== undefined &&
      now - this.#unackedSince >= this.#userTimeout;
    if (this.#probesUnanswered >= this.#config.dataRetries || userTimedOut) {
      this.abortWith(new TcpError('ETIMEDOUT', 'zero-window probes unanswered'), true);
      return;
    }
    this.#probesUnanswered++;
    this.#host.stats.windowProbes++;
    const start = this.#sndUna;
    const available = seqDiff(seqAdd(this.#bufferSeq, this.#sendLength()), start);
    if (available > 0) {
      this.#sendSegment(ACK, start, 1, this.#dataOptions(now));
      const end = seqAdd(start, 1);
      if (seqGt(end, this.#sndNxt)) this.#sndNxt = end;
      if (seqGt(end, this.#sndMax)) this.#sndMax = end;
    } else if (this.#finQueued && seqLe(this.#sndNxt, this.#finSeq)) {
      this.#sendSegment(ACK | FIN, this.#finSeq, 0, this.#dataOptions(now));
      this.#sndNxt = seqAdd(this.#finSeq, 1);
      this.#sndMax = this.#sndNxt;
    } else {
      return;
    }
    this.#unackedSince ??= now;
    this.#persistBackoff = Math.min(this.#persistBackoff + 1, 12);
    this.#rtxAt = undefined;
    this.#persistAt = now + this.#persistTimeout();
  }

  #armKeepAlive(): void {
    if (this.#keepAliveIdle <= 0 || !this.#synchronized()) {
      this.#keepAliveAt = undefined;
      return;
    }
    const interval = Math.min(this.#keepAliveIdle, KEEPALIVE_INTERVAL);
    this.#keepAliveAt =
      this.#lastReceivedAt + this.#keepAliveIdle + this.#keepAliveProbes * interval;
  }

  /** RFC 1122 §4.2.3.6: an empty segment with SEG.SEQ = SND.NXT − 1 elicits an ACK. */
  #keepAliveTimeout(now: Micros): void {
    if (this.#sndUna !== this.#sndMax || this.#state !== 'established') {
      // Data in flight: the retransmission timer watches the peer instead.
      this.#lastReceivedAt = now;
      this.#armKeepAlive();
      return;
    }
    if (this.#keepAliveProbes >= KEEPALIVE_PROBES) {
      this.abortWith(new TcpError('ETIMEDOUT', 'keep-alive: peer not responding'), true);
      return;
    }
    this.#keepAliveProbes++;
    this.#host.stats.keepAliveProbes++;
    this.#sendSegment(ACK, seqAdd(this.#sndUna, -1), 0, this.#dataOptions(now));
    this.#armKeepAlive();
  }

  // ───────────────────────────── state helpers ─────────────────────────────────────

  #noteRttOnSynAck(now: Micros): void {
    if (this.#rttSeq !== undefined) {
      this.#rto.sample(now - this.#rttStart);
      this.#rttSeq = undefined;
    } else if (this.#retries > 0) {
      // RFC 6298 §5.7: the SYN timed out and no sample was taken (Karn): RTO ≥ 3 s.
      this.#rto.restartAfterSynTimeout();
    }
    this.#rto.resetBackoff();
    this.#retries = 0;
  }

  #establish(now: Micros): void {
    this.#state = 'established';
    this.#connectDeadline = undefined;
    this.#sack?.reset(this.#sndUna);
    // RFC 6582 §3.2 step 1: recover starts at the initial send sequence number.
    this.#recover = this.#sndUna;
    this.#highRxt = this.#sndUna;
    this.#lastReceivedAt = now;
    this.#host.stats.established++;
    this.#armKeepAlive();
    this.#openedSettle.resolve(undefined);
    this.#host.connectionEstablished(this);
    this.#maybeQueueFin(now);
    this.#transmit(now);
  }

  #enterTimeWait(now: Micros): void {
    this.#state = 'time-wait';
    this.#rtxAt = undefined;
    this.#persistAt = undefined;
    this.#keepAliveAt = undefined;
    this.#closeAt = now + this.#config.timeWait;
    this.#drainEndWaiters();
    // Both FINs are exchanged: closed for the user (like close(2) returning), while the
    // layer keeps the 4-tuple in TIME-WAIT for 2·MSL to absorb old duplicates.
    this.#closedSettle.resolve(undefined);
  }

  #synchronized(): boolean {
    const s = this.#state;
    return (
      s === 'established' ||
      s === 'fin-wait-1' ||
      s === 'fin-wait-2' ||
      s === 'close-wait' ||
      s === 'closing' ||
      s === 'last-ack'
    );
  }

  #writable(): boolean {
    const s = this.#state;
    return s === 'syn-sent' || s === 'syn-received' || s === 'established' || s === 'close-wait';
  }

  /** CLOSE (RFC 9293 §3.10.4) once every write is in the buffer: queue the FIN. */
  #maybeQueueFin(now: Micros): void {
    if (!this.#endRequested || this.#finQueued || this.#writers.length > 0) return;
    if (this.#state === 'established') this.#state = 'fin-wait-1';
    else if (this.#state === 'close-wait') this.#state = 'last-ack';
    else return;
    this.#finQueued = true;
    this.#finSeq = seqAdd(this.#bufferSeq, this.#sendLength());
    this.#drainEndWaiters();
    this.#transmit(now);
  }

  #drainEndWaiters(): void {
    for (const resolve of this.#endWaiters.splice(0)) resolve();
  }

  #drainWriters(now: Micros): void {
    const buffer = this.#sendBuffer;
    while (this.#writers.length > 0 && buffer !== undefined) {
      const writer = this.#writers[0]!;
      writer.offset += buffer.write(writer.data.subarray(writer.offset));
      if (writer.offset < writer.data.length) break;
      this.#writers.shift();
      writer.resolve();
    }
    this.#maybeQueueFin(now);
  }

  #tryRead(max: number): Promise<Uint8Array | null> | undefined {
    // RFC 9293 §3.10.7.4 (RST) and §3.10.5 (ABORT): queued data is flushed and every
    // RECEIVE gets the reset, so a failed connection never hands out buffered bytes.
    if (this.#error) return Promise.reject(this.#error);
    const buffer = this.#receiveBuffer;
    if (buffer !== undefined && buffer.readable > 0) {
      const data = buffer.read(Math.min(max, buffer.readable));
      this.#afterRead();
      return Promise.resolve(data);
    }
    if (this.#finReceived || this.#state === 'closed') return Promise.resolve(null);
    return undefined;
  }

  /** After CLOSED, the receive buffer goes back to the budget once everything is read. */
  #freeDrainedReceiveBuffer(): void {
    const flushed = this.#error !== undefined; // RFC 9293: a reset flushes the queues
    if (
      this.#released &&
      this.#receiveBuffer !== undefined &&
      (flushed || this.#receiveBuffer.readable === 0)
    ) {
      this.#host.free(this.#receiveBuffer.allocated);
      this.#receiveBuffer = undefined;
    }
  }

  #wakeReaders(): void {
    let read = false;
    while (this.#readers.length > 0) {
      const reader = this.#readers[0]!;
      const buffer = this.#receiveBuffer;
      if (this.#error) {
        this.#readers.shift();
        reader.reject(this.#error);
      } else if (buffer !== undefined && buffer.readable > 0) {
        const data = buffer.read(Math.min(reader.max, buffer.readable));
        read = true;
        this.#readers.shift();
        reader.resolve(data);
      } else if (this.#finReceived || this.#state === 'closed') {
        this.#readers.shift();
        if (this.#error) reader.reject(this.#error);
        else reader.resolve(null);
      } else {
        break;
      }
    }
    if (read) this.#afterRead();
  }

  /** After the application read: a window update if the edge can move enough (RFC 1122 §4.2.3.3). */
  #afterRead(): void {
    this.#freeDrainedReceiveBuffer();
    if (!this.#synchronized() || this.#finReceived) return;
    const candidate = seqAdd(this.#rcvNxt, this.#receiveFree());
    const step = Math.min(this.#config.receiveBuffer / 2, this.#config.routeMss);
    if (seqGt(candidate, this.#rcvEdge) && seqDiff(candidate, this.#rcvEdge) >= step) {
      this.#sendAck(this.#host.clock.now());
    }
  }

  /** Enters CLOSED: settles every promise, stops timers, leaves the layer's table. */
  #terminate(error: TcpError | undefined, reportAsFailure: boolean): void {
    const wasOpen = this.#state !== 'closed';
    this.#state = 'closed';
    this.#rtxAt = undefined;
    this.#persistAt = undefined;
    this.#ackAt = undefined;
    this.#closeAt = undefined;
    this.#keepAliveAt = undefined;
    this.#connectDeadline = undefined;
    if (error !== undefined) this.#error = error;
    const failure = error ?? new TcpError('EPIPE', 'connection closed');
    for (const writer of this.#writers.splice(0)) {
      writer.reject(failure);
    }
    this.#drainEndWaiters();
    this.#wakeReaders();
    this.#openedSettle.reject(error ?? new TcpError('ECONNABORTED', 'connection closed'));
    if (error !== undefined && reportAsFailure) this.#closedSettle.reject(error);
    else this.#closedSettle.resolve(undefined);
    if (wasOpen && !this.#released) {
      this.#released = true;
      // Return the buffers to the budget; after a clean close unread data stays
      // readable until drained, after a failure it is flushed.
      if (this.#sendBuffer !== undefined) this.#host.free(this.#sendBuffer.allocated);
      this.#sendBuffer = undefined;
      this.#freeDrainedReceiveBuffer();
      this.#host.connectionReleased(this);
    }
  }
}

function cancelled(signal: AbortSignalLike | undefined): TcpError {
  const reason = signal?.reason;
  return new TcpError('ECANCELED', reason instanceof Error ? reason.message : 'operation aborted');
}

function countDrop(stats: TcpStats, reason: string): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}

function optionsBytes(options: TcpOptions): number {
  let n = 0;
  if (options.timestamps !== undefined) n += 10;
  if (options.sackBlocks !== undefined && options.sackBlocks.length > 0) {
    n += 2 + 8 * options.sackBlocks.length;
  }
  return (n + 3) & ~3;
}
