/**
 * The lease a {@link DhcpClient} holds, and how a subnet mask becomes a prefix length.
 */

import type { Micros } from '@libos/sched';

/**
 * An IPv4 lease granted by a DHCP server (RFC 2131 §4.4.5). Addresses are uint32
 * numbers; durations are the server's seconds; absolute times are {@link Micros} on
 * the clock the client is driven with, measured from when the DHCPREQUEST was sent
 * (RFC 2131 §4.4.1). An infinite lease (0xffffffff) has no renewal, rebinding or expiry
 * time.
 *
 * @example
 * ```ts
 * client.onChange((e) => {
 *   if (e.type === 'bound' && e.lease) console.log(e.lease.address, e.lease.prefixLength);
 * });
 * ```
 */
export interface DhcpLease {
  /** The leased address (uint32). */
  readonly address: number;
  /** Subnet mask (uint32): option 1, or the classful mask when the server sent none. */
  readonly subnetMask: number;
  /** Prefix length: the leading one bits of {@link DhcpLease.subnetMask}. */
  readonly prefixLength: number;
  /** Routers (option 3), preferred first; may be empty. */
  readonly routers: readonly number[];
  /** DNS servers (option 6), preferred first; may be empty. */
  readonly dnsServers: readonly number[];
  /** Domain name (option 15), if sent. */
  readonly domainName?: string;
  /** The server identifier (option 54) of the server holding the lease. */
  readonly serverId: number;
  /** Lease time in seconds (0xffffffff = infinite). */
  readonly leaseTime: number;
  /** Renewal time T1 in seconds. */
  readonly renewalTime: number;
  /** Rebinding time T2 in seconds. */
  readonly rebindingTime: number;
  /** When the lease started (the first DHCPREQUEST of the exchange was sent). */
  readonly acquiredAt: Micros;
  /** When RENEWING begins (T1), or undefined for an infinite lease. */
  readonly renewAt: Micros | undefined;
  /** When REBINDING begins (T2), or undefined for an infinite lease. */
  readonly rebindAt: Micros | undefined;
  /** When the lease expires, or undefined for an infinite lease. */
  readonly expiresAt: Micros | undefined;
}

/**
 * The prefix length of a subnet mask: its leading one bits (a non-contiguous mask
 * counts only up to its first zero bit).
 *
 * @example
 * ```ts
 * import { subnetMaskPrefixLength } from '@libos/net';
 * subnetMaskPrefixLength(0xffffff00); // 24
 * ```
 */
export function subnetMaskPrefixLength(mask: number): number {
  let length = 0;
  while (length < 32 && ((mask >>> (31 - length)) & 1) === 1) length++;
  return length;
}

/**
 * The classful default mask of an address (RFC 791 classes A/B/C), used when a server
 * sends no subnet mask option; 0xffffffff for class D/E addresses.
 *
 * @example
 * ```ts
 * import { classfulSubnetMask } from '@libos/net';
 * classfulSubnetMask(0x0a000005).toString(16); // 'ff000000' (10.0.0.5 is class A)
 * ```
 */
export function classfulSubnetMask(address: number): number {
  const top = address >>> 24;
  if (top < 128) return 0xff000000;
  if (top < 192) return 0xffff0000;
  if (top < 224) return 0xffffff00;
  return 0xffffffff;
}
