/**
 * SYN cookies (RFC 4987 §3.6): under a SYN flood a listener answers a SYN without
 * keeping state, encoding what it must remember — the client's MSS — and a keyed,
 * time-limited proof in the ISN of its SYN-ACK. The final ACK acknowledges `cookie + 1`
 * and carries `clientIsn + 1`, from which {@link SynCookies.decode} recovers the MSS.
 *
 * Layout (Linux style: the client's ISN and a per-tuple secret offset are added, so
 * cookies look as random as RFC 6528 ISNs and the counter is not visible on the wire):
 *
 * ```text
 *  cookie = clientIsn + A(tuple) + X   (mod 2^32)
 *
 *       31      27 26  24 23                                  0
 *  X = +----------+------+-------------------------------------+
 *      | t (5 bit)| mss  |  B(tuple, counter, mss) & 0xffffff  |
 *      +----------+------+-------------------------------------+
 *  t        = counter mod 32, counter = ⌊now / 64 s⌋   (RFC 4987 §3.6 "t")
 *  mss      = index into SynCookies.mssTable              (RFC 4987 §3.6 "m")
 *  A, B     = SipHash-2-4 under two independent 128-bit secrets (RFC 4987 §3.6 "s")
 * ```
 *
 * `B` covers the full counter (not just its 5 bits) and the MSS index, so a cookie is
 * valid only in the period that issued it and the next (64 to 128 s), a cookie replayed
 * 32 periods later fails, and neither field can be altered. A random guess passes with
 * probability 2^-24 × 2/32 (hash bits × live counter values); one who somehow knew
 * `A(tuple)` would still face 2^-24.
 */
import type { EntropySource, Micros } from '@libos/sched';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import { assertTime, writeTuple } from './isn.js';
import { SipHash24 } from './siphash.js';
import { TcpError } from './tcp-stream.js';

/** Microseconds per counter period (64 s). */
const PERIOD_MICROS = 64_000_000;
/** Periods before the current one whose cookies still decode: 1 → about 2 minutes. */
const MAX_AGE_PERIODS = 1;
/** Width of the `t` field: the counter is carried modulo 2^5. */
const COUNTER_MASK = 0x1f;
/** Low 24 bits: the keyed hash `B`. */
const HASH_MASK = 0xffffff;
/** 2^32. */
const TWO_POW_32 = 0x1_0000_0000;

/**
 * MSS values a cookie can carry (3-bit index), ascending. Each is a common path MSS:
 * RFC 9293 §3.7.1 default, IPv6-minimum-MTU paths, tunnels and VPNs, PPPoE, Ethernet,
 * jumbo frames.
 */
const MSS_TABLE: readonly number[] = Object.freeze([
  536, // RFC 9293 §3.7.1: 576-byte datagrams
  1220, // 1280 (IPv6 minimum MTU, RFC 8200 §5) − 60
  1360, // IPsec / GRE tunnels
  1400, // VPNs, cloud overlays
  1440, // 1480 (6in4) − 40
  1452, // 1492 (PPPoE, RFC 2516) − 40
  1460, // 1500 (Ethernet) − 40
  8960, // 9000 (jumbo frames) − 40
]);

/**
 * Stateless SYN-cookie encoder and verifier (RFC 4987 §3.6), keyed with two 128-bit
 * secrets drawn from an `EntropySource` (`@libos/sched`). Encoding and decoding each cost two
 * SipHash-2-4 runs and allocate only the returned object.
 *
 * @example
 * ```ts
 * import { SynCookies } from '@libos/net';
 * const cookies = new SynCookies(entropy);
 * // SYN from the client (its ISN 1000, MSS option 1460): reply SYN-ACK with seq = sequence.
 * const { sequence, mss } = cookies.encode(local, 80, client, 50000, 1000, 1460, now);
 * // Its ACK: seq 1001, ack sequence + 1.
 * cookies.decode(local, 80, client, 50000, 1001 - 1, sequence + 1 - 1, later); // { mss: 1460 }
 * ```
 */
export class SynCookies {
  /**
   * The MSS values a cookie can carry, ascending (index = the cookie's 3-bit field).
   * {@link SynCookies.encode} picks the largest entry not above the client's MSS.
   */
  static readonly mssTable: readonly number[] = MSS_TABLE;
  /** Length of one counter period in microseconds (64 s); cookies live 1 to 2 periods. */
  static readonly period: Micros = PERIOD_MICROS;

  /** `A`: the per-tuple offset. */
  readonly #offsetHash: SipHash24;
  /** `B`: the 24-bit authenticator over tuple, counter and MSS index. */
  readonly #checkHash: SipHash24;
  /** The message of `B`: tuple (12 bytes), counter (4, big-endian), MSS index (1). */
  readonly #message = new Uint8Array(17);
  /** The message of `A`: a view of the tuple part of {@link SynCookies.#message}. */
  readonly #tuple = this.#message.subarray(0, 12);

  /**
   * @param entropy Supplies the two 128-bit secrets (32 bytes are drawn once, here). Use
   *   a CSPRNG outside simulations: anyone who learns them can forge connections.
   */
  constructor(entropy: EntropySource) {
    const keys = new Uint8Array(32);
    entropy.fill(keys);
    this.#offsetHash = new SipHash24(keys.subarray(0, 16));
    this.#checkHash = new SipHash24(keys.subarray(16, 32));
    keys.fill(0);
  }

  /**
   * The cookie to send as the ISN of the SYN-ACK answering a SYN.
   * Throws a {@link TcpError} `EINVAL` on a malformed address, port, `clientIsn`
   * (not an integer), `mss` (not an integer in `0..65535`) or `now`.
   *
   * @param localAddress Our address (the SYN's destination).
   * @param localPort Our (listening) port.
   * @param remoteAddress The client's address.
   * @param remotePort The client's port.
   * @param clientIsn The SYN's sequence number (taken modulo 2^32).
   * @param mss The client's MSS option, or 536 if it sent none (RFC 9293 §3.7.1).
   *   Values below 536 are encoded as 536, the smallest table entry.
   * @param now The current time in microseconds.
   * @returns `sequence`, the cookie (our ISN), and `mss`, the MSS the cookie encodes
   *   (the one {@link SynCookies.decode} will return) — use it for the connection.
   */
  encode(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    clientIsn: number,
    mss: number,
    now: Micros,
  ): {
    /** The cookie: our initial sequence number for the SYN-ACK. */
    sequence: number;
    /** The MSS the cookie encodes (the table entry at or below the one asked for). */
    mss: number;
  } {
    writeTuple(this.#message, localAddress, localPort, remoteAddress, remotePort);
    assertSequence(clientIsn, 'clientIsn');
    if (!Number.isInteger(mss) || mss < 0 || mss > 0xffff) {
      throw new TcpError('EINVAL', `mss must be an integer in 0..65535, got ${mss}`);
    }
    assertTime(now);
    let index = MSS_TABLE.length - 1;
    while (index > 0 && MSS_TABLE[index]! > mss) index--;
    const counter = Math.floor(now / PERIOD_MICROS);
    const x = ((counter & COUNTER_MASK) << 27) | (index << 24) | this.#check(counter, index);
    const sequence =
      ((clientIsn >>> 0) + this.#offsetHash.hashLow(this.#tuple) + (x >>> 0)) % TWO_POW_32;
    return { sequence, mss: MSS_TABLE[index]! };
  }

  /**
   * Verifies the cookie acknowledged by a connection's third segment (an ACK with no
   * matching state) and recovers the MSS. Accepts cookies issued in the current or the
   * previous 64-second period. Throws a {@link TcpError} `EINVAL` on malformed
   * arguments, as {@link SynCookies.encode} does.
   *
   * @param localAddress Our address (the ACK's destination).
   * @param localPort Our port.
   * @param remoteAddress The client's address.
   * @param remotePort The client's port.
   * @param clientIsn The ACK's sequence number minus 1 (taken modulo 2^32, so `seq - 1`
   *   may be passed as is, even when it is −1).
   * @param cookie The ACK's acknowledgment number minus 1 (modulo 2^32, likewise).
   * @param now The current time in microseconds.
   * @returns `{ mss }` for a genuine, unexpired cookie; `undefined` otherwise (forged,
   *   expired, or for another tuple or client ISN).
   */
  decode(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    clientIsn: number,
    cookie: number,
    now: Micros,
  ):
    | {
        /** The MSS encoded in the cookie. */
        mss: number;
      }
    | undefined {
    writeTuple(this.#message, localAddress, localPort, remoteAddress, remotePort);
    assertSequence(clientIsn, 'clientIsn');
    assertSequence(cookie, 'cookie');
    assertTime(now);
    const x = ((cookie >>> 0) - (clientIsn >>> 0) - this.#offsetHash.hashLow(this.#tuple)) >>> 0;
    const nowCounter = Math.floor(now / PERIOD_MICROS);
    // RFC 4987 §3.6: "t" must be recent; the 5-bit field fixes the full counter.
    const age = ((nowCounter & COUNTER_MASK) - (x >>> 27)) & COUNTER_MASK;
    const counter = nowCounter - age;
    if (age > MAX_AGE_PERIODS || counter < 0) return undefined;
    const index = (x >>> 24) & 0x7;
    if (this.#check(counter, index) !== (x & HASH_MASK)) return undefined;
    return { mss: MSS_TABLE[index]! };
  }

  /** `B(tuple, counter, index)` truncated to 24 bits; the tuple is already in the message. */
  #check(counter: number, index: number): number {
    const message = this.#message;
    const low = counter % TWO_POW_32;
    message[12] = low >>> 24;
    message[13] = low >>> 16;
    message[14] = low >>> 8;
    message[15] = low;
    message[16] = index;
    return this.#checkHash.hashLow(message) & HASH_MASK;
  }
}

/** Sequence numbers may arrive unnormalised (`ack - 1`), but must be integers. */
function assertSequence(value: number, what: string): void {
  if (!Number.isInteger(value)) {
    throw new TcpError('EINVAL', `${what} must be an integer, got ${value}`);
  }
}
