/**
 * DHCP option codes (RFC 2132) and message types (RFC 2132 §9.6) understood by the
 * codec.
 */

/**
 * The option codes the codec reads and writes (RFC 2132). Others are skipped safely.
 * Option 52 (overload, RFC 2132 §9.3) is recognised but not honoured: options placed
 * in the `sname`/`file` fields are ignored.
 *
 * @example
 * ```ts
 * import { DhcpOption } from '@libos/net';
 * DhcpOption.MessageType; // 53
 * ```
 */
export const DhcpOption = {
  /** RFC 2132 §3.1: one byte of padding, no length. */
  Pad: 0,
  /** RFC 2132 §3.3: subnet mask (4 bytes). */
  SubnetMask: 1,
  /** RFC 2132 §3.5: routers (n × 4 bytes, preferred first). */
  Router: 3,
  /** RFC 2132 §3.8: domain name servers (n × 4 bytes). */
  DomainNameServer: 6,
  /** RFC 2132 §3.14: host name of the client. */
  HostName: 12,
  /** RFC 2132 §3.17: domain name for DNS resolution. */
  DomainName: 15,
  /** RFC 2132 §9.1: requested IP address (4 bytes). */
  RequestedIpAddress: 50,
  /** RFC 2132 §9.2: IP address lease time in seconds (4 bytes). */
  LeaseTime: 51,
  /** RFC 2132 §9.3: option overload (ignored by this codec). */
  Overload: 52,
  /** RFC 2132 §9.6: DHCP message type (1 byte). */
  MessageType: 53,
  /** RFC 2132 §9.7: server identifier (4 bytes). */
  ServerIdentifier: 54,
  /** RFC 2132 §9.8: parameter request list (option codes). */
  ParameterRequestList: 55,
  /** RFC 2132 §9.9: error message text. */
  Message: 56,
  /** RFC 2132 §9.10: maximum DHCP message size (2 bytes, ≥ 576). */
  MaxMessageSize: 57,
  /** RFC 2132 §9.11: renewal (T1) time in seconds (4 bytes). */
  RenewalTime: 58,
  /** RFC 2132 §9.12: rebinding (T2) time in seconds (4 bytes). */
  RebindingTime: 59,
  /** RFC 2132 §9.14: client identifier (type byte + identifier, ≥ 2 bytes). */
  ClientIdentifier: 61,
  /** RFC 2132 §3.2: end of the options, no length. */
  End: 255,
} as const;

/**
 * A DHCP message type (RFC 2132 §9.6), by name.
 *
 * @example
 * ```ts
 * import type { DhcpMessageType } from '@libos/net';
 * const t: DhcpMessageType = 'discover';
 * ```
 */
export type DhcpMessageType =
  | 'discover'
  | 'offer'
  | 'request'
  | 'decline'
  | 'ack'
  | 'nak'
  | 'release'
  | 'inform';

/** Wire values 1..8 by name, RFC 2132 §9.6. */
const TYPE_CODES: Readonly<Record<DhcpMessageType, number>> = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
};

const TYPE_NAMES: readonly DhcpMessageType[] = [
  'discover',
  'offer',
  'request',
  'decline',
  'ack',
  'nak',
  'release',
  'inform',
];

/**
 * The wire value (1..8) of a message type.
 *
 * @example
 * ```ts
 * import { dhcpMessageTypeCode } from '@libos/net';
 * dhcpMessageTypeCode('ack'); // 5
 * ```
 */
export function dhcpMessageTypeCode(type: DhcpMessageType): number {
  return TYPE_CODES[type];
}

/**
 * The message type of a wire value, or `undefined` outside 1..8.
 *
 * @example
 * ```ts
 * import { dhcpMessageTypeFromCode } from '@libos/net';
 * dhcpMessageTypeFromCode(2); // 'offer'
 * ```
 */
export function dhcpMessageTypeFromCode(code: number): DhcpMessageType | undefined {
  return TYPE_NAMES[code - 1];
}
