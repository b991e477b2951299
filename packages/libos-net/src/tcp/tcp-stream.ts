/**
 * The user-facing contract of one TCP connection, shared by the TCP core (which
 * implements it) and the adapters (`node:stream` Duplex, Web Streams) that wrap it.
 */
import type { AbortSignalLike } from '@libos/sched';
import type { Ipv4Address } from '../wire/ipv4-address.js';

/**
 * RFC 9293 §3.3.2 connection states.
 *
 * @example
 * ```ts
 * import type { TcpState } from '@libos/net';
 * const open: TcpState[] = ['established', 'close-wait'];
 * ```
 */
export type TcpState =
  | 'closed'
  | 'listen'
  | 'syn-sent'
  | 'syn-received'
  | 'established'
  | 'fin-wait-1'
  | 'fin-wait-2'
  | 'close-wait'
  | 'closing'
  | 'last-ack'
  | 'time-wait';

/**
 * Node-style codes of {@link TcpError}.
 *
 * @example
 * ```ts
 * import type { TcpErrorCode } from '@libos/net';
 * const fatal: TcpErrorCode[] = ['ECONNRESET', 'ETIMEDOUT'];
 * ```
 */
export type TcpErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ECONNABORTED'
  | 'ETIMEDOUT'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'EPIPE'
  | 'ENOTCONN'
  | 'EINVAL'
  | 'ENOBUFS'
  | 'ECANCELED';

/**
 * A TCP failure or misuse, with a Node-style `code`.
 *
 * @example
 * ```ts
 * import { TcpError } from '@libos/net';
 * try { await conn.write(data); } catch (e) { if (e instanceof TcpError && e.code === 'EPIPE') conn.abort(); }
 * ```
 */
export class TcpError extends Error {
  /**
   * @param code Stable error code.
   * @param message Detail.
   */
  constructor(
    readonly code: TcpErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'TcpError';
  }
}

/**
 * One TCP connection as an application uses it: read and write with back-pressure,
 * half-close, close, abort. Implemented by the TCP core; wrapped by the `node:stream`
 * and Web Streams adapters.
 *
 * @example
 * ```ts
 * async function echo(conn: TcpStream): Promise<void> {
 *   for (let chunk = await conn.read(); chunk; chunk = await conn.read()) await conn.write(chunk);
 *   await conn.end();
 * }
 * ```
 */
export interface TcpStream {
  /** Current RFC 9293 state. */
  readonly state: TcpState;
  /** Our address. */
  readonly localAddress: Ipv4Address;
  /** Our port. */
  readonly localPort: number;
  /** The peer's address. */
  readonly remoteAddress: Ipv4Address;
  /** The peer's port. */
  readonly remotePort: number;
  /** Bytes written but not yet acknowledged by the peer. */
  readonly bufferedAmount: number;
  /**
   * The next received bytes (a copy the caller owns), at most `maxBytes` when given;
   * `null` once the peer has closed its side (FIN) and everything was read. Rejects with
   * the connection's error (`ECONNRESET`, `ETIMEDOUT`, ...) or `ECANCELED` on `signal`.
   */
  read(maxBytes?: number, signal?: AbortSignalLike): Promise<Uint8Array | null>;
  /**
   * Queues `data` for sending; resolves when all of it is in the send buffer (waits
   * while the buffer is full: back-pressure). Rejects with `EPIPE` after `end()`.
   */
  write(data: Uint8Array, signal?: AbortSignalLike): Promise<void>;
  /** Sends FIN after the queued data (half-close); reading continues. */
  end(): Promise<void>;
  /** `end()`, then resolves when the connection has fully closed (or failed). */
  close(): Promise<void>;
  /** Sends RST and drops everything queued (RFC 9293 §3.10.5 ABORT). */
  abort(): void;
  /** Disables (true) or enables Nagle's algorithm (RFC 896). */
  setNoDelay(noDelay: boolean): void;
  /** Enables keep-alive probes after `idleMicros` of silence (RFC 1122 §4.2.3.6); 0 disables. */
  setKeepAlive(idleMicros: number): void;
  /** Fails the connection with `ETIMEDOUT` when sent data stays unacknowledged this long (RFC 5482); 0 disables. */
  setUserTimeout(micros: number): void;
  /** Settles when the connection is fully closed: resolves after a clean close, rejects with its error. */
  readonly closed: Promise<void>;
}
