/**
 * The UDP datagrams the sans-IO DHCP client and DNS resolver hand to the stack.
 */

/**
 * A UDP datagram a sans-IO protocol core asks the stack to send. Addresses are IPv4
 * as uint32 numbers (`a.b.c.d` → `(a << 24 | b << 16 | c << 8 | d) >>> 0`);
 * `0` is 0.0.0.0 and `0xffffffff` the limited broadcast 255.255.255.255.
 *
 * @example
 * ```ts
 * import type { UdpTransmit } from '@libos/net';
 * function send(t: UdpTransmit): void {
 *   console.log(`${t.sourcePort} -> ${t.destination >>> 24}.x.x.x:${t.destinationPort}`, t.payload.length);
 * }
 * ```
 */
export interface UdpTransmit {
  /** Destination IPv4 address (uint32). */
  readonly destination: number;
  /** Destination UDP port. */
  readonly destinationPort: number;
  /** Source IPv4 address (uint32); 0 when the interface has no address yet. */
  readonly source: number;
  /** Source UDP port. */
  readonly sourcePort: number;
  /** The UDP payload; owned by the receiver from now on. */
  readonly payload: Uint8Array;
}

/**
 * Where a received UDP datagram came from: the IPv4 source address (uint32) and UDP
 * source port.
 *
 * @example
 * ```ts
 * import type { UdpSource } from '@libos/net';
 * const server: UdpSource = { address: 0xc0a80001, port: 67 }; // 192.168.0.1:67
 * ```
 */
export interface UdpSource {
  /** Source IPv4 address (uint32). */
  readonly address: number;
  /** Source UDP port. */
  readonly port: number;
}
