/**
 * Counters of a {@link TcpLayer}, in the spirit of the `Tcp:` section of `netstat -s`.
 */
import type { LayerStats } from '../stack/stack-stats.js';

/**
 * TCP counters: segments in and out, drops by reason (`'bad-checksum'`,
 * `'no-socket'`, `'paws'`, `'unacceptable'`, ...), and protocol events.
 *
 * @example
 * ```ts
 * const { retransmits, challengeAcks, dropped } = layer.stats;
 * console.log(retransmits, challengeAcks, dropped['paws'] ?? 0);
 * ```
 */
export interface TcpStats extends LayerStats {
  /** Connections opened by {@link TcpLayer.connect} (RFC 1213 tcpActiveOpens). */
  activeOpens: number;
  /** Connections accepted from a listener's SYN (RFC 1213 tcpPassiveOpens). */
  passiveOpens: number;
  /** SYNs handed to a {@link TcpInterceptor} as connection requests. */
  intercepted: number;
  /** Connections that reached ESTABLISHED. */
  established: number;
  /** Connection attempts that failed (refused, timed out, reset in SYN-RECEIVED). */
  attemptFails: number;
  /** Established connections reset by the peer. */
  resetsReceived: number;
  /** RST segments sent (closed ports, bad ACKs, aborts). */
  resetsSent: number;
  /** Segments retransmitted (RTO, fast retransmit, SACK recovery). */
  retransmits: number;
  /** Retransmission timeouts that fired. */
  timeouts: number;
  /** Fast retransmits (RFC 5681 §3.2, three duplicate ACKs or SACK loss). */
  fastRetransmits: number;
  /** Challenge ACKs sent (RFC 5961). */
  challengeAcks: number;
  /** Challenge ACKs suppressed by the per-connection rate limit (RFC 5961 §7). */
  challengeAcksSuppressed: number;
  /** SYN-ACKs carrying a SYN cookie (listener over its SYN backlog). */
  synCookiesSent: number;
  /** Connections created from a valid SYN-cookie ACK. */
  synCookiesAccepted: number;
  /** Zero-window probes sent (RFC 9293 §3.8.6.1). */
  windowProbes: number;
  /** Keep-alive probes sent (RFC 1122 §4.2.3.6). */
  keepAliveProbes: number;
}

/** @internal Fresh zeroed counters. */
export function createTcpStats(): TcpStats {
  return {
    received: 0,
    sent: 0,
    dropped: {},
    activeOpens: 0,
    passiveOpens: 0,
    intercepted: 0,
    established: 0,
    attemptFails: 0,
    resetsReceived: 0,
    resetsSent: 0,
    retransmits: 0,
    timeouts: 0,
    fastRetransmits: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    synCookiesSent: 0,
    synCookiesAccepted: 0,
    windowProbes: 0,
    keepAliveProbes: 0,
  };
}
