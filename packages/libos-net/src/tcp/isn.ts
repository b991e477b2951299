/**
 * Initial sequence numbers per RFC 6528 §3: `ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)`, where `M` is a timer ticking every 4 µs and `F` is a keyed
 * PRF — here SipHash-2-4 ({@link SipHash24}) under a 128-bit key drawn once from an
 * `EntropySource` (`@libos/sched`). Each 4-tuple gets its own sequence-number space that an
 * off-path attacker cannot predict (RFC 6528 §1), while one tuple's ISNs still grow
 * with the clock, as RFC 9293 §3.4.1 wants for old duplicates of an earlier incarnation.
 */
import type { EntropySource, Micros } from '@libos/sched';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import { SipHash24 } from './siphash.js';
import { TcpError } from './tcp-stream.js';

/** RFC 6528 §3 / RFC 9293 §3.4.1: the ISN clock ticks every 4 microseconds. */
const TICK_MICROS = 4;
/** 2^32: ISNs and `M` are taken modulo this. */
const TWO_POW_32 = 0x1_0000_0000;

/**
 * RFC 6528 initial-sequence-number generator for TCP over IPv4.
 *
 * `isn(...)` costs one SipHash-2-4 of a 12-byte message and allocates nothing. The key
 * never leaves the object; create one generator per stack (a new key makes every
 * tuple's ISN jump, which is harmless but loses the monotonic-per-tuple property).
 *
 * @example
 * ```ts
 * import { IsnGenerator } from '@libos/net';
 * import { HostEntropy } from '@libos/sched';
 * const isns = new IsnGenerator(new HostEntropy());
 * const iss = isns.isn(local, 49152, remote, 80, now);
 * ```
 */
export class IsnGenerator {
  readonly #sip: SipHash24;
  /** The 12-byte message `F` hashes (the 4-tuple), reused for every call. */
  readonly #tuple = new Uint8Array(12);

  /**
   * @param entropy Supplies the 128-bit secret key (16 bytes are drawn once, here).
   *   RFC 6528 §3 asks for a key that is hard to guess: pass a CSPRNG (`HostEntropy`,
   *   virtio-rng) outside simulations.
   */
  constructor(entropy: EntropySource) {
    const key = new Uint8Array(16);
    entropy.fill(key);
    this.#sip = new SipHash24(key);
    key.fill(0);
  }

  /**
   * The ISN for a connection on this 4-tuple at time `now` (RFC 6528 §3).
   * Throws a {@link TcpError} `EINVAL` if an address is not a uint32, a port is not
   * in `0..65535` or `now` is not a non-negative safe integer.
   *
   * @param localAddress Our IPv4 address.
   * @param localPort Our port.
   * @param remoteAddress The peer's IPv4 address.
   * @param remotePort The peer's port.
   * @param now The current time in microseconds (the `M` timer is `⌊now / 4⌋ mod 2^32`).
   * @returns The initial sequence number, `0..0xffffffff`.
   */
  isn(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    now: Micros,
  ): number {
    writeTuple(this.#tuple, localAddress, localPort, remoteAddress, remotePort);
    assertTime(now);
    const m = Math.floor(now / TICK_MICROS) % TWO_POW_32; // RFC 6528 §3: M, 4 µs timer
    const f = this.#sip.hashLow(this.#tuple); // RFC 6528 §3: F(4-tuple, secretkey)
    return (m + f) >>> 0;
  }
}

/**
 * Writes the 4-tuple in the order RFC 6528 §3 lists `F`'s inputs, each field in network
 * byte order: local address (4 bytes), local port (2), remote address (4), remote port
 * (2) into `out[0..12)`. Shared with the SYN cookies. Throws a {@link TcpError} `EINVAL`
 * on an address that is not a uint32 or a port outside `0..65535`.
 *
 * @internal
 */
export function writeTuple(
  out: Uint8Array,
  localAddress: number,
  localPort: number,
  remoteAddress: number,
  remotePort: number,
): void {
  if (!isU32(localAddress) || !isU32(remoteAddress)) {
    throw new TcpError(
      'EINVAL',
      `IPv4 addresses must be uint32 numbers, got ${localAddress} and ${remoteAddress}`,
    );
  }
  if (!isPort(localPort) || !isPort(remotePort)) {
    throw new TcpError('EINVAL', `ports must be in 0..65535, got ${localPort} and ${remotePort}`);
  }
  out[0] = localAddress >>> 24;
  out[1] = localAddress >>> 16;
  out[2] = localAddress >>> 8;
  out[3] = localAddress;
  out[4] = localPort >>> 8;
  out[5] = localPort;
  out[6] = remoteAddress >>> 24;
  out[7] = remoteAddress >>> 16;
  out[8] = remoteAddress >>> 8;
  out[9] = remoteAddress;
  out[10] = remotePort >>> 8;
  out[11] = remotePort;
}

function isU32(value: number): boolean {
  return value >>> 0 === value;
}

function isPort(value: number): boolean {
  return (value & 0xffff) === value;
}

/**
 * Rejects times that are not non-negative safe integers (API misuse) with a
 * {@link TcpError} `EINVAL`.
 *
 * @internal
 */
export function assertTime(now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) {
    throw new TcpError('EINVAL', `now must be a non-negative integer of microseconds, got ${now}`);
  }
}
